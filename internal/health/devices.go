package health

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"plumebot/internal/plume"
)

// PoorDeviceHealth reports whether a device's health is poor, the one device health that is a
// warning (Plume's device words are healthy, degraded, poor; "degraded" is not a warning): the
// status "poor" or, without a status word, a 1..5 score below 3. Views mark a device's health
// exactly when this holds, so a view never flags what the verdict ignores.
func PoorDeviceHealth(h *plume.Health) bool {
	if h == nil {
		return false
	}
	if h.Status != "" {
		return strings.EqualFold(h.Status, "poor")
	}
	return h.Score > 0 && h.Score < 3
}

// analyzeDevices counts the devices and adds the ones that matter: warnings (poor health, left
// within RecentDisconnect) first, then the ones offline for longer (information, unless the
// whole location is offline: then the devices are offline with it, not "phones leaving home").
func (r *Report) analyzeDevices(devs []plume.Device, podNames plume.PodNames, now time.Time, offline bool) {
	var warn, info []DeviceReport
	for _, d := range devs {
		r.Counts.DevicesTotal++
		dr := DeviceReport{Name: d.DisplayName(), MAC: d.MAC, Pod: podNames.PodOf(d), State: d.ConnectionState,
			Since: d.ConnectionStateChangeAt}
		if d.Health != nil {
			dr.Health = d.Health.Status
		}
		if d.Connected() {
			r.Counts.DevicesConnected++
			r.Counts.ByBand[band(d)]++
			if PoorDeviceHealth(d.Health) {
				dr.Reason, dr.Warning = DevicePoorHealth, true
				warn = append(warn, dr)
				r.Warnings = append(r.Warnings, fmt.Sprintf("Device %s has poor health", dr.Name))
			}
			continue
		}
		// A zero time is "unknown when": treated as long ago, so it is info, not a warning.
		if !dr.Since.IsZero() && now.Sub(dr.Since) <= RecentDisconnect {
			dr.Reason, dr.Warning = DeviceRecentlyLeft, true
			warn = append(warn, dr)
			r.Warnings = append(r.Warnings, fmt.Sprintf("Device %s disconnected %s", dr.Name, Ago(dr.Since, now)))
			continue
		}
		dr.Reason = DeviceOffline
		info = append(info, dr)
	}
	sort.SliceStable(info, func(i, j int) bool { return info[i].Since.After(info[j].Since) })
	if len(info) > 0 && !offline {
		noun := "devices are"
		if len(info) == 1 {
			noun = "device is"
		}
		r.Info = append(r.Info, fmt.Sprintf("%d %s offline for more than %s (normal: phones leave home)",
			len(info), noun, Duration(RecentDisconnect)))
	}
	r.Devices = append(append(r.Devices, warn...), info...)
}

// band is the Counts.ByBand key of a connected device.
func band(d plume.Device) string {
	switch {
	case strings.EqualFold(d.Medium, "ethernet"):
		return "ethernet"
	case d.FreqBand == "2.4G" || d.FreqBand == "5G" || d.FreqBand == "6G":
		return d.FreqBand
	case strings.EqualFold(d.FreqBand, "2.4g"), strings.EqualFold(d.FreqBand, "2g"):
		return "2.4G"
	case strings.EqualFold(d.FreqBand, "5g"), strings.HasPrefix(strings.ToLower(d.FreqBand), "5g"):
		return "5G"
	case strings.EqualFold(d.FreqBand, "6g"):
		return "6G"
	}
	return "other"
}
