package action

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"plumebot/internal/plume"
	"plumebot/internal/plumesim"
	"plumebot/internal/secret"
	"plumebot/internal/store"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// testClock is the engine's and the simulator's time: it moves only when a test says so, and
// wakes the After channels it passes.
type testClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	changed chan struct{} // closed and replaced when a waiter is added
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newTestClock() *testClock { return &testClock{now: t0, changed: make(chan struct{})} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	close(c.changed)
	c.changed = make(chan struct{})
	return ch
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

// waitSleeper blocks until something waits on the clock, or done is closed.
func (c *testClock) waitSleeper(t *testing.T, done <-chan struct{}) bool {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		c.mu.Lock()
		n, ch := len(c.waiters), c.changed
		c.mu.Unlock()
		if n > 0 {
			return true
		}
		select {
		case <-ch:
		case <-done:
			return false
		case <-timeout:
			t.Fatal("nothing waits on the clock")
		}
	}
}

// recorder is the Observer: every audit event and outcome, in order.
type recorder struct {
	mu       sync.Mutex
	events   []Event
	outcomes []string
}

func (r *recorder) Audit(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) Outcome(k Kind, o string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcomes = append(r.outcomes, string(k)+" "+o)
}

func (r *recorder) stages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, string(e.Stage)+" "+e.Result)
	}
	return out
}

func (r *recorder) counted() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.outcomes...)
}

const (
	agent    int64 = 201 // support
	boss     int64 = 202 // admin
	watcher  int64 = 203 // viewer
	agent2   int64 = 204 // support
	chatID   int64 = 201
	groupID  int64 = -1002
	fpAgent        = "fp-agent"
	rebootUp       = plumesim.DefaultRebootDowntime
)

// env is an Engine on the real sealed store (memory backend) against the real simulator, one
// clock for both.
type env struct {
	t     *testing.T
	ctx   context.Context
	clock *testClock
	sim   *plumesim.Server
	info  plumesim.Info
	st    *store.Store
	obs   *recorder
	eng   *Engine
	acc   Access
}

func newEnv(t *testing.T, tweak ...func(*Config)) *env {
	t.Helper()
	clock := newTestClock()
	sim, err := plumesim.Start(plumesim.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	kr, err := store.NewKeyring(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.New(context.Background(), store.NewMemory(), kr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	info := sim.Info()
	c, err := plume.NewClient(plume.Credentials{TokenURL: info.SSOURL, AuthHeader: secret.String(info.AuthHeader),
		PartnerID: info.PartnerID, APIBase: info.APIBase, ReportsBase: info.ReportsBase},
		plume.Options{HTTPClient: sim.Client(), Limits: plume.NewHostLimits(0, 1), Now: clock.Now,
			AllowedHosts: []string{"127.0.0.1"}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	obs := &recorder{}
	cfg := Config{Support: []int64{agent, agent2}, Admins: []int64{boss}, Store: st, Clock: clock, Observer: obs, Poll: 15 * time.Second}
	for _, f := range tweak {
		f(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return &env{t: t, ctx: ctx, clock: clock, sim: sim, info: info, st: st, obs: obs, eng: New(cfg),
		acc: Access{Actor: c, Reader: c, Fingerprint: fpAgent}}
}

func (e *env) target(ds string, pod int) Target {
	l := e.info.Locations[ds]
	t := Target{CustomerID: l.CustomerID, LocationID: l.LocationID}
	if pod >= 0 {
		nodes, err := e.acc.Reader.Nodes(e.ctx, l.CustomerID, l.LocationID)
		if err != nil {
			e.t.Fatal(err)
		}
		t.NodeID = nodes[pod].ID
	}
	return t
}

func (e *env) request(kind Kind, user int64, t Target) (*Pending, error) {
	return e.eng.Request(e.ctx, e.acc, Request{Kind: kind, UserID: user, ChatID: user, Target: t})
}

func (e *env) mustRequest(kind Kind, user int64, t Target) *Pending {
	e.t.Helper()
	p, err := e.request(kind, user, t)
	if err != nil {
		e.t.Fatalf("Request(%s): %v", kind, err)
	}
	return p
}

func (e *env) mustConfirm(p *Pending, user int64) *Confirmed {
	e.t.Helper()
	c, err := e.eng.Confirm(e.ctx, e.acc, p.Key, user, user)
	if err != nil {
		e.t.Fatalf("Confirm: %v", err)
	}
	return c
}

// follow runs the follow-through, moving the clock by poll each time it sleeps, and returns
// every status it reported.
func (e *env) follow(c *Confirmed) []string {
	e.t.Helper()
	var (
		mu    sync.Mutex
		texts []string
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		e.eng.Follow(e.ctx, e.acc, c, func(s Status) {
			mu.Lock()
			defer mu.Unlock()
			texts = append(texts, s.Text)
		})
	}()
	for e.clock.waitSleeper(e.t, done) {
		e.clock.Advance(15 * time.Second)
	}
	mu.Lock()
	defer mu.Unlock()
	return texts
}

func wantRefusal(t *testing.T, err error, r Reason) *Refusal {
	t.Helper()
	ref, ok := err.(*Refusal)
	if !ok || ref.Reason != r {
		t.Fatalf("err = %v (%T), want refusal %v", err, err, r)
	}
	return ref
}
