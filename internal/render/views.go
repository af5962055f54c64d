package render

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"plumebot/internal/health"
	"plumebot/internal/plume"
)

// Options are what every view needs besides its data.
type Options struct {
	Now     time.Time
	DataAge time.Duration // > 0: data came from a cache this long ago → say "data from 25 s ago"
}

// pages splits parts at pageLimit so the bot can add PageFooter to any page.
func pages(parts []string) Pages {
	p := Split(parts, pageLimit)
	if len(p) == 0 {
		return Pages{"⚪ Nothing to show."}
	}
	return p
}

// HealthReport renders a report: verdict first, then what is wrong, then the details.
func HealthReport(r health.Report, o Options) Pages {
	parts := []string{r.Level.Emoji() + " " + bold(r.Summary)}
	head := "🏠 " + bold(or(r.LocationName, "Location"))
	head += "\nLocation " + code(r.LocationID) + "\nCustomer " + code(r.CustomerID)
	parts = append(parts, head)
	if r.NetworkStatus != "" {
		line := stateEmoji(r.NetworkStatus) + " " + esc(r.NetworkStatus)
		if !r.StatusSince.IsZero() {
			line += " since " + ago(r.StatusSince, o.Now)
		}
		parts = append(parts, line)
	}
	if r.ServiceLevel != "" {
		parts = append(parts, serviceEmoji(r.ServiceLevel)+" Service: "+esc(r.ServiceLevel))
	}
	parts = append(parts, ageLine(o))

	if len(r.Issues) > 0 {
		parts = append(parts, "\n<b>Issues</b>")
		for _, s := range r.Issues {
			parts = append(parts, "🟠 "+esc(s))
		}
	}
	if len(r.Warnings) > 0 {
		parts = append(parts, "\n<b>Warnings</b>")
		for _, s := range r.Warnings {
			parts = append(parts, "🟡 "+esc(s))
		}
	}

	if len(r.Pods) > 0 {
		parts = append(parts, fmt.Sprintf("\n<b>Pods</b> · %d/%d connected", r.Counts.PodsConnected, r.Counts.PodsTotal))
		for _, p := range r.Pods {
			parts = append(parts, podLine(p, o))
		}
	}

	if st := r.SpeedTest; st != nil {
		parts = append(parts, "\n<b>Speed test</b> · "+ago(st.StartedAt, o.Now), speedLine(st.Download, st.Upload, st.RTT))
		if st.ISP != "" {
			parts = append(parts, "ISP "+esc(st.ISP))
		}
	}

	if r.Counts.DevicesTotal > 0 || len(r.Devices) > 0 {
		parts = append(parts, fmt.Sprintf("\n<b>Devices</b> · %d/%d connected", r.Counts.DevicesConnected, r.Counts.DevicesTotal))
		if b := bandLine(r.Counts.ByBand); b != "" {
			parts = append(parts, b)
		}
		for _, d := range r.Devices {
			if !d.Warning {
				continue // long-offline devices are counted in Info
			}
			line := "🟡 " + bold(d.Name) + " · " + esc(d.Reason)
			if d.Reason == health.DevicePoorHealth {
				line = "🔴 " + bold(d.Name) + " · poor health"
			} else if !d.Since.IsZero() {
				line += " " + ago(d.Since, o.Now)
			}
			parts = append(parts, line)
		}
	}

	if len(r.Info) > 0 {
		parts = append(parts, "")
		for _, s := range r.Info {
			parts = append(parts, "<i>• "+esc(s)+"</i>")
		}
	}
	if len(r.Unavailable) > 0 {
		parts = append(parts, "\n<b>Unavailable</b>")
		for _, u := range r.Unavailable {
			parts = append(parts, "⚪ "+esc(u.Section)+": "+esc(u.Reason))
		}
	}
	checked := r.FetchedAt
	if checked.IsZero() {
		checked = o.Now
	}
	if !checked.IsZero() {
		parts = append(parts, "\n<i>Checked "+absTime(checked)+"</i>")
	}
	return pages(blankLines(parts))
}

