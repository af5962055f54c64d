package health

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"plumebot/internal/plume"
)

var now = time.Date(2026, 11, 25, 14, 3, 0, 0, time.UTC)

func loc(status, service string) *plume.Location {
	return &plume.Location{ID: "loc", Name: "Home", CustomerID: "cust",
		NetworkStatus: plume.NetworkStatus{Status: status, StatusChangedAt: now.Add(-3 * time.Hour)},
		ServiceLevel:  plume.ServiceLevel{Status: service}}
}

func gw() plume.Node {
	return plume.Node{ID: "GW1", Nickname: "Living room", ConnectionState: "connected", BackhaulType: "ethernet",
		Health:    &plume.Health{Status: "excellent", Score: 5},
		SpeedTest: &plume.SpeedTest{Status: "succeeded", Download: 500, Upload: 40, RTT: 9, StartedAt: now.Add(-2 * time.Hour)}}
}

func pod(id, state string, h *plume.Health) plume.Node {
	return plume.Node{ID: id, Nickname: "Pod " + id, ConnectionState: state, BackhaulType: "wifi",
		ConnectionStateChangeAt: now.Add(-2 * time.Hour), Health: h,
		LeafToRoot: []plume.Hop{{ID: "GW1", FreqBand: "5G"}}}
}

func dev(name, state string, ago time.Duration, h *plume.Health) plume.Device {
	return plume.Device{Name: name, MAC: "aa:bb:cc:00:00:01", ConnectionState: state, Medium: "wifi", FreqBand: "5G",
		ConnectionStateChangeAt: now.Add(-ago), Health: h, LeafToRoot: []plume.Hop{{ID: "GW1"}}}
}

func good() Snapshot {
	return Snapshot{CustomerID: "cust", LocationID: "loc", Location: loc("online", "fullService"),
		Nodes: []plume.Node{gw(), pod("P2", "connected", &plume.Health{Status: "good"})},
		Devices: []plume.Device{dev("phone", "connected", time.Hour, &plume.Health{Status: "healthy"}),
			dev("old-tablet", "disconnected", 72*time.Hour, nil)},
		QoE: &plume.AppQoE{Recognized: true, Classes: []plume.QoEClass{{Name: "gaming", Score: 4.5, HasScore: true}}}}
}

var errNotFound = &plume.Error{Kind: plume.KindNotFound, Endpoint: "nodes", Status: 404}

func TestAnalyzeRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		mod      func(s *Snapshot)
		want     Level
		warnings int
		issues   int
		contains string // in issues+warnings+info+unavailable
	}{
		{"healthy", func(s *Snapshot) {}, LevelHealthy, 0, 0, "offline for more than"},
		{"location offline", func(s *Snapshot) { s.Location.NetworkStatus.Status = "offline" }, LevelOffline, 0, 1, "offline for 3 h"},
		{"location offline, nodes missing", func(s *Snapshot) {
			s.Location.NetworkStatus.Status = "offline"
			s.Nodes, s.NodesErr = nil, errNotFound
		}, LevelOffline, 0, 1, "Check the IDs"},
		{"no pod connected", func(s *Snapshot) {
			for i := range s.Nodes {
				s.Nodes[i].ConnectionState = "disconnected"
			}
		}, LevelOffline, 0, 1, "No pod is connected (2 of 2 disconnected)"},
		{"no pods at all", func(s *Snapshot) { s.Nodes = []plume.Node{} }, LevelOffline, 0, 1, "No pods"},
		{"one pod disconnected", func(s *Snapshot) { s.Nodes[1].ConnectionState = "disconnected" }, LevelIssues, 0, 1, "Pod P2 has been disconnected for 2 h"},
		{"pod fair health", func(s *Snapshot) { s.Nodes[1].Health = &plume.Health{Status: "fair", Score: 3} }, LevelDegraded, 1, 0, "fair health"},
		{"pod poor by score only", func(s *Snapshot) { s.Nodes[1].Health = &plume.Health{Score: 2} }, LevelDegraded, 1, 0, "poor health"},
		{"pod alert", func(s *Snapshot) { s.Nodes[1].Alerts = []plume.Alert{{Type: "highInterference"}} }, LevelDegraded, 1, 0, "highInterference"},
		{"device poor health", func(s *Snapshot) { s.Devices[0].Health = &plume.Health{Status: "poor"} }, LevelDegraded, 1, 0, "Device phone has poor health"},
		{"device poor by score only", func(s *Snapshot) { s.Devices[0].Health = &plume.Health{Score: 2} }, LevelDegraded, 1, 0, "Device phone has poor health"},
		{"device degraded health is no warning", func(s *Snapshot) { s.Devices[0].Health = &plume.Health{Status: "degraded", Score: 3} }, LevelHealthy, 0, 0, ""},
		{"device left 10 min ago", func(s *Snapshot) {
			s.Devices = append(s.Devices, dev("laptop", "disconnected", 10*time.Minute, nil))
		}, LevelDegraded, 1, 0, "laptop disconnected 10 min ago"},
		{"device left 61 min ago is info", func(s *Snapshot) {
			s.Devices = append(s.Devices, dev("laptop", "disconnected", 61*time.Minute, nil))
		}, LevelHealthy, 0, 0, "2 devices are offline"},
		{"poor QoE", func(s *Snapshot) { s.QoE.Classes[0].Score = 1.8 }, LevelDegraded, 1, 0, "Poor gaming experience (QoE 1.8/5)"},
		{"QoE at threshold is fine", func(s *Snapshot) { s.QoE.Classes[0].Score = PoorQoEThreshold }, LevelHealthy, 0, 0, ""},
		{"basic service", func(s *Snapshot) { s.Location.ServiceLevel.Status = "basicService" }, LevelDegraded, 1, 0, "basicService"},
		{"location unavailable", func(s *Snapshot) { s.Location, s.LocationErr = nil, errors.New("dial tcp: secret") }, LevelUnknown, 0, 0, "location: could not be fetched"},
		{"nodes unavailable", func(s *Snapshot) { s.Nodes, s.NodesErr = nil, errNotFound }, LevelUnknown, 0, 0, "nodes: Plume does not know"},
		{"nodes unavailable but one proven disconnected? no nodes → unknown even with warnings", func(s *Snapshot) {
			s.Nodes, s.NodesErr = nil, errNotFound
			s.Location.ServiceLevel.Status = "noService"
		}, LevelUnknown, 1, 0, "noService"},
		{"location unavailable, pod down → issues", func(s *Snapshot) {
			s.Location, s.LocationErr = nil, errNotFound
			s.Nodes[1].ConnectionState = "disconnected"
		}, LevelIssues, 0, 1, "location:"},
		{"devices unavailable", func(s *Snapshot) { s.Devices, s.DevicesErr = nil, &plume.Error{Kind: plume.KindTimeout} }, LevelDegraded, 1, 0, "did not answer in time"},
		{"QoE unrecognised", func(s *Snapshot) { s.QoE = &plume.AppQoE{} }, LevelHealthy, 0, 0, "qoe: QoE data format not recognised"},
		{"QoE error", func(s *Snapshot) { s.QoE, s.QoEErr = nil, errNotFound }, LevelHealthy, 0, 0, "qoe: Plume does not know"},
		{"QoE not requested", func(s *Snapshot) { s.QoE = nil }, LevelHealthy, 0, 0, ""},
		{"sparse: nothing optional", func(s *Snapshot) {
			s.Location = &plume.Location{ID: "loc"}
			s.Nodes = []plume.Node{{ID: "A", ConnectionState: "connected"}, {ID: "B", ConnectionState: "connected"}}
			s.Devices = []plume.Device{{MAC: "m1", ConnectionState: "connected"}, {MAC: "m2", ConnectionState: "disconnected"}}
			s.QoE = nil
		}, LevelHealthy, 0, 0, "1 device is offline"},
		{"sparse: unknown state pod", func(s *Snapshot) {
			s.Nodes = append(s.Nodes, plume.Node{ID: "C"})
		}, LevelIssues, 0, 1, "Pod C is not connected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := good()
			tt.mod(&s)
			r := Analyze(s, now)
			if r.Level != tt.want {
				t.Errorf("level = %v, want %v; report %+v", r.Level, tt.want, r)
			}
			if len(r.Warnings) != tt.warnings || len(r.Issues) != tt.issues {
				t.Errorf("warnings %q issues %q, want %d and %d", r.Warnings, r.Issues, tt.warnings, tt.issues)
			}
			all := strings.Join(append(append(append([]string{}, r.Issues...), r.Warnings...), r.Info...), "\n")
			for _, u := range r.Unavailable {
				all += "\n" + u.Section + ": " + u.Reason
			}
			if !strings.Contains(all, tt.contains) {
				t.Errorf("report texts %q do not contain %q", all, tt.contains)
			}
			if strings.Contains(all, "secret") || strings.Contains(all, "dial tcp") {
				t.Errorf("unknown error text leaked: %q", all)
			}
			if !strings.HasPrefix(strings.ToLower(r.Summary), r.Level.String()) {
				t.Errorf("summary %q does not start with level %v", r.Summary, r.Level)
			}
		})
	}
}

