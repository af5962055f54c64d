package watch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"plumebot/internal/plume"
	"plumebot/internal/secret"
	"plumebot/internal/store"
	"plumebot/internal/watch"
)

// The tests run the engine against the real Store (memory, bolt, Redis), a scripted Plume
// (fakeLocation: a location whose state a test changes, read the way plumedata reads it:
// location and nodes) and a recording Notifier. Those on memory and bolt run inside
// testing/synctest bubbles: time is virtual, so an hour of checks takes milliseconds and
// every timestamp is exact; synctest.Wait returns once the engine is idle.

const (
	custA = "64f0c1a2b3c4d5e6f7a8b9c0"
	locA  = "64f0c1a2b3c4d5e6f7a8b9c2"
	locB  = "64f0c1a2b3c4d5e6f7a8b9c3"
	locC  = "64f0c1a2b3c4d5e6f7a8b9c4"

	userA, userB = int64(1001), int64(1002)
	chat1, chat2 = int64(-100111), int64(-100222)

	secretHeader = "Basic c2VjcmV0LWNsaWVudDpzM2NyM3Q="
)

// fakeLocation is a scripted Plume location: a gateway and two pods.
type fakeLocation struct {
	mu    sync.Mutex
	loc   plume.Location
	nodes []plume.Node
	err   error
}

func newLocation(customer, location, name string) *fakeLocation {
	now := time.Now()
	f := &fakeLocation{loc: plume.Location{ID: location, CustomerID: customer, Name: name,
		NetworkStatus: plume.NetworkStatus{Status: "online", StatusChangedAt: now.Add(-24 * time.Hour)},
		ServiceLevel:  plume.ServiceLevel{Status: "fullService"}}}
	for i, n := range []string{"Living room", "Office", "Bedroom"} {
		node := plume.Node{ID: fmt.Sprintf("SER%07d", i+1), Nickname: n, ConnectionState: "connected",
			ConnectionStateChangeAt: now.Add(-24 * time.Hour), BackhaulType: "wifi"}
		if i == 0 {
			node.ResidentialGateway, node.BackhaulType = true, "ethernet"
		} else {
			node.LeafToRoot = []plume.Hop{{ID: "SER0000001", FreqBand: "5G"}}
		}
		f.nodes = append(f.nodes, node)
	}
	return f
}

func (f *fakeLocation) set(fn func(f *fakeLocation)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// offline: Plume says offline and every pod disconnected, since now.
func (f *fakeLocation) offline() {
	f.set(func(f *fakeLocation) {
		f.loc.NetworkStatus = plume.NetworkStatus{Status: "offline", StatusChangedAt: time.Now()}
		for i := range f.nodes {
			f.nodes[i].ConnectionState, f.nodes[i].ConnectionStateChangeAt = "disconnected", time.Now()
		}
	})
}

// online: back online with every pod, since now.
func (f *fakeLocation) online() {
	f.set(func(f *fakeLocation) {
		f.loc.NetworkStatus = plume.NetworkStatus{Status: "online", StatusChangedAt: time.Now()}
		for i := range f.nodes {
			f.nodes[i].ConnectionState, f.nodes[i].ConnectionStateChangeAt = "connected", time.Now()
		}
	})
}

func (f *fakeLocation) pod(name string, connected bool) {
	f.set(func(f *fakeLocation) {
		for i := range f.nodes {
			if f.nodes[i].Nickname == name {
				f.nodes[i].ConnectionState = map[bool]string{true: "connected", false: "disconnected"}[connected]
				f.nodes[i].ConnectionStateChangeAt = time.Now()
				return
			}
		}
		panic("no pod " + name)
	})
}

func (f *fakeLocation) serviceLevel(s string) {
	f.set(func(f *fakeLocation) { f.loc.ServiceLevel.Status = s })
}

func (f *fakeLocation) fail(err error) { f.set(func(f *fakeLocation) { f.err = err }) }

// fakePlume is the Reader: it serves fake locations and counts its calls.
type fakePlume struct {
	latency time.Duration
	mu      sync.Mutex
	locs    map[string]*fakeLocation
	calls   []time.Time
	byLoc   map[string]int
	creds   []plume.Credentials
}

func newPlume() *fakePlume {
	return &fakePlume{locs: map[string]*fakeLocation{}, byLoc: map[string]int{}}
}

func (p *fakePlume) callsFor(locationID string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.byLoc[locationID]
}

func (p *fakePlume) add(customer, location, name string) *fakeLocation {
	f := newLocation(customer, location, name)
	p.mu.Lock()
	p.locs[customer+"/"+location] = f
	p.mu.Unlock()
	return f
}

func (p *fakePlume) LocationAndPods(ctx context.Context, creds plume.Credentials, customerID, locationID string) (watch.Reading, error) {
	p.mu.Lock()
	p.calls = append(p.calls, time.Now())
	p.byLoc[locationID]++
	p.creds = append(p.creds, creds)
	f := p.locs[customerID+"/"+locationID]
	p.mu.Unlock()
	if p.latency > 0 {
		t := time.NewTimer(p.latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return watch.Reading{Requests: 2}, &plume.Error{Kind: plume.KindTimeout, Err: ctx.Err()}
		}
	}
	if f == nil {
		return watch.Reading{Requests: 1}, &plume.Error{Kind: plume.KindNotFound, Status: 404, Endpoint: "location"}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return watch.Reading{Requests: 1}, f.err
	}
	loc := f.loc
	return watch.Reading{Location: &loc, Nodes: slices.Clone(f.nodes), Requests: 2}, nil
}

func (p *fakePlume) callCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.calls)
}