// blankLines turns an empty part into a blank line before the next part (Split skips empties).
func blankLines(parts []string) []string {
	out := parts[:0:0]
	pending := false
	for _, p := range parts {
		if p == "" {
			pending = true
			continue
		}
		if pending && !strings.HasPrefix(p, "\n") {
			p = "\n" + p
		}
		pending = false
		out = append(out, p)
	}
	return out
}

func podLine(p health.PodReport, o Options) string {
	var b strings.Builder
	b.WriteString(stateEmoji(p.State) + " " + bold(p.Name))
	if p.Gateway {
		b.WriteString(" · gateway")
	}
	b.WriteString("\n    " + code(p.Serial))
	if p.Model != "" {
		b.WriteString(" · " + esc(p.Model))
	}
	if !p.Connected() {
		b.WriteString("\n    " + esc(or(p.State, "state unknown")))
		if !p.Since.IsZero() {
			b.WriteString(" " + ago(p.Since, o.Now))
		}
	}
	b.WriteString("\n    " + backhaul(p.Backhaul, p.ParentName))
	if p.Health != "" && p.Connected() { // a disconnected pod's health is stale
		b.WriteString(" · " + healthEmoji(p.Health) + " " + esc(p.Health))
	}
	if len(p.Alerts) > 0 {
		b.WriteString("\n    ⚠️ alert: " + esc(strings.Join(p.Alerts, ", ")))
	}
	return b.String()
}

// backhaul is "🔌 ethernet" or "📶 wifi 5G via <b>Parent</b>".
func backhaul(kind, parent string) string {
	medium := kind
	if i := strings.IndexByte(kind, ' '); i > 0 {
		medium = kind[:i]
	}
	s := mediumEmoji(medium) + " " + esc(or(kind, "backhaul unknown"))
	if parent != "" {
		s += " via " + bold(parent)
	}
	return s
}

func speedLine(down, up, rtt float64) string {
	return fmt.Sprintf("⬇ %s Mbps · ⬆ %s Mbps · %s ms", num(down), num(up), num(rtt))
}

func bandLine(by map[string]int) string {
	var s []string
	for _, b := range []string{"2.4G", "5G", "6G"} {
		if by[b] > 0 {
			s = append(s, fmt.Sprintf("%s %d", b, by[b]))
		}
	}
	out := ""
	if len(s) > 0 {
		out = "📶 " + strings.Join(s, " · ")
	}
	if n := by["ethernet"]; n > 0 {
		out = joinNonEmpty(" · ", out, fmt.Sprintf("🔌 %d", n))
	}
	if n := by["other"]; n > 0 {
		out = joinNonEmpty(" · ", out, fmt.Sprintf("🔗 other %d", n))
	}
	return out
}

// Status renders the location's state and configuration.
func Status(loc *plume.Location, o Options) Pages {
	if loc == nil {
		return Pages{"⚪ No location data."}
	}
	parts := []string{"🏠 " + bold(or(loc.Name, "Location")),
		"Location " + code(loc.ID) + "\nCustomer " + code(loc.CustomerID)}
	if loc.AccountID != "" {
		parts = append(parts, "Account "+code(loc.AccountID))
	}
	if loc.ServiceID != "" {
		parts = append(parts, "Service ID "+code(loc.ServiceID))
	}
	parts = append(parts, ageLine(o), "")
	ns := loc.NetworkStatus
	if ns.Status == "" {
		parts = append(parts, "⚪ Network status unknown")
	} else {
		parts = append(parts, stateEmoji(ns.Status)+" "+bold(ns.Status)+" since "+when(ns.StatusChangedAt, o.Now))
	}
	parts = append(parts, serviceEmoji(loc.ServiceLevel.Status)+" Service level: "+esc(or(loc.ServiceLevel.Status, "unknown")))
	if loc.Profile != "" {
		parts = append(parts, "Profile: "+profileName(loc.Profile))
	}
	if loc.NetworkMode != "" {
		parts = append(parts, "Network mode: "+esc(loc.NetworkMode))
	}
	g := loc.GeoIP
	if place := joinNonEmpty(", ", g.City, g.State, g.Country); place != "" || g.IP != "" {
		parts = append(parts, "", "<b>ISP / geo</b>")
		if place != "" {
			parts = append(parts, "📍 "+esc(place))
		}
		if g.IP != "" {
			parts = append(parts, "Public IP "+code(g.IP))
		}
		if g.Timezone != "" {
			parts = append(parts, "Time zone "+esc(g.Timezone))
		}
	}
	if !loc.CreatedAt.IsZero() {
		parts = append(parts, "", "<i>Created "+absTime(loc.CreatedAt)+"</i>")
	}
	return pages(blankLines(parts))
}

