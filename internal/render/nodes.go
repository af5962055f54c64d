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
	for _, n := range nodes {
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
	pods := plume.NamePods(nodes)
	for i, n := range nodes {
		parts = append(parts, "\n"+nodeBlock(n, i == gw, pods, o))
	}
	return pages(parts)
}

func nodeBlock(n plume.Node, gateway bool, pods plume.PodNames, o Options) string {
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
	if h := health.PodHealth(n.Health); h != "" {
		b.WriteString("\nHealth " + healthEmoji(h) + " " + esc(h))
		if n.Health.Score > 0 {
			b.WriteString(" (" + num(n.Health.Score) + "/5)")
		}
	}
	b.WriteString("\n" + backhaul(n.Backhaul(), pods.ParentOf(n)))
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
