package render

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"plumebot/internal/health"
	"plumebot/internal/plume"
)

// wanBucket is the default spacing of wanStats points.
const wanBucket = 15 * time.Minute

// WAN renders WAN consumption: peak/average/95th percentile rates, totals, busiest hours.
func WAN(s *plume.WANStats, o Options) Pages {
	label := "last 24 h"
	if s != nil {
		switch s.Period {
		case "weekly":
			label = "last 7 d"
		case "monthly":
			label = "last 30 d"
		}
	}
	parts := []string{"📈 <b>WAN usage</b> · " + label, ageLine(o)}
	var valid []plume.WANPoint
	var ts []time.Time // every point's, for the spacing: a null point still marks its bucket
	if s != nil {
		for _, p := range s.Points {
			ts = append(ts, p.Time)
			if p.Valid {
				valid = append(valid, p)
			}
		}
	}
	if len(valid) == 0 {
		return pages(append(parts, "⚪ No WAN data for this period."))
	}
	bucket := spacing(ts, wanBucket)
	secs := bucket.Seconds()
	var rx, tx, rxPeak, txPeak, rxTot, txTot []float64
	hours := map[int]float64{}
	for _, p := range valid {
		rx = append(rx, p.RxMbytes*8/secs)
		tx = append(tx, p.TxMbytes*8/secs)
		rxPeak = append(rxPeak, math.Max(p.RxMaxMbps, p.RxMbytes*8/secs))
		txPeak = append(txPeak, math.Max(p.TxMaxMbps, p.TxMbytes*8/secs))
		rxTot = append(rxTot, p.RxMbytes)
		txTot = append(txTot, p.TxMbytes)
		hours[p.Time.UTC().Hour()] += p.RxMbytes + p.TxMbytes
	}
	for _, d := range []struct {
		name      string
		avg, peak []float64
		tot       []float64
	}{{"⬇ Download", rx, rxPeak, rxTot}, {"⬆ Upload", tx, txPeak, txTot}} {
		parts = append(parts, "\n<b>"+d.name+"</b>",
			fmt.Sprintf("peak %s · avg %s Mbps", num(maxOf(d.peak)), num(mean(d.avg))),
			fmt.Sprintf("95th pct %s Mbps", num(percentile(d.avg, 95))),
			fmt.Sprintf("total %s", gb(sum(d.tot))))
	}
	type hv struct {
		h int
		v float64
	}
	var hs []hv
	for h, v := range hours {
		hs = append(hs, hv{h, v})
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].v > hs[j].v || hs[i].v == hs[j].v && hs[i].h < hs[j].h })
	parts = append(parts, "\n<b>Busiest hours</b> (UTC)")
	for i := 0; i < len(hs) && i < 3; i++ {
		parts = append(parts, fmt.Sprintf("%02d:00–%02d:00 · %s", hs[i].h, (hs[i].h+1)%24, gb(hs[i].v)))
	}
	pct := 100 * float64(len(valid)) / float64(len(s.Points))
	parts = append(parts, fmt.Sprintf("\n<i>%s%% of %d data points valid</i>", num(pct), len(s.Points)))
	return pages(parts)
}

func gb(mbytes float64) string { return fmt.Sprintf("%.2f GB", mbytes/1000) }

// spacing is the smallest positive gap between consecutive times, else def.
func spacing(ts []time.Time, def time.Duration) time.Duration {
	best := time.Duration(0)
	for i := 1; i < len(ts); i++ {
		if d := ts[i].Sub(ts[i-1]); d > 0 && (best == 0 || d < best) {
			best = d
		}
	}
	if best == 0 {
		return def
	}
	return best
}

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

func mean(v []float64) float64 { return sum(v) / float64(len(v)) }

func maxOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

// percentile uses the nearest-rank method (what ISPs bill by at 95).
func percentile(v []float64, p float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(i, 0)]
}

// OnlineHistory renders uptime over window ("3h", "24h", "7d") and the incidents: runs of
// buckets in which the location was online less than 100%.
func OnlineHistory(s *plume.OnlineStats, window string, o Options) Pages {
	label := map[string]string{"3h": "last 3 h", "24h": "last 24 h", "7d": "last 7 d"}[window]
	if label == "" {
		label = esc(window)
	}
	parts := []string{"🕒 <b>Online history</b> · " + label, ageLine(o)}
	if s == nil {
		return pages(append(parts, "⚪ No data."))
	}
	def := map[string]time.Duration{"minutes": time.Minute, "hours": time.Hour, "days": 24 * time.Hour}[s.Granularity]
	if def == 0 {
		def = time.Hour
	}
	var ts []time.Time
	var valid []float64
	type incident struct {
		start   time.Time
		n       int
		sum     float64
		ongoing bool
	}
	var incs []incident
	var cur *incident
	for i, p := range s.Points {
		ts = append(ts, p.Time)
		if !p.Valid {
			cur = nil
			continue
		}
		valid = append(valid, p.Percent)
		if p.Percent >= 100 {
			cur = nil
			continue
		}
		if cur == nil {
			incs = append(incs, incident{start: p.Time})
			cur = &incs[len(incs)-1]
		}
		cur.n++
		cur.sum += p.Percent
		cur.ongoing = i == len(s.Points)-1
	}
	if len(valid) == 0 {
		return pages(append(parts, "⚪ No data for this period."))
	}
	bucket := spacing(ts, def)
	up := mean(valid)
	e := "🔴"
	switch {
	case up >= 99.9:
		e = "🟢"
	case up >= 99:
		e = "🟡"
	case up >= 90:
		e = "🟠"
	}
	parts = append(parts, fmt.Sprintf("%s Uptime <b>%s%%</b>", e, trimPct(up)))
	switch len(incs) {
	case 0:
		parts = append(parts, "No incidents.")
	case 1:
		parts = append(parts, "\n<b>1 incident</b>")
	default:
		parts = append(parts, fmt.Sprintf("\n<b>%d incidents</b>", len(incs)))
	}
	for _, in := range incs {
		avg := in.sum / float64(in.n)
		ie := "🟠"
		if avg == 0 {
			ie = "🔴"
		}
		line := fmt.Sprintf("%s %s (%s) · %s · %s%% online", ie, absTime(in.start), ago(in.start, o.Now),
			health.Duration(time.Duration(in.n)*bucket), trimPct(avg))
		if in.ongoing {
			line += " · ongoing"
		}
		parts = append(parts, line)
	}
	if missing := len(s.Points) - len(valid); missing > 0 {
		parts = append(parts, fmt.Sprintf("\n<i>%d of %d buckets without data</i>", missing, len(s.Points)))
	}
	return pages(parts)
}

func trimPct(f float64) string {
	s := fmt.Sprintf("%.2f", f)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