func joinNonEmpty(sep string, s ...string) string {
	var out []string
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			out = append(out, x)
		}
	}
	return strings.Join(out, sep)
}

// Nodes renders every pod in detail; loc may be nil.
func Nodes(loc *plume.Location, nodes []plume.Node, o Options) Pages {
	connected := 0
	names := map[string]string{}
	for _, n := range nodes {
		names[n.ID] = n.Name()
		if n.Connected() {
			connected++
		}
	}
	head := "📡 <b>Pods</b>"
	if loc != nil && loc.Name != "" {
		head += " · " + esc(loc.Name)
	}
	head += fmt.Sprintf("\n%d/%d connected", connected, len(nodes))
	parts := []string{head, ageLine(o)}
	if len(nodes) == 0 {
		parts = append(parts, "⚪ No pods at this location.")
	}
	gw := health.GatewayIndex(nodes)
	for i, n := range nodes {
		parts = append(parts, "\n"+nodeBlock(n, i == gw, names, o))
	}
	return pages(parts)
}

func nodeBlock(n plume.Node, gateway bool, names map[string]string, o Options) string {
	var b strings.Builder
	b.WriteString(stateEmoji(n.ConnectionState) + " " + bold(n.Name()))
	if gateway {
		b.WriteString(" · gateway")
	}
	if model := joinNonEmpty(" · fw ", n.Model, n.FirmwareVersion); model != "" {
		b.WriteString("\n" + esc(model))
	}
	serial := or(n.ID, n.SerialNumber)
	b.WriteString("\nSerial " + code(serial))
	if n.MAC != "" {
		b.WriteString("\nMAC " + code(n.MAC))
	}
	if n.IP != "" {
		b.WriteString("\nIP " + code(n.IP))
	}
	b.WriteString("\n" + esc(or(n.ConnectionState, "state unknown")) + " since " + when(n.ConnectionStateChangeAt, o.Now))
	if n.Health != nil && (n.Health.Status != "" || n.Health.Score > 0) {
		b.WriteString("\nHealth " + healthEmoji(n.Health.Status) + " " + esc(or(n.Health.Status, "score")))
		if n.Health.Score > 0 {
			b.WriteString(" (" + num(n.Health.Score) + "/5)")
		}
	}
	parent := ""
	if len(n.LeafToRoot) > 0 {
		h := n.LeafToRoot[0]
		parent = or(names[h.ID], or(h.Nickname, h.ID))
	}
	bh := n.BackhaulType
	if len(n.LeafToRoot) > 0 && n.LeafToRoot[0].FreqBand != "" && bh != "ethernet" {
		bh = strings.TrimSpace(bh + " " + n.LeafToRoot[0].FreqBand)
	}
	b.WriteString("\n" + backhaul(bh, parent))
	if ch := joinNonEmpty(" · ", prefixed("2.4G ", n.Channel2G), prefixed("5G ", n.Channel5G), prefixed("6G ", n.Channel6G)); ch != "" {
		b.WriteString("\nChannels " + esc(ch))
	}
	fmt.Fprintf(&b, "\nDevices: %d", n.ConnectedDeviceCount)
	for _, a := range n.Alerts {
		if a.Type != "" {
			b.WriteString("\n⚠️ Alert: " + esc(a.Type))
		}
	}
	return b.String()
}

