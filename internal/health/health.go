// Package health turns a snapshot of a Plume location into a verdict an agent reads in two seconds.
// It is pure (no I/O); the README's "How plumebot decides the verdict" is the same rules for operators.
//
// Levels, worst first:
//   - offline: the location's networkStatus is "offline", or no pod is connected (or there are none);
//   - issues: online, but one or more pods are disconnected (each one an issue);
//   - degraded: only warnings: a connected pod with fair/poor health (PodHealth) or an active alert,
//     a connected device with poor health (PoorDeviceHealth), a device that disconnected within RecentDisconnect, a traffic class
//     with a QoE score below PoorQoEThreshold, a service level other than fullService, or the device
//     list unavailable. Devices offline for longer are information, not warnings (phones leave home);
//   - healthy: none of the above.
//
// Partial data: when the location or the nodes are unavailable the verdict is at best unknown
// (offline or issues still show when the data that is there proves them). A QoE answer whose
// shape was not recognised is reported as an unavailable section, never as healthy.
package health

import (
	"fmt"
	"strings"
	"time"

	"plumebot/internal/plume"
)

// RecentDisconnect is how long a device disconnect counts as a warning; older ones are info.
const RecentDisconnect = time.Hour

// PoorQoEThreshold: a traffic class whose QoE score (0..5, higher is better) is below this is
// poor. AppQoE's scale is unpublished (see plume.AppQoE): this is the one place to tune it once
// live data is seen.
const PoorQoEThreshold = 3.0

// Snapshot is what was fetched for one location; each part may be missing with its error.
type Snapshot struct {
	CustomerID, LocationID string
	Location               *plume.Location
	LocationErr            error
	Nodes                  []plume.Node
	NodesErr               error // NodesErr != nil → section unavailable
	Devices                []plume.Device
	DevicesErr             error
	QoE                    *plume.AppQoE
	QoEErr                 error     // QoE nil and QoEErr nil → not requested
	FetchedAt              time.Time // when the data was fetched (for "data age" when served from cache)
}

// Analyze applies the rules to s at time now.
func Analyze(s Snapshot, now time.Time) Report { return analyze(s, now, true) }

// AnalyzeLocation applies the rules to a location and its pods alone, the watcher's check
// (GET …/locations/{id}, plume-api.md §5.3, and …/nodes, §5.1): devices and QoE are not part
// of it, so they are neither warnings nor "unavailable", and the level comes from the
// network status, the service level and the pods (offline, issues, degraded or healthy; unknown
// when loc is nil). The report lists no devices, QoE or device counts.
func AnalyzeLocation(loc *plume.Location, nodes []plume.Node, now time.Time) Report {
	return analyze(Snapshot{Location: loc, Nodes: nodes, FetchedAt: now}, now, false)
}