// fakeCreds is the CredentialSource: users with credentials, others get err.
type fakeCreds struct {
	mu  sync.Mutex
	err map[int64]error
}

func (c *fakeCreds) Credentials(_ context.Context, userID int64) (plume.Credentials, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.err[userID]; err != nil {
		return plume.Credentials{}, err
	}
	return plume.Credentials{TokenURL: "https://sso.example.plume.com/token", AuthHeader: secret.String(secretHeader),
		PartnerID: "partner", APIBase: "https://api.example.plumenet.io/api"}, nil
}

func (c *fakeCreds) set(userID int64, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = map[int64]error{}
	}
	c.err[userID] = err
}

// recorder is the Notifier: it keeps what it sent; fail decides an attempt's error.
type recorder struct {
	mu      sync.Mutex
	sent    []watch.Alert
	tried   int
	nextID  int64
	fail    func(a watch.Alert, attempt int) error
	changed chan struct{} // signalled after each send (waitSent)
}

func (r *recorder) Notify(ctx context.Context, a watch.Alert) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tried++
	if r.fail != nil {
		if err := r.fail(a, r.tried); err != nil {
			return 0, err
		}
	}
	r.sent = append(r.sent, a)
	r.nextID++
	if r.changed != nil {
		select {
		case r.changed <- struct{}{}:
		default:
		}
	}
	return r.nextID, nil
}

// waitSent waits (in real time) until n alerts were sent; for tests outside a bubble.
func (r *recorder) waitSent(t *testing.T, n int) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for len(r.alerts()) < n {
		select {
		case <-r.changed:
		case <-deadline.C:
			t.Fatalf("%d alerts sent, want %d: %q", len(r.alerts()), n, describeAll(r.alerts()))
		}
	}
}

func (r *recorder) setFail(fn func(a watch.Alert, attempt int) error) {
	r.mu.Lock()
	r.fail = fn
	r.mu.Unlock()
}

func (r *recorder) alerts() []watch.Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sent)
}

// describe is an alert in one line, for exact comparisons.
func describe(a watch.Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", a.Name, a.Kind)
	if a.Kind != watch.KindPaused { // a pause is dated by the check, whose place in the schedule varies
		fmt.Fprintf(&b, " at %s", a.At.UTC().Format("15:04:05"))
	}
	if a.Duration > 0 {
		fmt.Fprintf(&b, " after %s", a.Duration)
	}
	if len(a.Pods) > 0 {
		var names []string
		for _, p := range a.Pods {
			names = append(names, p.Name)
		}
		fmt.Fprintf(&b, " pods=%s", strings.Join(names, ","))
	}
	if a.Kind == watch.KindLevelWorse || a.Kind == watch.KindLevelBetter || a.Kind == watch.KindStable {
		fmt.Fprintf(&b, " %s→%s", a.PrevLevel, a.Level)
	}
	if a.Kind == watch.KindStable {
		fmt.Fprintf(&b, " online=%v", a.Online)
	}
	if a.Flaps > 0 {
		fmt.Fprintf(&b, " flaps=%d", a.Flaps)
	}
	if a.Reason != "" {
		fmt.Fprintf(&b, " reason=%s affected=%d", a.Reason, a.Affected)
	}
	if a.Incident > 0 {
		fmt.Fprintf(&b, " #%d", a.Incident)
		if a.OpensIncident {
			b.WriteString(" opens")
		}
		if a.ClosesIncident {
			b.WriteString(" closes")
		}
	}
	if a.ReplyTo > 0 {
		fmt.Fprintf(&b, " re=%d", a.ReplyTo)
	}
	if a.AckedBy != nil {
		fmt.Fprintf(&b, " acked=%s", a.AckedBy.Name)
	}
	if a.Redelivery {
		b.WriteString(" redelivery")
	}
	return b.String()
}

