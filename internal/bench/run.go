package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"
)

// Config chooses the run's size.
type Config struct {
	Quick    bool          // small counts, for CI smoke runs
	L        time.Duration // simulated Plume latency per call for the latency sections; default 100 ms
	Progress io.Writer     // one line per section as it starts; nil = silent
	Only     string        // "watch": only the watcher scenario; "": every section
}

// Report is every figure of a run (issue 6, "Build").
type Report struct {
	Mode       string             `json:"mode"`
	Machine    Machine            `json:"machine"`
	Started    time.Time          `json:"started"`
	Duration   float64            `json:"duration_ms"`
	Latency    []LatencyResult    `json:"health_latency"`
	Pacing     []LatencyResult    `json:"pacing"` // issue 10 §5: the same, at Telegram's limits, L = 100 ms and 0
	Throughput []ThroughputResult `json:"throughput"`
	Upstream   UpstreamResult     `json:"upstream"`
	Tokens     TokenResult        `json:"tokens"`
	Memory     MemoryResult       `json:"memory"`
	Intake     IntakeResult       `json:"telegram_intake"`
	Burst      BurstResult        `json:"rate_limited_burst"`
	Watch      WatchResult        `json:"watcher"`
	Targets    []Target           `json:"targets"`
}

// Target is one of issue 6's targets and whether this run met it.
type Target struct {
	Name     string `json:"name"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
}

// sizes are the counts of one mode.
type sizes struct {
	latencyUsers          []int
	coldN, warmN, workers int
	same                  int
	tokenTTL, tokenRun    time.Duration
	tokenConc             int
	rssUsers, idle, convs int
	intake                int
	burst                 int
	pacingUsers           int
}

var (
	full = sizes{latencyUsers: []int{1, 50, 100, 1000}, coldN: 2000, warmN: 20000, workers: 64, same: 50,
		tokenTTL: 2 * time.Second, tokenRun: 6 * time.Second, tokenConc: 32,
		rssUsers: 10000, idle: 100000, convs: 10000, intake: 5000, burst: 100, pacingUsers: 50}
	quick = sizes{latencyUsers: []int{1, 10, 30}, coldN: 200, warmN: 1000, workers: 64, same: 50,
		tokenTTL: 2 * time.Second, tokenRun: 2500 * time.Millisecond, tokenConc: 8,
		rssUsers: 500, idle: 5000, convs: 300, intake: 500, burst: 8, pacingUsers: 50}
)

// Run performs every section and returns the report. Memory comes first, while the process is
// still small, so that RSS is not inflated by what earlier sections allocated.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.L <= 0 {
		cfg.L = 100 * time.Millisecond
	}
	sz, mode := full, "full"
	if cfg.Quick {
		sz, mode = quick, "quick"
	}
	rep := &Report{Mode: mode, Machine: machine(), Started: time.Now()}
	w, err := newWorld()
	if err != nil {
		return nil, err
	}
	defer w.close()
	step := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "plumebench: "+format+"\n", args...)
		}
	}
	wsz := watchFull
	if cfg.Quick {
		wsz = watchQuick
	}
	switch cfg.Only {
	case "watch":
		step("watcher: %d watches, L=%s", wsz.n, cfg.L)
		if err := w.watchScenario(ctx, wsz, cfg.L, &rep.Watch); err != nil {
			return nil, fmt.Errorf("watcher: %w", err)
		}
		rep.Duration = ms(time.Since(rep.Started))
		rep.Targets = watchTargets(rep.Watch)
		return rep, nil
	case "":
	default:
		return nil, fmt.Errorf("unknown section %q (want watch, or nothing for all)", cfg.Only)
	}

	step("memory: RSS at %d users", sz.rssUsers)
	if err := w.memoryRSS(ctx, sz.rssUsers, &rep.Memory); err != nil {
		return nil, fmt.Errorf("memory rss: %w", err)
	}
	step("memory: %d idle users", sz.idle)
	if err := w.memoryIdle(ctx, sz.idle, &rep.Memory); err != nil {
		return nil, fmt.Errorf("memory idle: %w", err)
	}
	step("memory: %d /auth conversations", sz.convs)
	if err := w.memoryConversations(ctx, sz.convs, &rep.Memory); err != nil {
		return nil, fmt.Errorf("memory conversations: %w", err)
	}
	for _, paced := range []bool{true, false} {
		for _, n := range sz.latencyUsers {
			step("latency: %d users, L=%s, telegram pacing %v", n, cfg.L, paced)
			r, err := w.latencyScenario(ctx, n, cfg.L, paced)
			if err != nil {
				return nil, fmt.Errorf("latency: %w", err)
			}
			rep.Latency = append(rep.Latency, r)
		}
	}
	for _, L := range pacingLatencies {
		step("pacing: %d users at once, L=%s, Telegram's limits on", sz.pacingUsers, L)
		r, err := w.latencyScenario(ctx, sz.pacingUsers, L, true)
		if err != nil {
			return nil, fmt.Errorf("pacing: %w", err)
		}
		rep.Pacing = append(rep.Pacing, r)
	}
	for _, cold := range []bool{true, false} {
		n := sz.warmN
		if cold {
			n = sz.coldN
		}
		step("throughput: %d /health, cold=%v", n, cold)
		r, err := w.throughput(ctx, n, sz.workers, cold)
		if err != nil {
			return nil, fmt.Errorf("throughput: %w", err)
		}
		rep.Throughput = append(rep.Throughput, r)
	}
	step("upstream requests")
	if rep.Upstream, err = w.upstream(ctx, sz.same, cfg.L); err != nil {
		return nil, fmt.Errorf("upstream: %w", err)
	}
	step("token fetches: TTL %s for %s", sz.tokenTTL, sz.tokenRun)
	if rep.Tokens, err = w.tokens(ctx, sz.tokenTTL, sz.tokenRun, sz.tokenConc, 20*time.Millisecond); err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	step("telegram intake: %d updates", sz.intake)
	if rep.Intake, err = intakeScenario(ctx, sz.intake); err != nil {
		return nil, fmt.Errorf("intake: %w", err)
	}
	step("rate-limited burst: %d users at 6/s", sz.burst)
	if rep.Burst, err = w.burst(ctx, sz.burst, 6, 6, cfg.L); err != nil {
		return nil, fmt.Errorf("burst: %w", err)
	}
	step("watcher: %d watches, L=%s", wsz.n, cfg.L)
	if err := w.watchScenario(ctx, wsz, cfg.L, &rep.Watch); err != nil {
		return nil, fmt.Errorf("watcher: %w", err)
	}
	rep.Duration = ms(time.Since(rep.Started))
	rep.Targets = append(targets(rep, cfg.L), watchTargets(rep.Watch)...)
	return rep, nil
}

// pacingLatencies are the Plume latencies of issue 10 §5's pacing targets.
var pacingLatencies = []time.Duration{100 * time.Millisecond, 0}

// pacingTargets are issue 10 §5's: 50 simultaneous /health with Telegram's limits on.
func pacingTargets(r *Report) []Target {
	var ts []Target
	for _, l := range r.Pacing {
		name := fmt.Sprintf("%d simultaneous /health, L = %.0f ms, Telegram's limits on:", l.Users, l.L)
		if l.L > 0 {
			ts = append(ts,
				Target{name + " p50 ≤ 130 ms end to end", fmt.Sprintf("%.1f ms", l.EndToEnd.P50), l.EndToEnd.P50 <= 130},
				Target{name + " max ≤ 1.2 s end to end", fmt.Sprintf("%.0f ms", l.EndToEnd.Max), l.EndToEnd.Max <= 1200})
		} else {
			ts = append(ts, Target{name + " p50 ≤ 30 ms end to end", fmt.Sprintf("%.1f ms", l.EndToEnd.P50), l.EndToEnd.P50 <= 30})
		}
	}
	return ts
}

// targets checks issue 6's targets against the run.
func targets(r *Report, L time.Duration) []Target {
	var ts []Target
	limit := 1.2*ms(L) + 10
	for _, l := range r.Latency {
		if l.Users < 100 || l.Users >= 1000 {
			continue
		}
		pacing := "Telegram pacing on"
		if !l.Paced {
			pacing = "Telegram pacing off"
		}
		ts = append(ts,
			Target{fmt.Sprintf("/health p50 ≤ 1.2·L+10 ms (%.0f ms) at %d users, end to end, %s", limit, l.Users, pacing),
				fmt.Sprintf("%.1f ms", l.EndToEnd.P50), l.EndToEnd.P50 <= limit},
			Target{fmt.Sprintf("/health p50 ≤ 1.2·L+10 ms (%.0f ms) at %d users, bot side, %s", limit, l.Users, pacing),
				fmt.Sprintf("%.1f ms", l.BotSide.P50), l.BotSide.P50 <= limit})
	}
	u := r.Upstream
	ts = append(ts,
		Target{"≤ 4 upstream requests per cold /health", fmt.Sprintf("%d", u.ColdTotal), u.ColdAnswered && u.ColdTotal <= 4},
		Target{"0 upstream requests per warm /health (within cache TTL)", fmt.Sprintf("%d", u.WarmTotal), u.WarmAnswered && u.WarmTotal == 0},
		Target{fmt.Sprintf("%d users on one location → each endpoint fetched once", u.SameUsers),
			fmt.Sprintf("%v", u.SameByEndpoint), u.SameAnswered == u.SameUsers && onceEach(u.SameByEndpoint)})
	t := r.Tokens
	ts = append(ts, Target{fmt.Sprintf("one token fetch per renewal window whatever the concurrency (%d goroutines)", t.Concurrency),
		fmt.Sprintf("%d fetches in %.1f s, TTL %.0f s (expected ≈ %.1f)", t.Fetches, t.Duration/1000, t.TTL/1000, t.Expected),
		t.Failed == 0 && float64(t.Fetches) <= t.Expected+1})
	for _, th := range r.Throughput {
		goal := 1000.0
		if th.Cache == "warm" {
			goal = 5000
		}
		ts = append(ts, Target{fmt.Sprintf("≥ %.0f %s /health per second at L = 0", goal, th.Cache),
			fmt.Sprintf("%.0f/s (%d CPUs)", th.PerSec, r.Machine.CPUs), th.PerSec >= goal && th.Answered == th.Commands})
	}
	m := r.Memory
	ts = append(ts, Target{"≤ 1 KiB heap per stored idle user", fmt.Sprintf("%.0f B", m.HeapPerIdle), m.HeapPerIdle <= 1024})
	ts = append(ts, pacingTargets(r)...)
	var rej int
	for _, l := range append(slices.Clone(r.Latency), r.Pacing...) {
		if l.Paced {
			rej += l.Rejected429
		}
	}
	ts = append(ts, Target{"no 429 from tgtest (EnforceRates on) with the adapter's pacing", fmt.Sprintf("%d", rej), rej == 0})
	return ts
}

func onceEach(m map[string]int) bool {
	for _, e := range healthEndpoints {
		if m[e] != 1 {
			return false
		}
	}
	return true
}
