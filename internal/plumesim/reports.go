package plumesim

import (
	"math"
	"time"
)

// Time series are computed per bucket from a hash of (dataset seed, bucket time), so a bucket
// has the same value in every response and no shared PRNG state is needed.

func mix(x uint64) uint64 { // splitmix64 finaliser
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// unit is a deterministic float in [0,1) for (seed, t, salt).
func unit(seed uint64, t time.Time, salt uint64) float64 {
	return float64(mix(seed^mix(uint64(t.Unix())^salt*0x2545f4914f6cdd1d))>>11) / (1 << 53)
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// diurnal is the relative household traffic at a local hour: a small morning bump, a
// daytime plateau and an evening peak around 20:30.
func diurnal(h float64) float64 {
	bump := func(c, w float64) float64 {
		d := math.Abs(h - c)
		if d > 12 {
			d = 24 - d
		}
		return math.Exp(-(d / w) * (d / w) / 2)
	}
	return 0.06 + 0.25*bump(8, 1.5) + 0.3*bump(13.5, 3) + bump(20.5, 2.2)
}

// onlineFraction is the share of [from, to) the location was online.
func (d *dataset) onlineFraction(from, to, now time.Time) float64 {
	total := to.Sub(from)
	if total <= 0 {
		return 1
	}
	off := time.Duration(0)
	for _, o := range d.Outages {
		s, e := now.Add(-o.From), now.Add(-o.To)
		if s.Before(from) {
			s = from
		}
		if e.After(to) {
			e = to
		}
		if e.After(s) {
			off += e.Sub(s)
		}
	}
	return 1 - float64(off)/float64(total)
}

func dateRange(start, end time.Time) []obj {
	return []obj{{"start": []string{iso(start)}, "end": []string{iso(end)}}}
}

var wanPeriods = map[string]int{"daily": 96, "weekly": 7 * 96, "monthly": 30 * 96}

// wanStats: 15-minute points ending at the last 15-minute boundary before now.
func (d *dataset) wanStats(period string, now time.Time) obj {
	const step = 15 * time.Minute
	n := wanPeriods[period]
	end := now.UTC().Truncate(step)
	start := end.Add(-time.Duration(n) * step)
	pts := make([]obj, n)
	for i := range pts {
		t := start.Add(time.Duration(i) * step)
		p := obj{"timestamp": iso(t)}
		frac := d.onlineFraction(t, t.Add(step), now)
		// A few buckets per day have no data at all (Plume sends nulls), plus any full outage.
		if (uint64(t.Unix()/900)+d.Seed)%37 == 0 || frac == 0 {
			p["rxMbytes"], p["txMbytes"], p["rxMaxMbps"], p["txMaxMbps"] = nil, nil, nil, nil
			pts[i] = p
			continue
		}
		h := math.Mod(float64(t.Hour())+float64(t.Minute())/60+float64(d.TZOffset)+24, 24)
		rx := d.WANScale * diurnal(h) * (0.75 + 0.5*unit(d.Seed, t, 1)) * frac
		tx := rx * (0.05 + 0.07*unit(d.Seed, t, 2))
		avgRx, avgTx := rx*8/step.Seconds(), tx*8/step.Seconds()
		p["rxMbytes"] = round2(rx)
		p["txMbytes"] = round2(tx)
		p["rxMaxMbps"] = round2(math.Min(d.SpeedDown, avgRx*(2+4*unit(d.Seed, t, 3))))
		p["txMaxMbps"] = round2(math.Min(d.SpeedUp, avgTx*(2+4*unit(d.Seed, t, 4))))
		pts[i] = p
	}
	return obj{"statsDateRange": dateRange(start, end), "fifteenMins": pts}
}

var granularities = map[string]time.Duration{"minutes": time.Minute, "hours": time.Hour, "days": 24 * time.Hour}

// onlineStats: limit buckets of the granularity, the last one being the bucket holding now.
func (d *dataset) onlineStats(granularity string, limit int, now time.Time) obj {
	g := granularities[granularity]
	now = now.UTC()
	last := now.Truncate(g)
	first := last.Add(-time.Duration(limit-1) * g)
	pts := make([]obj, limit)
	for i := range pts {
		t := first.Add(time.Duration(i) * g)
		end := t.Add(g)
		if end.After(now) {
			end = now
		}
		p := obj{"timestamp": iso(t)}
		v := 100 * d.onlineFraction(t, end, now)
		if v == 100 && unit(d.Seed, t, 5) < 0.02 {
			v = 100 - (0.5 + 4*unit(d.Seed, t, 6)) // a rare short dip
		}
		if d.Sparse && unit(d.Seed, t, 7) < 0.1 {
			p["value"] = nil
		} else {
			p["value"] = round2(v)
		}
		pts[i] = p
	}
	return obj{"statsDateRange": dateRange(first, now), "onlineStats": pts}
}
