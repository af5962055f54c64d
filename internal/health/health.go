// Package health turns a snapshot of a Plume location into a verdict an agent reads in two seconds.
// It is pure (no I/O); the README's "How plumebot decides the verdict" is the same rules for operators.
//
// Levels, worst first:
//   - offline: the location's networkStatus is "offline", or no pod is connected (or there are none);
//   - issues: online, but one or more pods are disconnected (each one an issue);
//   - degraded: only warnings: a connected pod with fair/poor health or an active alert, a connected
//     device with poor health, a device that disconnected within RecentDisconnect, a traffic class
//     with a QoE score below PoorQoEThreshold, a service level other than fullService, or the device
//     list unavailable. Devices offline for longer are information, not warnings (phones leave home);
//   - healthy: none of the above.
//
// Partial data: when the location or the nodes are unavailable the verdict is at best unknown
// (offline or issues still show when the data that is there proves them). A QoE answer whose
// shape was not recognised is reported as an unavailable section, never as healthy.
package health

import (
	"errors"
	"fmt"
	"sort"
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

// Level is the overall verdict.
type Level int

// Levels, from "could not tell" to worst.
const (
	LevelUnknown Level = iota
	LevelHealthy
	LevelDegraded
	LevelIssues
	LevelOffline
)

var levelNames = [...]string{"unknown", "healthy", "degraded", "issues", "offline"}

// Emoji is the level's colour in the one legend: ⚪ 🟢 🟡 🟠 🔴.
func (l Level) Emoji() string {
	switch l {
	case LevelHealthy:
		return "🟢"
	case LevelDegraded:
		return "🟡"
	case LevelIssues:
		return "🟠"
	case LevelOffline:
		return "🔴"
	}
	return "⚪"
}

// String is the level's lower-case name ("healthy").
func (l Level) String() string {
	if l < 0 || int(l) >= len(levelNames) {
		return levelNames[0]
	}
	return levelNames[l]
}

// ExitCode follows the monitoring-plugin convention (Nagios/Icinga): healthy 0 (OK),
// degraded 1 (WARNING), issues and offline 2 (CRITICAL), unknown 3 (UNKNOWN).
func (l Level) ExitCode() int {
	switch l {
	case LevelHealthy:
		return 0
	case LevelDegraded:
		return 1
	case LevelIssues, LevelOffline:
		return 2
	}
	return 3
}

// MarshalText makes the level a string in JSON ("level": "degraded").
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText parses a level name.
func (l *Level) UnmarshalText(b []byte) error {
	for i, n := range levelNames {
		if string(b) == n {
			*l = Level(i)
			return nil
		}
	}
	return fmt.Errorf("health: unknown level %q", b)
}

// Report is the analysis of a Snapshot. Texts are plain (not HTML): renderers escape them.
type Report struct {
	Level         Level     `json:"level"`
	Summary       string    `json:"summary"`
	CustomerID    string    `json:"customerId"`
	LocationID    string    `json:"locationId"`
	LocationName  string    `json:"locationName,omitempty"`
	NetworkStatus string    `json:"networkStatus,omitempty"` // online, offline, "" unknown
	StatusSince   time.Time `json:"statusSince,omitzero"`
	ServiceLevel  string    `json:"serviceLevel,omitempty"`

	Issues   []string `json:"issues"`
	Warnings []string `json:"warnings"`
	Info     []string `json:"info"`

	Pods             []PodReport    `json:"pods"` // gateway first, then Plume's order
	DisconnectedPods []PodReport    `json:"disconnectedPods"`
	Devices          []DeviceReport `json:"devices"` // devices that matter: warnings first, then info
	PoorQoE          []QoEReport    `json:"poorQoe"`
	SpeedTest        *SpeedTest     `json:"speedTest,omitempty"`
	Counts           Counts         `json:"counts"`
	Unavailable      []Unavailable  `json:"unavailable"`
	FetchedAt        time.Time      `json:"fetchedAt,omitzero"`
}

// PodReport is one pod as the report shows it.
type PodReport struct {
	Name        string    `json:"name"`
	Serial      string    `json:"serial"`
	Model       string    `json:"model,omitempty"`
	State       string    `json:"state"` // connected, disconnected, unavailable, "" unknown
	Since       time.Time `json:"since,omitzero"`
	Health      string    `json:"health,omitempty"` // PodHealth: excellent, good, fair, poor
	HealthScore float64   `json:"healthScore,omitempty"`
	Backhaul    string    `json:"backhaul,omitempty"` // ethernet, wifi, wifi 5G
	ParentName  string    `json:"parentName,omitempty"`
	Alerts      []string  `json:"alerts,omitempty"`
	Gateway     bool      `json:"gateway"`
	Devices     int       `json:"devices"` // connectedDeviceCount
}

// Connected reports whether the pod was connected.
func (p PodReport) Connected() bool { return p.State == "connected" }

// Device note kinds.
const (
	DevicePoorHealth   = "poor health"           // warning
	DeviceRecentlyLeft = "recently disconnected" // warning
	DeviceOffline      = "offline"               // info
)

// DeviceReport is a device worth mentioning and why.
type DeviceReport struct {
	Name    string    `json:"name"`
	MAC     string    `json:"mac"`
	Pod     string    `json:"pod,omitempty"` // pod name
	State   string    `json:"state"`
	Since   time.Time `json:"since,omitzero"`
	Health  string    `json:"health,omitempty"`
	Reason  string    `json:"reason"` // one of the Device* kinds
	Warning bool      `json:"warning"`
}

// QoEReport is a traffic class with a poor score.
type QoEReport struct {
	Class   string  `json:"class"`
	Score   float64 `json:"score"`
	Devices int     `json:"devices,omitempty"`
}

// SpeedTest is the gateway's last ISP speed test.
type SpeedTest struct {
	StartedAt time.Time `json:"startedAt,omitzero"`
	Status    string    `json:"status,omitempty"`
	Download  float64   `json:"downloadMbps"`
	Upload    float64   `json:"uploadMbps"`
	RTT       float64   `json:"rttMs"`
	ISP       string    `json:"isp,omitempty"`
	Server    string    `json:"server,omitempty"`
}

// Counts are totals of pods and devices; ByBand counts connected devices by band
// ("2.4G", "5G", "6G", "ethernet", "other").
type Counts struct {
	PodsTotal        int            `json:"podsTotal"`
	PodsConnected    int            `json:"podsConnected"`
	DevicesTotal     int            `json:"devicesTotal"`
	DevicesConnected int            `json:"devicesConnected"`
	ByBand           map[string]int `json:"byBand"`
}

// Unavailable names a section that could not be fetched or read, with a user-safe reason.
type Unavailable struct {
	Section string `json:"section"` // location, nodes, devices, qoe
	Reason  string `json:"reason"`
}

// Reason is a user-safe text for err: a *plume.Error's UserMessage, else a generic phrase
// (other errors may carry URLs or secrets, so their text is never shown).
func Reason(err error) string {
	var pe *plume.Error
	if errors.As(err, &pe) {
		return pe.UserMessage()
	}
	return "could not be fetched"
}

// Ago formats how long ago t was, relative to now: "just now", "5 min ago", "2 h ago", "3 d ago";
// "unknown" for a zero time.
func Ago(t, now time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	d := now.Sub(t)
	if d < 0 {
		if d > -time.Minute {
			return "just now"
		}
		return "in " + Duration(-d)
	}
	if d < time.Minute {
		return "just now"
	}
	return Duration(d) + " ago"
}

// Duration formats d coarsely for people: "25 s", "5 min", "2 h", "2 h 30 min", "3 d".
func Duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 10*time.Hour && d%time.Hour >= time.Minute:
		return fmt.Sprintf("%d h %d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	}
	return fmt.Sprintf("%d d", int(d/(24*time.Hour)))
}

// Analyze applies the rules to s at time now.
func Analyze(s Snapshot, now time.Time) Report {
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
	if !devicesKnown {
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
	if devicesKnown {
		r.analyzeDevices(s.Devices, podNames, now)
	} else {
		r.Warnings = append(r.Warnings, "Device list unavailable: "+Reason(s.DevicesErr))
	}
	r.analyzeQoE(s.QoE, s.QoEErr)

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

func (r *Report) analyzeNodes(nodes []plume.Node, podNames plume.PodNames, now time.Time) {
	gw := GatewayIndex(nodes)
	order := make([]int, 0, len(nodes))
	if gw >= 0 {
		order = append(order, gw)
	}
	for i := range nodes {
		if i != gw {
			order = append(order, i)
		}
	}
	var podIssues []string
	for _, i := range order {
		n := nodes[i]
		p := PodReport{
			Name:    n.Name(),
			Serial:  n.ID,
			Model:   n.Model,
			State:   n.ConnectionState,
			Since:   n.ConnectionStateChangeAt,
			Gateway: i == gw,
			Devices: n.ConnectedDeviceCount,
		}
		if p.Serial == "" {
			p.Serial = n.SerialNumber
		}
		if n.Health != nil {
			p.Health, p.HealthScore = PodHealth(n.Health), n.Health.Score
		}
		p.Backhaul, p.ParentName = n.Backhaul(), podNames.ParentOf(n)
		for _, a := range n.Alerts {
			if a.Type != "" {
				p.Alerts = append(p.Alerts, a.Type)
			}
		}
		r.Counts.PodsTotal++
		if n.Connected() {
			r.Counts.PodsConnected++
			if h := PodHealth(n.Health); h == "fair" || h == "poor" {
				r.Warnings = append(r.Warnings, fmt.Sprintf("Pod %s has %s health", p.Name, h))
			}
		} else {
			r.DisconnectedPods = append(r.DisconnectedPods, p)
			state := n.ConnectionState
			if state == "" {
				state = "not connected"
			}
			msg := fmt.Sprintf("Pod %s is %s", p.Name, state)
			if !p.Since.IsZero() && !p.Since.After(now) {
				msg = fmt.Sprintf("Pod %s has been %s for %s", p.Name, state, Duration(now.Sub(p.Since)))
			}
			podIssues = append(podIssues, msg)
		}
		if len(p.Alerts) > 0 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("Pod %s has an active alert: %s", p.Name, strings.Join(p.Alerts, ", ")))
		}
		r.Pods = append(r.Pods, p)
		if i == gw && n.SpeedTest != nil {
			st := n.SpeedTest
			r.SpeedTest = &SpeedTest{StartedAt: st.StartedAt, Status: st.Status, Download: st.Download,
				Upload: st.Upload, RTT: st.RTT, ISP: st.ISP, Server: st.ServerName}
			if st.Status != "" && st.Status != "succeeded" {
				r.Info = append(r.Info, "The last speed test did not succeed ("+st.Status+")")
			}
		}
	}
	// With no pod up, one "No pod is connected" issue says it all (added by Analyze).
	if r.Counts.PodsConnected > 0 {
		r.Issues = append(r.Issues, podIssues...)
	}
}

// GatewayIndex returns the index of the gateway among nodes, or -1: a node flagged
// residentialGateway, else the first node without a parent chain, preferring one with a speed test.
func GatewayIndex(nodes []plume.Node) int {
	for i, n := range nodes {
		if n.ResidentialGateway {
			return i
		}
	}
	first := -1
	for i, n := range nodes {
		if len(n.LeafToRoot) == 0 {
			if n.SpeedTest != nil {
				return i
			}
			if first < 0 {
				first = i
			}
		}
	}
	return first
}

// PodHealth is a pod's health in the word the verdict reads: Plume's status word in lower case
// (excellent, good, fair, poor) or, without one, the word its 1..5 score stands for (4 and up
// good, 3 up to 4 fair, below 3 poor); "" when Plume gave neither. Fair and poor are warnings.
func PodHealth(h *plume.Health) string {
	switch {
	case h == nil:
		return ""
	case h.Status != "":
		return strings.ToLower(h.Status)
	case h.Score >= 4:
		return "good"
	case h.Score >= 3:
		return "fair"
	case h.Score > 0:
		return "poor"
	}
	return ""
}

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

func (r *Report) analyzeDevices(devs []plume.Device, podNames plume.PodNames, now time.Time) {
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
	if len(info) > 0 {
		sort.SliceStable(info, func(i, j int) bool { return info[i].Since.After(info[j].Since) })
		noun := "devices are"
		if len(info) == 1 {
			noun = "device is"
		}
		r.Info = append(r.Info, fmt.Sprintf("%d %s offline for more than %s (normal: phones leave home)",
			len(info), noun, Duration(RecentDisconnect)))
	}
	r.Devices = append(append(r.Devices, warn...), info...)
}

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

// ClassLabel turns a traffic class name into words: "video_conferencing" → "video conferencing",
// "av_streaming" → "streaming".
func ClassLabel(name string) string {
	switch name {
	case "av_streaming":
		return "streaming"
	case "":
		return "unnamed class"
	}
	return strings.ReplaceAll(name, "_", " ")
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
				parts = append(parts, u.Section)
			}
		}
		s = "Unknown: " + strings.Join(parts, " and ") + " unavailable"
	}
	if r.Level != LevelUnknown && len(r.Unavailable) > 0 {
		s += " (some data unavailable)"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func lowerFirst(s string) string {
	if s != "" && s[0] >= 'A' && s[0] <= 'Z' {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}
