package bench

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"plumebot/internal/bot"
	"plumebot/internal/plume"
	"plumebot/internal/plumedata"
	"plumebot/internal/store"
	"plumebot/internal/watch"
)

// The watcher scenario (issue 13): N watched locations on the simulator with latency L, the
// engine wired as serve wires it (the bot as notifier and credential source, reads through
// plumedata), alerts into an in-memory Chat.
//
// Phase 1, the schedule at the default budget (2 requests/s, interval max(60 s, 2N/2)): over
// a window, the checks and Plume requests made (counted by the simulator), hence the achieved
// interval (N / checks per second: a full cycle of 1,000 watches takes 1,000 s) and CPU per
// check. Phase 2, the time from a state change to the alert leaving: the schedule compressed
// (budget raised so one cycle takes a few seconds, the same engine otherwise); every watch
// sees the simulator's location go down at once, so one change gives N samples. At the
// default budget the same path takes proportionally longer: between one and two intervals.

// WatchResult is the watcher scenario's figures.
type WatchResult struct {
	Watches int     `json:"watches"`
	L       float64 `json:"latency_ms"`

	Budget           float64 `json:"budget_rps"`
	Window           float64 `json:"window_s"`
	TargetInterval   float64 `json:"target_interval_s"`
	AchievedInterval float64 `json:"achieved_interval_s"` // N / checks per second in the window
	Checks           int     `json:"checks"`
	RequestsPerSec   float64 `json:"plume_requests_per_s"` // counted by the simulator
	CPUPerCheck      float64 `json:"cpu_ms_per_check"`

	FastBudget        float64 `json:"fast_budget_rps"`
	FastInterval      float64 `json:"fast_interval_s"`
	FastCPUPerCheck   float64 `json:"fast_cpu_ms_per_check"`
	Alerts            int     `json:"alerts"`        // offline alerts sent for the one change
	DoubleAlerts      int     `json:"double_alerts"` // chats told twice
	ChangeToAlert     Dist    `json:"change_to_alert"`
	P50Intervals      float64 `json:"p50_in_intervals"`
	P99Intervals      float64 `json:"p99_in_intervals"`
	HeapPerWatch      float64 `json:"heap_bytes_per_watch"`       // the watcher's own: sealed record in the memory store, schedule
	HeapPerWatchCache float64 `json:"heap_bytes_per_watch_cache"` // the cached location and pods, shared with the commands
}

// watchSizes are the counts of one mode.
type watchSizes struct {
	n            int
	window       time.Duration // phase 1
	fastInterval time.Duration // phase 2's cycle
}

var (
	watchFull  = watchSizes{n: 1000, window: 2 * time.Minute, fastInterval: 20 * time.Second}
	watchQuick = watchSizes{n: 100, window: 10 * time.Second, fastInterval: 5 * time.Second}
)

// changes wakes waiters on every change of a counter (close and replace, as tgtest does).
type changes struct {
	mu sync.Mutex
	ch chan struct{}
}

func (c *changes) bump() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch != nil {
		close(c.ch)
	}
	c.ch = make(chan struct{})
}