func describeAll(as []watch.Alert) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, describe(a))
	}
	return out
}

func wantAlerts(t *testing.T, r *recorder, want ...string) {
	t.Helper()
	got := describeAll(r.alerts())
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("alerts:\n  got  %q\n  want %q", got, want)
	}
}

// wantAlertsAnyOrder is wantAlerts for alerts of several watches decided in one cycle,
// whose order follows the schedule (random watch IDs).
func wantAlertsAnyOrder(t *testing.T, r *recorder, want ...string) {
	t.Helper()
	got := describeAll(r.alerts())
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Fatalf("alerts (any order):\n  got  %q\n  want %q", got, want)
	}
}

func testKeyring(t testing.TB) *store.Keyring {
	k, err := store.NewKeyring(bytes.Repeat([]byte{7}, store.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newStore(t testing.TB, b store.Backend) *store.Store {
	t.Helper()
	s, err := store.New(context.Background(), b, testKeyring(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// backends are the stores the synctest scenarios run on.
var backends = []struct {
	name string
	open func(t *testing.T) store.Backend
}{
	{"memory", func(*testing.T) store.Backend { return store.NewMemory() }},
	{"bolt", func(t *testing.T) store.Backend {
		b, err := store.OpenBolt(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return b
	}},
}

// inBubble runs fn on each backend inside a synctest bubble.
func inBubble(t *testing.T, fn func(t *testing.T, b store.Backend)) {
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				b := bk.open(t)
				t.Cleanup(func() { b.Close() })
				fn(t, b)
			})
		})
	}
}

// harness is one engine (a replica) with its fakes, running until stop.
type harness struct {
	t      *testing.T
	st     watch.Store
	plume  *fakePlume
	creds  *fakeCreds
	sent   *recorder
	e      *watch.Engine
	cancel context.CancelFunc
	done   chan struct{}
	logs   *bytes.Buffer
}

// newHarness makes an engine on st reading p; sent is its Telegram (nil: its own).
func newHarness(t *testing.T, st watch.Store, p *fakePlume, sent *recorder, cfg watch.Config) *harness {
	t.Helper()
	if sent == nil {
		sent = &recorder{}
	}
	h := &harness{t: t, st: st, plume: p, creds: &fakeCreds{}, sent: sent, logs: &bytes.Buffer{}}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: h.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	e, err := watch.New(st, p, h.creds, h.sent, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.e = e
	return h
}

func (h *harness) start() *harness {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan struct{})
	go func() {
		defer close(h.done)
		if err := h.e.Run(ctx); err != nil {
			h.t.Errorf("Run: %v", err)
		}
	}()
	h.t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	if h.cancel != nil {
		h.cancel()
		<-h.done
		h.cancel = nil
	}
}

func (h *harness) add(nw watch.NewWatch) watch.Watch {
	h.t.Helper()
	w, err := h.e.Add(context.Background(), nw)
	if err != nil {
		h.t.Fatalf("Add: %v", err)
	}
	return w
}

func homeWatch() watch.NewWatch {
	return watch.NewWatch{ChatID: chat1, UserID: userA, CustomerID: custA, LocationID: locA, Name: "Home"}
}

// place adds a fake location and a watch of it for chat and user.
func (h *harness) place(chat, user int64, loc, name string) (*fakeLocation, watch.Watch) {
	h.t.Helper()
	f := h.plume.add(custA, loc, name)
	return f, h.add(watch.NewWatch{ChatID: chat, UserID: user, CustomerID: custA, LocationID: loc, Name: name})
}

// startHome runs an engine on b watching Home for chat1 and userA, and returns after its
// baseline check, at 00:00:30 (checks come at 0 s, 60 s, 120 s, …).
func startHome(t *testing.T, b store.Backend, cfg watch.Config) (*harness, *fakeLocation, watch.Watch) {
	t.Helper()
	h := newHarness(t, newStore(t, b), newPlume(), nil, cfg)
	home, w := h.place(chat1, userA, locA, "Home")
	h.start()
	wait(30 * time.Second)
	return h, home, w
}

// wait lets d of virtual time pass and returns once the engines are idle.
func wait(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// killable is a replica's view of a shared store that can die: after kill every
// operation fails, as if the process had crashed (it releases nothing).
type killable struct {
	watch.Store
	mu   sync.Mutex
	dead bool
}

var errKilled = errors.New("replica killed")

func (k *killable) kill() {
	k.mu.Lock()
	k.dead = true
	k.mu.Unlock()
}

func (k *killable) alive() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.dead {
		return errKilled
	}
	return nil
}

func (k *killable) GetRecord(ctx context.Context, key string) ([]byte, error) {
	if err := k.alive(); err != nil {
		return nil, err
	}
	return k.Store.GetRecord(ctx, key)
}

func (k *killable) PutRecord(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	if err := k.alive(); err != nil {
		return err
	}
	return k.Store.PutRecord(ctx, key, v, ttl)
}

func (k *killable) DeleteRecord(ctx context.Context, key string) error {
	if err := k.alive(); err != nil {
		return err
	}
	return k.Store.DeleteRecord(ctx, key)
}

func (k *killable) RecordKeys(ctx context.Context, prefix string) ([]string, error) {
	if err := k.alive(); err != nil {
		return nil, err
	}
	return k.Store.RecordKeys(ctx, prefix)
}

func (k *killable) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	if err := k.alive(); err != nil {
		return nil, err
	}
	unlock, err := k.Store.Lock(ctx, key, ttl)
	if err != nil {
		return nil, err
	}
	return func() {
		if k.alive() == nil { // a crashed process releases nothing: its locks expire
			unlock()
		}
	}, nil
}

func (k *killable) AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	if err := k.alive(); err != nil {
		return false, err
	}
	return k.Store.AcquireLease(ctx, key, holder, ttl)
}

