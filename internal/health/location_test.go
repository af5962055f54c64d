package health

import (
	"testing"

	"plumebot/internal/plume"
)

// TestAnalyzeLocation: the watcher's verdict from the location and its pods follows /health's
// rules for what it reads, and nothing it does not read (devices, QoE) counts, neither as a
// warning nor as "unavailable".
func TestAnalyzeLocation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mod  func(s *Snapshot)
		want Level
	}{
		{"healthy", func(s *Snapshot) {}, LevelHealthy},
		{"offline status", func(s *Snapshot) { s.Location.NetworkStatus.Status = "offline" }, LevelOffline},
		{"no pod connected", func(s *Snapshot) {
			for i := range s.Nodes {
				s.Nodes[i].ConnectionState = "disconnected"
			}
		}, LevelOffline},
		{"no pods", func(s *Snapshot) { s.Nodes = nil }, LevelOffline},
		{"a pod down", func(s *Snapshot) { s.Nodes[1].ConnectionState = "disconnected" }, LevelIssues},
		{"basic service", func(s *Snapshot) { s.Location.ServiceLevel.Status = "basicService" }, LevelDegraded},
		{"pod in poor health", func(s *Snapshot) { s.Nodes[1].Health = &plume.Health{Status: "poor"} }, LevelDegraded},
		{"pod alert", func(s *Snapshot) { s.Nodes[1].Alerts = []plume.Alert{{Type: "highInterference"}} }, LevelDegraded},
		{"no location", func(s *Snapshot) { s.Location = nil }, LevelUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := good()
			s.Location = loc("online", "fullService")
			s.Nodes = []plume.Node{gw(), pod("P2", "connected", &plume.Health{Status: "good"})}
			tc.mod(&s)
			// What /health would add from the clients: a poor device, a device list that
			// failed, a poor QoE class. None of it is the watcher's.
			s.Devices = []plume.Device{dev("phone", "connected", 0, &plume.Health{Status: "poor"})}
			s.DevicesErr = errNotFound
			s.QoE = &plume.AppQoE{Recognized: true, Classes: []plume.QoEClass{{Name: "gaming", Score: 1, HasScore: true}}}
			r := AnalyzeLocation(s.Location, s.Nodes, now)
			if r.Level != tc.want {
				t.Fatalf("level %s, want %s; report %+v", r.Level, tc.want, r)
			}
			if len(r.Devices) != 0 || len(r.PoorQoE) != 0 || r.Counts.DevicesTotal != 0 {
				t.Errorf("devices or QoE in the report: %+v", r)
			}
			for _, u := range r.Unavailable {
				if u.Section != "location" {
					t.Errorf("section %s unavailable in a check that did not read it", u.Section)
				}
			}
			// The same location and pods with clients that add nothing: /health agrees.
			full := s
			full.Devices, full.DevicesErr, full.QoE = []plume.Device{}, nil, nil
			if got := Analyze(full, now).Level; got != r.Level {
				t.Errorf("/health says %s for the same location and pods, the watcher %s", got, r.Level)
			}
		})
	}
}
