package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestQuickRun is the CI smoke run of cmd/plumebench --quick: every section is reported, and
// the figures that do not depend on the machine's speed are what the design promises.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole quick benchmark (~40 s)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Config{Quick: true})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	last := -1
	for _, s := range Sections {
		i := strings.Index(out, s)
		if i < 0 {
			t.Errorf("section %q missing from the report", s)
			continue
		}
		if i < last {
			t.Errorf("section %q out of order", s)
		}
		last = i
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatalf("JSON report does not round-trip: %v", err)
	}
	if len(back.Latency) != 6 || len(back.Throughput) != 2 || len(back.Targets) == 0 {
		t.Errorf("JSON: %d latency rows, %d throughput rows, %d targets", len(back.Latency), len(back.Throughput), len(back.Targets))
	}
	for _, l := range rep.Latency {
		if l.MissingReports != 0 || l.EndToEnd.N != l.Users {
			t.Errorf("%d users (paced %v): %d reports missing, %d measured", l.Users, l.Paced, l.MissingReports, l.EndToEnd.N)
		}
		// Each answer is cold: 4 Plume calls, none served from the cache, so latency is real.
		if l.UpstreamPerCmd != 4 {
			t.Errorf("%d users: %.2f upstream requests per answer, want 4", l.Users, l.UpstreamPerCmd)
		}
		if l.BotSide.Min < rep.Latency[0].L {
			t.Errorf("%d users: bot-side %.1f ms is below the simulated latency: not measuring a fetch", l.Users, l.BotSide.Min)
		}
	}
	if len(back.Pacing) != len(pacingLatencies) {
		t.Errorf("JSON: %d pacing rows, want %d", len(back.Pacing), len(pacingLatencies))
	}
	// Counts, not times: at Telegram's limits nobody is left out and Telegram refuses nothing.
	for _, l := range rep.Pacing {
		if l.MissingReports != 0 || l.Rejected429 != 0 {
			t.Errorf("pacing, L = %.0f ms: %d reports missing, %d × 429", l.L, l.MissingReports, l.Rejected429)
		}
	}
	u := rep.Upstream
	if u.ColdTotal != 4 || u.WarmTotal != 0 || !onceEach(u.SameByEndpoint) || u.SameAnswered != u.SameUsers {
		t.Errorf("upstream: cold %d, warm %d, same location %v (%d answered)", u.ColdTotal, u.WarmTotal, u.SameByEndpoint, u.SameAnswered)
	}
	if tk := rep.Tokens; tk.Failed != 0 || tk.Fetches < 2 || float64(tk.Fetches) > tk.Expected+1 {
		t.Errorf("tokens: %d fetches (expected ≈ %.1f), %d failed snapshots", tk.Fetches, tk.Expected, tk.Failed)
	}
	for _, th := range rep.Throughput {
		if th.Answered != th.Commands {
			t.Errorf("throughput %s: %d of %d answered", th.Cache, th.Answered, th.Commands)
		}
	}
	m := rep.Memory
	if !m.ConvVerified || m.HeapPerIdle <= 0 || m.HeapPerConv <= 0 || m.RSSAfter == 0 {
		t.Errorf("memory: %+v", m)
	}
	if b := rep.Burst; b.Answered != b.Users || b.Requests != 4*b.Users || b.LastAnswer < b.Ideal*0.9 {
		t.Errorf("burst: %d/%d answered, %d requests, last %.0f ms (floor %.0f ms)", b.Answered, b.Users, b.Requests, b.LastAnswer, b.Ideal)
	}
	// The watcher: each watch told once of the one change, never more than its budget, and
	// no alert before the change was seen by two checks (one interval at least).
	if w := rep.Watch; w.Alerts != w.Watches || w.DoubleAlerts != 0 || w.RequestsPerSec > w.Budget*1.05 ||
		w.Checks == 0 || w.ChangeToAlert.Min < w.FastInterval*1000*0.9 {
		t.Errorf("watcher: %d of %d alerted (%d twice), %.2f requests/s (budget %.1f), %d checks, first alert after %.0f ms (interval %.0f s)",
			w.Alerts, w.Watches, w.DoubleAlerts, w.RequestsPerSec, w.Budget, w.Checks, w.ChangeToAlert.Min, w.FastInterval)
	}
}

func TestDistOf(t *testing.T) {
	t.Parallel()
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	d := distOf(ds)
	if d.N != 100 || d.Min != 1 || d.P50 != 50 || d.P95 != 95 || d.P99 != 99 || d.Max != 100 || d.Mean != 50.5 {
		t.Errorf("distOf(1..100 ms) = %+v", d)
	}
	if z := distOf(nil); z.N != 0 {
		t.Errorf("distOf(nil) = %+v", z)
	}
}

func TestSpearman(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rank []int
		want float64
	}{
		{[]int{0, 1, 2, 3}, 1},
		{[]int{3, 2, 1, 0}, -1},
		{[]int{0}, 1},
	} {
		if got := spearman(tt.rank); got != tt.want {
			t.Errorf("spearman(%v) = %v, want %v", tt.rank, got, tt.want)
		}
	}
}
