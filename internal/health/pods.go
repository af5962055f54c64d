package health

import (
	"fmt"
	"strings"
	"time"

	"plumebot/internal/plume"
)

// analyzeNodes adds the pods (gateway first) with their issues and warnings, and the gateway's
// speed test.
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