func TestAnalyzeDetails(t *testing.T) {
	t.Parallel()
	s := good()
	s.Nodes[0], s.Nodes[1] = s.Nodes[1], s.Nodes[0] // gateway second in Plume's order
	s.Devices = append(s.Devices, plume.Device{MAC: "m3", ConnectionState: "connected", Medium: "ethernet"})
	r := Analyze(s, now)
	if !r.Pods[0].Gateway || r.Pods[0].Serial != "GW1" {
		t.Errorf("gateway not first: %+v", r.Pods)
	}
	if p := r.Pods[1]; p.ParentName != "Living room" || p.Backhaul != "wifi 5G" {
		t.Errorf("pod parent/backhaul = %q/%q", p.ParentName, p.Backhaul)
	}
	if r.SpeedTest == nil || r.SpeedTest.Download != 500 {
		t.Errorf("speed test = %+v", r.SpeedTest)
	}
	want := Counts{PodsTotal: 2, PodsConnected: 2, DevicesTotal: 3, DevicesConnected: 2, ByBand: map[string]int{"5G": 1, "ethernet": 1}}
	if fmt.Sprint(r.Counts) != fmt.Sprint(want) {
		t.Errorf("counts = %+v, want %+v", r.Counts, want)
	}
	if len(r.Devices) != 1 || r.Devices[0].Reason != DeviceOffline || r.Devices[0].Warning || r.Devices[0].Pod != "Living room" {
		t.Errorf("devices = %+v", r.Devices)
	}
}

func TestLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		l           Level
		emoji, name string
		code        int
	}{
		{LevelUnknown, "⚪", "unknown", 3},
		{LevelHealthy, "🟢", "healthy", 0},
		{LevelDegraded, "🟡", "degraded", 1},
		{LevelIssues, "🟠", "issues", 2},
		{LevelOffline, "🔴", "offline", 2},
		{Level(42), "⚪", "unknown", 3},
	}
	for _, tt := range tests {
		if tt.l.Emoji() != tt.emoji || tt.l.String() != tt.name || tt.l.ExitCode() != tt.code {
			t.Errorf("%d: %s %s %d", int(tt.l), tt.l.Emoji(), tt.l, tt.l.ExitCode())
		}
	}
}