func prefixed(p, v string) string {
	if v == "" {
		return ""
	}
	return p + v
}

// Devices renders the device list: connected first, then offline (most recent first).
func Devices(devices []plume.Device, nodes []plume.Node, o Options) Pages {
	names := map[string]string{}
	for _, n := range nodes {
		names[n.ID] = n.Name()
	}
	var on, off []plume.Device
	for _, d := range devices {
		if d.Connected() {
			on = append(on, d)
		} else {
			off = append(off, d)
		}
	}
	sort.SliceStable(off, func(i, j int) bool { return off[i].ConnectionStateChangeAt.After(off[j].ConnectionStateChangeAt) })
	parts := []string{fmt.Sprintf("💻 <b>Devices</b> · %d/%d connected", len(on), len(devices)), ageLine(o)}
	if len(devices) == 0 {
		parts = append(parts, "⚪ No devices.")
	}
	if len(on) > 0 {
		parts = append(parts, fmt.Sprintf("\n🟢 <b>Connected (%d)</b>", len(on)))
		for _, d := range on {
			parts = append(parts, deviceBlock(d, names, o))
		}
	}
	if len(off) > 0 {
		parts = append(parts, fmt.Sprintf("\n🔴 <b>Offline (%d)</b>", len(off)))
		for _, d := range off {
			parts = append(parts, deviceBlock(d, names, o))
		}
	}
	return pages(parts)
}

func deviceBlock(d plume.Device, names map[string]string, o Options) string {
	var b strings.Builder
	b.WriteString(stateEmoji(d.ConnectionState) + " ")
	if d.DisplayName() == d.MAC {
		b.WriteString(code(d.MAC))
	} else {
		b.WriteString(bold(d.DisplayName()) + "\n    " + code(d.MAC))
	}
	if d.IP != "" {
		b.WriteString(" · " + code(d.IP))
	}
	where := []string{mediumEmoji(d.Medium)}
	if d.FreqBand != "" {
		s := esc(d.FreqBand)
		if d.Channel > 0 {
			s += fmt.Sprintf(" ch %d", d.Channel)
		}
		where = append(where, s)
	} else if d.Medium != "" {
		where = append(where, esc(d.Medium))
	}
	if id := d.PodID(); id != "" {
		where = append(where, "via "+esc(or(names[id], or(d.LeafToRoot[0].Nickname, id))))
	}
	if d.AccessZone != "" && d.AccessZone != "home" {
		where = append(where, "zone "+esc(d.AccessZone))
	}
	if len(where) > 1 {
		b.WriteString("\n    " + strings.Join(where, " "))
	}
	if d.Connected() && d.Health != nil {
		if h := strings.ToLower(d.Health.Status); h == "poor" || h == "degraded" || h == "fair" {
			b.WriteString("\n    " + healthEmoji(h) + " " + esc(h) + " health")
		}
	}
	state := "connected"
	if !d.Connected() {
		state = esc(or(d.ConnectionState, "state unknown"))
	}
	if t := d.ConnectionStateChangeAt; !t.IsZero() {
		state += " " + ago(t, o.Now)
	}
	b.WriteString("\n    " + state)
	return b.String()
}

// WiFi renders the WiFi networks. No key is ever shown (the model holds none).
func WiFi(nets []plume.WiFiNetwork, o Options) Pages {
	parts := []string{fmt.Sprintf("📶 <b>WiFi networks</b> (%d)", len(nets)), ageLine(o)}
	if len(nets) == 0 {
		parts = append(parts, "⚪ No WiFi networks.")
	}
	for _, n := range nets {
		e, state := "⚪", "state unknown"
		if n.Enabled != nil {
			e, state = "🔴", "disabled"
			if *n.Enabled {
				e, state = "🟢", "enabled"
			}
		}
		ssid := bold(n.SSID)
		if strings.TrimSpace(n.SSID) == "" {
			ssid = "<i>(no SSID)</i>"
		}
		block := "\n" + e + " " + ssid + "\n" + state
		if n.AccessZone != "" {
			block += " · zone " + esc(n.AccessZone)
		}
		if n.SSIDBroadcast != nil && !*n.SSIDBroadcast {
			block += " · hidden"
		}
		if sec := joinNonEmpty(" / ", n.WPAMode, n.Encryption); sec != "" {
			block += "\n🔒 " + esc(sec)
		}
		parts = append(parts, block)
	}
	return pages(parts)
}