// wait returns once cond holds, checking it after every bump.
func (c *changes) wait(ctx context.Context, cond func() bool) error {
	for {
		c.mu.Lock()
		if c.ch == nil {
			c.ch = make(chan struct{})
		}
		ch := c.ch
		c.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// alertChat is the in-memory Chat that keeps when each chat got its first alert, and counts
// the chats told twice.
type alertChat struct {
	memChat
	changes
	mu     sync.Mutex
	first  map[int64]time.Time
	double int
}

func (c *alertChat) Send(ctx context.Context, chatID int64, html string, kb bot.Keyboard) (int64, error) {
	if strings.Contains(html, " went offline at ") {
		now := time.Now()
		c.mu.Lock()
		if _, ok := c.first[chatID]; ok {
			c.double++
		} else {
			c.first[chatID] = now
		}
		c.mu.Unlock()
		c.bump()
	}
	return c.memChat.Send(ctx, chatID, html, kb)
}

func (c *alertChat) told() (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.first), c.double
}

// countChecks is the engine's Observer: the checks it made.
type countChecks struct {
	changes
	checks atomic.Int64
}

func (c *countChecks) Leading(bool)                            {}
func (c *countChecks) Watches(int)                             {}
func (c *countChecks) Check(watch.CheckOutcome, time.Duration) { c.checks.Add(1); c.bump() }
func (c *countChecks) Requests(int)                            {}
func (c *countChecks) Alert(watch.Kind, watch.AlertOutcome)    {}
func (c *countChecks) Interval(time.Duration, time.Duration)   {}
func (c *countChecks) BackOff(time.Time)                       {}
func (c *countChecks) waitChecks(ctx context.Context, n int64) error {
	if err := c.wait(ctx, func() bool { return c.checks.Load() >= n }); err != nil {
		return fmt.Errorf("%d of %d checks: %w", c.checks.Load(), n, err)
	}
	return nil
}

// watcher is one engine on its own store, with n watches of the benchmark's location, each
// in a chat of its own (clones: a distinct cache entry each, one simulator location).
type watcher struct {
	eng   *watch.Engine
	st    *store.Store
	chat  *alertChat
	obs   *countChecks
	users []int64
	stop  func()
}

func (w *world) newWatcher(ctx context.Context, n int, cfg watch.Config, limits *plume.HostLimits, base int64) (*watcher, error) {
	st, err := newStore(ctx)
	if err != nil {
		return nil, err
	}
	data := w.newSource(limits)
	wt := &watcher{st: st, chat: &alertChat{first: map[int64]time.Time{}}, obs: &countChecks{}, users: userIDs(base, n)}
	b, err := w.newBot(st, wt.chat, wt.users, data)
	if err != nil {
		st.Close()
		return nil, err
	}
	cfg.Observer, cfg.Logger = wt.obs, slog.New(slog.DiscardHandler)
	cfg.MaxWatches = n
	wt.eng, err = watch.New(st, watch.SourceReader{Source: data, MaxAge: cfg.MinInterval / 2}, b, b, cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	b.EnableWatches(wt.eng)
	return wt, nil
}

// add watches a clone of the location in each user's chat.
func (wt *watcher) add(ctx context.Context, w *world) error {
	for _, u := range wt.users {
		cid, lid, err := w.cold()
		if err != nil {
			return err
		}
		if _, err := wt.eng.Add(ctx, watch.NewWatch{ChatID: u, UserID: u, CustomerID: cid, LocationID: lid, Name: "Home"}); err != nil {
			return err
		}
	}
	return nil
}

func (wt *watcher) run(ctx context.Context) {
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = wt.eng.Run(rctx) }()
	wt.stop = func() { cancel(); <-done }
}

func (w *world) watchScenario(ctx context.Context, sz watchSizes, L time.Duration, res *WatchResult) error {
	w.sim.SetLatency(L)
	defer w.sim.SetLatency(0)
	loc := w.info.Locations[dataset]
	res.Watches, res.L = sz.n, ms(L)

	// Phase 1: the default budget, Plume's default rate limit per host (PLUME_RATE_LIMIT 6/s).
	slow, err := w.newWatcher(ctx, sz.n, watch.Config{}, plume.NewHostLimits(6, 6), 30_000_000)
	if err != nil {
		return err
	}
	defer slow.st.Close()
	if err := slow.add(ctx, w); err != nil {
		return err
	}
	st, _ := slow.eng.Stats(ctx)
	res.Budget = st.Budget
	res.TargetInterval = max(60, 2*float64(sz.n)/st.Budget)
	slow.run(ctx)
	// The window opens after the first check: from then on one check is due every interval/N.
	if err := slow.obs.waitChecks(ctx, 1); err != nil {
		slow.stop()
		return err
	}
	req0, cpu0, t0, checks0 := w.sim.Requests(""), cpuTime(), time.Now(), slow.obs.checks.Load()
	window := time.NewTimer(sz.window)
	select {
	case <-window.C:
	case <-ctx.Done():
		window.Stop()
		slow.stop()
		return ctx.Err()
	}
	el, cpu, checks := time.Since(t0), cpuTime()-cpu0, slow.obs.checks.Load()-checks0
	slow.stop()
	res.Window, res.Checks = el.Seconds(), int(checks)
	res.RequestsPerSec = float64(w.sim.Requests("")-req0) / el.Seconds()
	if checks > 0 {
		res.AchievedInterval = float64(sz.n) / (float64(checks) / el.Seconds())
		res.CPUPerCheck = ms(cpu) / float64(checks)
	}

	// Phase 2: one cycle in fastInterval; no per-host limit, which the raised budget would hit.
	budget := 2 * float64(sz.n) / sz.fastInterval.Seconds()
	res.FastBudget, res.FastInterval = budget, sz.fastInterval.Seconds()
	h0 := heapAfterGC()
	fast, err := w.newWatcher(ctx, sz.n, watch.Config{MinInterval: sz.fastInterval, Budget: budget}, nil, 40_000_000)
	if err != nil {
		return err
	}
	defer fast.st.Close()
	if err := fast.add(ctx, w); err != nil {
		return err
	}
	fast.run(ctx)
	defer fast.stop()
	cpu0 = cpuTime()
	if err := fast.obs.waitChecks(ctx, int64(sz.n+sz.n/10)); err != nil { // every watch has its baseline
		return fmt.Errorf("baseline: %w", err)
	}
	res.FastCPUPerCheck = ms(cpuTime()-cpu0) / float64(fast.obs.checks.Load())
	running := (float64(heapAfterGC()) - float64(h0)) / float64(sz.n)
	if res.HeapPerWatchCache, err = w.cachePerLocation(ctx, sz.n); err != nil {
		return err
	}
	res.HeapPerWatch = running - res.HeapPerWatchCache

	change := time.Now()
	if err := w.sim.SetLocationOnline(loc.LocationID, false); err != nil {
		return err
	}
	defer func() { _ = w.sim.SetLocationOnline(loc.LocationID, true) }()
	deadline, cancel := context.WithTimeout(ctx, 3*sz.fastInterval+30*time.Second)
	defer cancel()
	if err := fast.chat.wait(deadline, func() bool { n, _ := fast.chat.told(); return n == sz.n }); err != nil {
		n, _ := fast.chat.told()
		return fmt.Errorf("%d of %d offline alerts: %w", n, sz.n, err)
	}
	fast.chat.mu.Lock()
	lat := make([]time.Duration, 0, len(fast.chat.first))
	for _, at := range fast.chat.first {
		lat = append(lat, at.Sub(change))
	}
	fast.chat.mu.Unlock()
	res.ChangeToAlert = distOf(lat)
	res.Alerts, res.DoubleAlerts = fast.chat.told()
	res.P50Intervals = res.ChangeToAlert.P50 / 1000 / res.FastInterval
	res.P99Intervals = res.ChangeToAlert.P99 / 1000 / res.FastInterval
	return nil
}

// cachePerLocation is the heap the data cache holds for one watched location (its record and
// pods, as a check reads them), measured on a source of its own whose token and connection
// are made before, reading one location after the other (no latency: only the heap counts).
func (w *world) cachePerLocation(ctx context.Context, n int) (float64, error) {
	w.sim.SetLatency(0)
	src := w.newSource(nil)
	s, err := src.Session(w.creds)
	if err != nil {
		return 0, err
	}
	ids := make([][2]string, n+1)
	for i := range ids {
		if ids[i][0], ids[i][1], err = w.cold(); err != nil {
			return 0, err
		}
	}
	read := func(id [2]string) error {
		snap, err := s.Snapshot(ctx, id[0], id[1], plumedata.PartLocation|plumedata.PartNodes, false)
		if err == nil {
			err = cmp.Or(snap.LocationErr, snap.NodesErr)
		}
		return err
	}
	if err := read(ids[n]); err != nil { // token and connection
		return 0, err
	}
	h0 := heapAfterGC()
	for _, id := range ids[:n] {
		if err := read(id); err != nil {
			return 0, fmt.Errorf("cache measurement: %w", err)
		}
	}
	h1 := heapAfterGC()
	runtime.KeepAlive(src)
	return (float64(h1) - float64(h0)) / float64(n), nil
}

// watchTargets are issue 13's measurable goals.
func watchTargets(r WatchResult) []Target {
	return []Target{
		{fmt.Sprintf("watcher within its budget: %.1f Plume requests/s at most", r.Budget),
			fmt.Sprintf("%.2f/s", r.RequestsPerSec), r.RequestsPerSec <= r.Budget*1.05},
		{"each watch alerted once for one change", fmt.Sprintf("%d of %d, %d twice", r.Alerts, r.Watches, r.DoubleAlerts),
			r.Alerts == r.Watches && r.DoubleAlerts == 0},
		{"≤ 2 KiB heap per watch", fmt.Sprintf("%.0f B", r.HeapPerWatch), r.HeapPerWatch <= 2048},
	}
}

// writeWatch is the watcher's section of the text report.
func writeWatch(p func(string, ...any), title string, r WatchResult) {
	p("\n%s", title)
	if r.Watches == 0 {
		p("not run")
		return
	}
	p("%d watched locations (one simulator location, a distinct cache key each), Plume latency %.0f ms,", r.Watches, r.L)
	p("the engine as serve wires it; alerts into an in-memory Chat. CPU includes the in-process simulator.")
	p("schedule at the default budget (%.1f requests/s, PLUME_RATE_LIMIT 6/s per host), over %.0f s:", r.Budget, r.Window)
	p("  %d checks; achieved interval %.0f s (target %.0f s); %.2f Plume requests/s; %.2f ms CPU per check",
		r.Checks, r.AchievedInterval, r.TargetInterval, r.RequestsPerSec, r.CPUPerCheck)
	p("state change → alert leaving, one change seen by every watch, the schedule compressed to a %.0f s", r.FastInterval)
	p("cycle (budget %.0f requests/s, no per-host limit), hold two checks:", r.FastBudget)
	d := r.ChangeToAlert
	p("  %d alerts (%d chats told twice); p50 %.1f s, p99 %.1f s, max %.1f s = %.2f and %.2f intervals (p50, p99)",
		r.Alerts, r.DoubleAlerts, d.P50/1000, d.P99/1000, d.Max/1000, r.P50Intervals, r.P99Intervals)
	p("  at the default budget that is %.0f s p50 and %.0f s p99 for %d watches; %.2f ms CPU per check",
		r.P50Intervals*r.TargetInterval, r.P99Intervals*r.TargetInterval, r.Watches, r.FastCPUPerCheck)
	p("heap per watch while checking: %.0f B the watcher's own (its sealed record in the memory store, its", r.HeapPerWatch)
	p("place in the schedule) + %.0f B the cached location and pods (the data cache commands share)", r.HeapPerWatchCache)
}