func TestReportJSON(t *testing.T) {
	t.Parallel()
	s := good()
	s.Nodes[1].ConnectionState = "disconnected"
	b, err := json.Marshal(Analyze(s, now))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["level"] != "issues" || m["locationId"] != "loc" {
		t.Errorf("json = %s", b)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || back.Level != LevelIssues {
		t.Errorf("round trip: %v %v", err, back.Level)
	}
}

func TestAgo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		want string
	}{
		{30 * time.Second, "just now"},
		{5 * time.Minute, "5 min ago"},
		{150 * time.Minute, "2 h 30 min ago"},
		{20 * time.Hour, "20 h ago"},
		{72 * time.Hour, "3 d ago"},
		{-5 * time.Minute, "in 5 min"},
	}
	for _, tt := range tests {
		if got := Ago(now.Add(-tt.d), now); got != tt.want {
			t.Errorf("Ago(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
	if Ago(time.Time{}, now) != "unknown" {
		t.Error("zero time")
	}
}

// HugeSnapshot is a location like the simulator's "huge" dataset: 14 pods, 320 devices.
func hugeSnapshot() Snapshot {
	s := good()
	s.Nodes = []plume.Node{gw()}
	for i := range 13 {
		s.Nodes = append(s.Nodes, pod(fmt.Sprintf("P%02d", i), "connected", &plume.Health{Status: "good", Score: 4}))
	}
	s.Devices = nil
	for i := range 320 {
		state := "connected"
		if i%7 == 0 {
			state = "disconnected"
		}
		s.Devices = append(s.Devices, dev(fmt.Sprintf("device number %d with a very long name for a test", i), state, time.Duration(i)*time.Minute, nil))
	}
	return s
}

func BenchmarkAnalyzeHuge(b *testing.B) {
	s := hugeSnapshot()
	b.ReportAllocs()
	for b.Loop() {
		Analyze(s, now)
	}
}

func TestPodHealth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		h    *plume.Health
		want string
	}{
		{nil, ""},
		{&plume.Health{}, ""},
		{&plume.Health{Status: "excellent", Score: 1}, "excellent"}, // the word wins over the score
		{&plume.Health{Status: "Fair"}, "fair"},
		{&plume.Health{Score: 5}, "good"},
		{&plume.Health{Score: 4}, "good"},
		{&plume.Health{Score: 3.9}, "fair"},
		{&plume.Health{Score: 3}, "fair"},
		{&plume.Health{Score: 2.9}, "poor"},
		{&plume.Health{Score: -1}, ""},
	}
	for _, tt := range tests {
		if got := PodHealth(tt.h); got != tt.want {
			t.Errorf("PodHealth(%+v) = %q, want %q", tt.h, got, tt.want)
		}
	}
}

func TestPoorDeviceHealth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		h    *plume.Health
		want bool
	}{
		{nil, false},
		{&plume.Health{}, false},
		{&plume.Health{Status: "poor"}, true},
		{&plume.Health{Status: "Poor", Score: 4}, true},
		{&plume.Health{Status: "degraded", Score: 2}, false}, // the word wins over the score
		{&plume.Health{Status: "fair"}, false},
		{&plume.Health{Status: "healthy"}, false},
		{&plume.Health{Score: 2.9}, true},
		{&plume.Health{Score: 3}, false},
	}
	for _, tt := range tests {
		if got := PoorDeviceHealth(tt.h); got != tt.want {
			t.Errorf("PoorDeviceHealth(%+v) = %v, want %v", tt.h, got, tt.want)
		}
	}
}

// TestPodHealthInReport: a pod Plume scored without a status word carries the word the verdict
// read, so a view shows the health the verdict used.
func TestPodHealthInReport(t *testing.T) {
	t.Parallel()
	s := good()
	s.Nodes[1].Health = &plume.Health{Score: 3.5}
	r := Analyze(s, now)
	if p := r.Pods[1]; p.Health != "fair" || p.HealthScore != 3.5 {
		t.Errorf("pod health = %q (%v), want fair (3.5)", p.Health, p.HealthScore)
	}
	if len(r.Warnings) != 1 || r.Warnings[0] != "Pod Pod P2 has fair health" {
		t.Errorf("warnings = %q", r.Warnings)
	}
}

// An offline location's devices are offline with it: "normal: phones leave home" is not said of
// them. An online location still says it of its long-offline devices.
func TestOfflineLocationDevicesAreNotPhonesLeavingHome(t *testing.T) {
	t.Parallel()
	s := good()
	s.Location.NetworkStatus.Status = "offline"
	for i := range s.Devices {
		s.Devices[i].ConnectionState = "disconnected"
	}
	r := Analyze(s, now)
	if r.Level != LevelOffline || len(r.Info) != 0 {
		t.Errorf("offline location: level %v, info %q; want offline and no word about phones", r.Level, r.Info)
	}
	if r.Counts.DevicesConnected != 0 || r.Counts.DevicesTotal != 2 {
		t.Errorf("counts %+v", r.Counts)
	}
	r = Analyze(good(), now)
	if len(r.Info) != 1 || !strings.Contains(r.Info[0], "phones leave home") {
		t.Errorf("online location: info %q", r.Info)
	}
}