// Internet renders the location's internet link: status, IPs, uplink and last speed test.
func Internet(loc *plume.Location, nodes []plume.Node, o Options) Pages {
	parts := []string{"🌐 <b>Internet</b>"}
	if loc != nil && loc.Name != "" {
		parts[0] += " · " + esc(loc.Name)
	}
	parts = append(parts, ageLine(o))
	if loc == nil {
		parts = append(parts, "⚪ Network status unknown")
	} else if ns := loc.NetworkStatus; ns.Status == "" {
		parts = append(parts, "⚪ Network status unknown")
	} else {
		parts = append(parts, stateEmoji(ns.Status)+" "+bold(ns.Status)+" since "+when(ns.StatusChangedAt, o.Now))
	}
	gwi := health.GatewayIndex(nodes)
	if gwi < 0 {
		parts = append(parts, "⚪ No gateway pod found.")
	} else {
		gw := nodes[gwi]
		parts = append(parts, "Gateway "+bold(gw.Name())+" "+stateEmoji(gw.ConnectionState))
		if gw.WanIP != "" {
			parts = append(parts, "WAN IP "+code(gw.WanIP))
		}
		pub := gw.PublicIP
		if pub == "" && loc != nil {
			pub = loc.GeoIP.IP
		}
		if pub != "" {
			parts = append(parts, "Public IP "+code(pub))
		}
		for _, l := range gw.LinkStates {
			if !l.IsUplink {
				continue
			}
			line := "🔌 Uplink " + esc(or(l.IfName, "port"))
			if l.LinkSpeed > 0 {
				line += fmt.Sprintf(" · %d Mbit/s", l.LinkSpeed)
			}
			if l.Duplex != "" {
				line += " " + esc(l.Duplex) + " duplex"
			}
			parts = append(parts, line)
		}
		if st := gw.SpeedTest; st != nil {
			e := "🟢"
			if st.Status != "" && st.Status != "succeeded" {
				e = "🔴"
			}
			parts = append(parts, "\n<b>Last speed test</b>", e+" "+when(st.StartedAt, o.Now), speedLine(st.Download, st.Upload, st.RTT))
			if info := joinNonEmpty(" · ", st.ISP, st.ServerName, st.Trigger, st.Status); info != "" {
				parts = append(parts, esc(info))
			}
		} else {
			parts = append(parts, "\n⚪ No speed test result.")
		}
	}
	if loc != nil && loc.GeoIP.IP == "" && gwi < 0 {
		parts = append(parts, "⚪ No IP information.")
	}
	return pages(parts)
}

// NodeLookup renders where a pod serial is claimed.
func NodeLookup(n *plume.NodeLookup, o Options) Pages {
	if n == nil {
		return Pages{"⚪ No result for this serial."}
	}
	parts := []string{"🔎 <b>Pod</b> " + code(n.SerialNumber), ageLine(o)}
	if n.Claimed() {
		parts = append(parts, "🟢 Claimed", "Customer "+code(n.CustomerID), "Location "+code(n.LocationID))
	} else {
		parts = append(parts, "⚪ In inventory only: not claimed by a customer location.")
	}
	if n.Model != "" {
		parts = append(parts, "Model "+esc(n.Model))
	}
	if n.PackID != "" {
		parts = append(parts, "Pack "+code(n.PackID))
	}
	if n.PartnerID != "" {
		parts = append(parts, "Partner "+code(n.PartnerID))
	}
	return pages(parts)
}

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
	if s != nil {
		for _, p := range s.Points {
			if p.Valid {
				valid = append(valid, p)
			}
		}
	}
	if len(valid) == 0 {
		return pages(append(parts, "⚪ No WAN data for this period."))
	}
	bucket := spacing(times(s.Points), wanBucket)
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

