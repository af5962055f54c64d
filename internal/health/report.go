package health

import (
	"errors"
	"fmt"
	"time"

	"plumebot/internal/plume"
)

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