func (k *killable) RenewLease(ctx context.Context, key, holder string, ttl time.Duration) error {
	if err := k.alive(); err != nil {
		return err
	}
	return k.Store.RenewLease(ctx, key, holder, ttl)
}

func (k *killable) ReleaseLease(ctx context.Context, key, holder string) error {
	if err := k.alive(); err != nil {
		return err
	}
	return k.Store.ReleaseLease(ctx, key, holder)
}

// events is an Observer that counts what the engine did and lets a real-time test wait
// for it.
type events struct {
	mu       sync.Mutex
	leading  bool
	checks   int // successful checks
	all      int // every check
	requests int
	alerts   map[watch.AlertOutcome]int
	changed  chan struct{}
}

func newEvents() *events {
	return &events{changed: make(chan struct{}, 1), alerts: map[watch.AlertOutcome]int{}}
}

func (o *events) signal() {
	select {
	case o.changed <- struct{}{}:
	default:
	}
}
func (o *events) Leading(held bool) { o.mu.Lock(); o.leading = held; o.mu.Unlock(); o.signal() }
func (o *events) Check(c watch.CheckOutcome, _ time.Duration) {
	o.mu.Lock()
	o.all++
	if c == watch.CheckOK {
		o.checks++
	}
	o.mu.Unlock()
	o.signal()
}
func (o *events) Requests(n int) { o.mu.Lock(); o.requests += n; o.mu.Unlock() }
func (o *events) Alert(_ watch.Kind, out watch.AlertOutcome) {
	o.mu.Lock()
	o.alerts[out]++
	o.mu.Unlock()
}
func (*events) Watches(int)                           {}
func (*events) Interval(time.Duration, time.Duration) {}
func (*events) BackOff(time.Time)                     {}

// until waits (in real time) for cond on the observed state.
func (o *events) until(t *testing.T, what string, cond func(leading bool, checks int) bool) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		o.mu.Lock()
		ok := cond(o.leading, o.checks)
		o.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-o.changed:
		case <-deadline.C:
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

func (o *events) checkCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.checks
}
