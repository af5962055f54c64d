package render

import (
	"fmt"
	"sort"
	"strings"

	"plumebot/internal/health"
	"plumebot/internal/plume"
)

// Devices renders the device list: connected first, then offline (most recent first).
func Devices(devices []plume.Device, nodes []plume.Node, o Options) Pages {
	pods := plume.NamePods(nodes)
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
			parts = append(parts, deviceBlock(d, pods, o))
		}
	}
	if len(off) > 0 {
		parts = append(parts, fmt.Sprintf("\n🔴 <b>Offline (%d)</b>", len(off)))
		for _, d := range off {
			parts = append(parts, deviceBlock(d, pods, o))
		}
	}
	return pages(parts)
}

func deviceBlock(d plume.Device, pods plume.PodNames, o Options) string {
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
	if pod := pods.PodOf(d); pod != "" {
		where = append(where, "via "+esc(pod))
	}
	if d.AccessZone != "" && d.AccessZone != "home" {
		where = append(where, "zone "+esc(d.AccessZone))
	}
	if len(where) > 1 {
		b.WriteString("\n    " + strings.Join(where, " "))
	}
	if d.Connected() && health.PoorDeviceHealth(d.Health) {
		b.WriteString("\n    🔴 poor health") // exactly the devices the verdict warns about
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
