package render

import (
	"fmt"
	"strings"

	"plumebot/internal/health"
	"plumebot/internal/plume"
)

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
