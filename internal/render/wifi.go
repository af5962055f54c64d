package render

import (
	"fmt"
	"strings"

	"plumebot/internal/plume"
)

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
