package render

import (
	"strings"
	"testing"

	"plumebot/internal/health"
	"plumebot/internal/plume"
)

// TestDeviceHealthFollowsVerdict: /devices marks a device's health exactly when /health warns
// about it (README: only poor health is a warning; without a status word a score below 3). The
// device view had its own rule, which also flagged fair and degraded devices with 🟡, the
// legend's colour for warnings, on locations the verdict called healthy.
func TestDeviceHealthFollowsVerdict(t *testing.T) {
	t.Parallel()
	healths := map[string]*plume.Health{
		"poor-word":     {Status: "poor", Score: 2},
		"poor-score":    {Score: 2},
		"degraded-word": {Status: "degraded", Score: 3},
		"fair-word":     {Status: "fair", Score: 3},
		"fair-score":    {Score: 3.5},
		"healthy-word":  {Status: "healthy", Score: 5},
		"no-health":     nil,
	}
	var devices []plume.Device
	for name, h := range healths {
		d := device(len(devices), name, "connected", 0, "1HX2AB3CD4")
		d.Health = h
		devices = append(devices, d)
	}
	nodes := []plume.Node{gateway("Living room")}
	r := health.Analyze(health.Snapshot{CustomerID: custID, LocationID: locID, Location: location("Home", "online", 0, "fullService"),
		Nodes: nodes, Devices: devices}, now)
	warned := map[string]bool{}
	for _, d := range r.Devices {
		if d.Reason == health.DevicePoorHealth {
			warned[d.Name] = true
		}
	}
	if len(warned) != 2 || !warned["poor-word"] || !warned["poor-score"] {
		t.Fatalf("verdict warns about %v, want poor-word and poor-score", warned)
	}
	pods := plume.NamePods(nodes)
	for _, d := range devices {
		text := shown(t, Pages{deviceBlock(d, pods, Options{Now: now})})
		got := false // a line "<emoji> <word> health" under the device
		for _, line := range strings.Split(text, "\n") {
			got = got || strings.HasSuffix(line, " health")
		}
		if got != warned[d.Name] {
			t.Errorf("%s: health shown %v, verdict warns %v:\n%s", d.Name, got, warned[d.Name], text)
		}
	}
}

// TestPodHealthFollowsVerdict: a pod Plume scored without a status word shows the word the
// verdict read (it showed "⚪ score", the legend's "unknown", next to a warning about it).
func TestPodHealthFollowsVerdict(t *testing.T) {
	t.Parallel()
	nodes := []plume.Node{gateway("Living room"), pod("1HX2AB3CD5", "Bedroom", "connected", 0, &plume.Health{Score: 3.5})}
	r := health.Analyze(health.Snapshot{CustomerID: custID, LocationID: locID, Location: location("Home", "online", 0, "fullService"),
		Nodes: nodes}, now)
	if r.Pods[1].Health != "fair" {
		t.Fatalf("verdict reads %q, want fair", r.Pods[1].Health)
	}
	nodesView := shown(t, Nodes(nil, nodes, Options{Now: now}))
	if !strings.Contains(nodesView, "Health 🟡 fair (3.5/5)") {
		t.Errorf("nodes view does not show the verdict's fair:\n%s", nodesView)
	}
	healthView := shown(t, HealthReport(r, Options{Now: now}))
	if !strings.Contains(healthView, "📶 wifi 5G via Living room · 🟡 fair") {
		t.Errorf("health view does not show the pod's fair:\n%s", healthView)
	}
}