func times[T interface {
	plume.WANPoint | plume.OnlinePoint
}](ps []T) []time.Time {
	out := make([]time.Time, 0, len(ps))
	for _, p := range ps {
		switch v := any(p).(type) {
		case plume.WANPoint:
			out = append(out, v.Time)
		case plume.OnlinePoint:
			out = append(out, v.Time)
		}
	}
	return out
}

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
	bucket := spacing(times(s.Points), def)
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

// Locations renders a customer's locations.
func Locations(customerID string, locs []plume.Location, o Options) Pages {
	parts := []string{fmt.Sprintf("🏠 <b>Locations</b> (%d)\nCustomer %s", len(locs), code(customerID)), ageLine(o)}
	if len(locs) == 0 {
		parts = append(parts, "⚪ No locations for this customer.")
	}
	for _, l := range locs {
		b := "\n" + stateEmoji(l.NetworkStatus.Status) + " " + bold(or(l.Name, "(unnamed)")) + "\n" + code(l.ID)
		if info := joinNonEmpty(" · ", l.NetworkStatus.Status, l.ServiceLevel.Status); info != "" {
			b += "\n" + esc(info)
		}
		if l.Profile != "" {
			b += " · " + profileName(l.Profile)
		}
		parts = append(parts, b)
	}
	return pages(parts)
}

// SearchResults renders customer search matches.
func SearchResults(query string, matches []plume.CustomerMatch, o Options) Pages {
	q := "“" + esc(query) + "”"
	if len(matches) == 0 {
		return pages([]string{"🔎 No customer matches " + q + ".", ageLine(o)})
	}
	noun := "matches"
	if len(matches) == 1 {
		noun = "match"
	}
	parts := []string{fmt.Sprintf("🔎 <b>%d %s</b> for %s", len(matches), noun, q), ageLine(o)}
	for _, m := range matches {
		b := "\n👤 " + bold(or(m.Name, "(no name)"))
		if m.Email != "" {
			b += "\n" + esc(m.Email)
		}
		b += "\nCustomer " + code(m.CustomerID)
		if m.AccountID != "" {
			b += "\nAccount " + code(m.AccountID)
		}
		if m.MatchingString != "" {
			b += "\n<i>matched " + esc(m.MatchingString)
			if m.MatchedValue != "" {
				b += ": " + esc(m.MatchedValue)
			}
			b += "</i>"
		}
		for _, l := range m.Locations {
			b += "\n🏠 " + esc(or(l.Name, "(unnamed)")) + " " + code(l.ID)
		}
		if len(m.Locations) == 0 && m.LocationID != "" {
			b += "\n🏠 " + code(m.LocationID)
		}
		parts = append(parts, b)
	}
	return pages(parts)
}

// Error is the friendly text for err: a *plume.Error's user message with an emoji by kind
// (🔒 credentials/access, ⏳ wait, ⚠️ other). Other errors get a generic text, because their
// text may hold URLs or secrets.
func Error(err error) string {
	if err == nil {
		return "⚠️ Something went wrong. Please try again."
	}
	var pe *plume.Error
	if errors.As(err, &pe) {
		e := "⚠️"
		switch pe.Kind {
		case plume.KindUnauthorized, plume.KindForbidden, plume.KindTokenFailed:
			e = "🔒"
		case plume.KindRateLimited, plume.KindTimeout:
			e = "⏳"
		}
		what := ""
		if pe.Endpoint != "" && pe.Kind != plume.KindInvalidInput {
			what = " (" + esc(pe.Endpoint) + ")"
		}
		return e + " " + esc(pe.UserMessage()) + what
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "⏳ That took too long. Please try again."
	}
	return "⚠️ Something went wrong. Please try again."
}