// analyze is Analyze; withClients false leaves the devices and QoE out of the verdict.
func analyze(s Snapshot, now time.Time, withClients bool) Report {
	r := Report{
		CustomerID:  s.CustomerID,
		LocationID:  s.LocationID,
		FetchedAt:   s.FetchedAt,
		Issues:      []string{},
		Warnings:    []string{},
		Info:        []string{},
		Pods:        []PodReport{},
		Devices:     []DeviceReport{},
		PoorQoE:     []QoEReport{},
		Unavailable: []Unavailable{},
		Counts:      Counts{ByBand: map[string]int{}},
	}
	locKnown := s.LocationErr == nil && s.Location != nil
	nodesKnown := s.NodesErr == nil
	devicesKnown := s.DevicesErr == nil

	if !locKnown {
		r.unavailable("location", s.LocationErr)
	}
	if !nodesKnown {
		r.unavailable("nodes", s.NodesErr)
	}
	if withClients && !devicesKnown {
		r.unavailable("devices", s.DevicesErr)
	}

	offline := false
	if locKnown {
		loc := s.Location
		r.LocationName = loc.Name
		if r.LocationID == "" {
			r.LocationID = loc.ID
		}
		if r.CustomerID == "" {
			r.CustomerID = loc.CustomerID
		}
		r.NetworkStatus = loc.NetworkStatus.Status
		r.StatusSince = loc.NetworkStatus.StatusChangedAt
		r.ServiceLevel = loc.ServiceLevel.Status
		if strings.EqualFold(loc.NetworkStatus.Status, "offline") {
			offline = true
			msg := "The location is offline"
			if !r.StatusSince.IsZero() && !r.StatusSince.After(now) {
				msg = "The location has been offline for " + Duration(now.Sub(r.StatusSince))
			}
			r.Issues = append(r.Issues, msg)
		}
		if sl := loc.ServiceLevel.Status; sl != "" && sl != "fullService" {
			r.Warnings = append(r.Warnings, fmt.Sprintf("Service level is %s, not fullService", sl))
		}
	}

	podNames := plume.NamePods(s.Nodes)
	if nodesKnown {
		r.analyzeNodes(s.Nodes, podNames, now)
		if r.Counts.PodsConnected == 0 {
			offline = true
			if r.Counts.PodsTotal == 0 {
				r.Issues = append(r.Issues, "No pods at this location")
			} else {
				r.Issues = append(r.Issues, fmt.Sprintf("No pod is connected (%d of %d disconnected)", r.Counts.PodsTotal, r.Counts.PodsTotal))
			}
		}
	}
	switch {
	case !withClients:
	case devicesKnown:
		r.analyzeDevices(s.Devices, podNames, now, offline)
	default:
		r.Warnings = append(r.Warnings, "Device list unavailable: "+Reason(s.DevicesErr))
	}
	if withClients {
		r.analyzeQoE(s.QoE, s.QoEErr)
	}

	switch {
	case offline:
		r.Level = LevelOffline
	case len(r.DisconnectedPods) > 0:
		r.Level = LevelIssues
	case !locKnown || !nodesKnown:
		r.Level = LevelUnknown
	case len(r.Warnings) > 0:
		r.Level = LevelDegraded
	default:
		r.Level = LevelHealthy
	}
	r.Summary = r.summary()
	return r
}

func (r *Report) unavailable(section string, err error) {
	reason := "not available"
	if err != nil {
		reason = Reason(err)
	}
	r.Unavailable = append(r.Unavailable, Unavailable{Section: section, Reason: reason})
}

func (r *Report) analyzeQoE(q *plume.AppQoE, err error) {
	switch {
	case err != nil:
		r.unavailable("qoe", err)
		return
	case q == nil:
		return // not requested
	case !q.Recognized:
		r.Unavailable = append(r.Unavailable, Unavailable{Section: "qoe", Reason: "QoE data format not recognised"})
		return
	case len(q.Classes) == 0:
		r.Info = append(r.Info, "No QoE data for this location (AppQoE may be disabled)")
		return
	}
	for _, c := range q.Classes {
		if c.HasScore && c.Score < PoorQoEThreshold {
			r.PoorQoE = append(r.PoorQoE, QoEReport{Class: c.Name, Score: c.Score, Devices: c.Devices})
			r.Warnings = append(r.Warnings, fmt.Sprintf("Poor %s experience (QoE %.1f/5)", ClassLabel(c.Name), c.Score))
		}
	}
}

func (r *Report) summary() string {
	c := r.Counts
	var s string
	switch r.Level {
	case LevelOffline:
		s = "Offline"
		if len(r.Issues) > 0 {
			s += ": " + lowerFirst(r.Issues[0])
		}
	case LevelIssues:
		s = fmt.Sprintf("Issues: %d of %d pods disconnected", len(r.DisconnectedPods), c.PodsTotal)
	case LevelDegraded:
		s = fmt.Sprintf("Degraded: %d %s", len(r.Warnings), plural(len(r.Warnings), "warning", "warnings"))
	case LevelHealthy:
		s = fmt.Sprintf("Healthy: %d/%d pods and %d %s connected", c.PodsConnected, c.PodsTotal, c.DevicesConnected,
			plural(c.DevicesConnected, "device", "devices"))
	default:
		var parts []string
		for _, u := range r.Unavailable {
			if u.Section == "location" || u.Section == "nodes" {
				parts = append(parts, SectionName(u.Section))
			}
		}
		s = "Unknown: " + strings.Join(parts, " and ") + " unavailable"
	}
	if r.Level != LevelUnknown && len(r.Unavailable) > 0 {
		s += " (some data unavailable)"
	}
	return s
}
