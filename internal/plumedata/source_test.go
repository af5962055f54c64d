package plumedata

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"plumebot/internal/health"
	"plumebot/internal/plume"
	"plumebot/internal/plumesim"
	"plumebot/internal/secret"
	"plumebot/internal/store"
)

// fakeClock is the cache's clock: TTLs pass only when a test says so.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Now().UnixNano()) // the simulator's data is relative to the real clock
	return c
}
func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// fixture is a private simulator (its counters are the test's evidence) and a clock.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	sim   *plumesim.Server
	info  plumesim.Info
	clock *fakeClock
	creds plume.Credentials
}

func setup(t *testing.T) *fixture {
	t.Helper()
	t.Parallel()
	sim, err := plumesim.Start(plumesim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	info := sim.Info()
	return &fixture{t: t, ctx: ctx, sim: sim, info: info, clock: newFakeClock(),
		creds: plume.Credentials{TokenURL: info.SSOURL, AuthHeader: secret.String(info.AuthHeader),
			PartnerID: info.PartnerID, APIBase: info.APIBase, ReportsBase: info.ReportsBase}}
}

// source is a Source on the fixture's simulator; edit adjusts its Config.
func (f *fixture) source(edit ...func(*Config)) *Source {
	cfg := Config{
		Plume: plume.Options{HTTPClient: f.sim.Client(), Limits: plume.NewHostLimits(100000, 100000),
			AllowedHosts: []string{"127.0.0.1", "localhost"}},
		Now: f.clock.Now,
	}
	for _, e := range edit {
		e(&cfg)
	}
	return New(cfg)
}

// session is the operator credentials' access through src.
func (f *fixture) session(src *Source) *Session {
	f.t.Helper()
	s, err := src.Session(f.creds)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *fixture) loc(dataset string) plumesim.LocationInfo {
	f.t.Helper()
	l, ok := f.info.Locations[dataset]
	if !ok {
		f.t.Fatalf("no dataset %q", dataset)
	}
	return l
}

// requests is the simulator's count for each endpoint named.
func (f *fixture) requests(endpoints ...string) map[string]int {
	m := map[string]int{}
	for _, e := range endpoints {
		m[e] = f.sim.Requests(e)
	}
	return m
}

var snapshotEndpoints = []string{plumesim.EndpointLocation, plumesim.EndpointNodes, plumesim.EndpointDevices, plumesim.EndpointAppQoE}

func TestSnapshotCachedThenFresh(t *testing.T) {
	f := setup(t)
	s := f.session(f.source())
	p := f.loc("partial")
	snap, err := s.Snapshot(f.ctx, p.CustomerID, p.LocationID, AllParts, false)
	if err != nil || snap.LocationErr != nil || snap.NodesErr != nil || snap.DevicesErr != nil || snap.QoEErr != nil {
		t.Fatalf("Snapshot: %v %+v", err, snap)
	}
	if len(snap.Nodes) != 4 || snap.Hit || snap.Age(f.clock.Now()) != 0 || !snap.FetchedAt.Equal(f.clock.Now()) {
		t.Errorf("first snapshot: %d nodes, hit %v, fetched at %v (now %v)", len(snap.Nodes), snap.Hit, snap.FetchedAt, f.clock.Now())
	}
	f.clock.Advance(10 * time.Second)
	again, err := s.Snapshot(f.ctx, p.CustomerID, p.LocationID, AllParts, false)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Hit || again.Age(f.clock.Now()) != 10*time.Second || !reflect.DeepEqual(again.Nodes, snap.Nodes) {
		t.Errorf("cached snapshot: hit %v, age %v", again.Hit, again.Age(f.clock.Now()))
	}
	want := map[string]int{"location": 1, "nodes": 1, "devices": 1, "appqoe": 1}
	if got := f.requests(snapshotEndpoints...); !reflect.DeepEqual(got, want) {
		t.Errorf("after a cached snapshot: requests %v, want %v", got, want)
	}
	fresh, err := s.Snapshot(f.ctx, p.CustomerID, p.LocationID, AllParts, true)
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]int{"location": 2, "nodes": 2, "devices": 2, "appqoe": 2}
	if got := f.requests(snapshotEndpoints...); !reflect.DeepEqual(got, want) || fresh.Hit {
		t.Errorf("fresh snapshot: requests %v (want %v), hit %v", got, want, fresh.Hit)
	}
	// The fresh values replace the cached ones: the next read is a hit of age 0.
	next, _ := s.Snapshot(f.ctx, p.CustomerID, p.LocationID, AllParts, false)
	if !next.Hit || next.Age(f.clock.Now()) != 0 || f.sim.Requests("nodes") != 2 {
		t.Errorf("after fresh: hit %v age %v, %d nodes requests", next.Hit, next.Age(f.clock.Now()), f.sim.Requests("nodes"))
	}
}

// Each part fails on its own; a failed part is not cached, so it is asked again.
func TestSnapshotPartialFailure(t *testing.T) {
	f := setup(t)
	s := f.session(f.source())
	h := f.loc("partial")
	f.sim.SetFault(plumesim.EndpointAppQoE, plumesim.Fault{Status: 404})
	snap, err := s.Snapshot(f.ctx, h.CustomerID, h.LocationID, AllParts, false)
	if err != nil {
		t.Fatal(err)
	}
	if snap.LocationErr != nil || snap.NodesErr != nil || snap.DevicesErr != nil || !errors.Is(snap.QoEErr, plume.ErrNotFound) {
		t.Fatalf("errors: %v %v %v %v", snap.LocationErr, snap.NodesErr, snap.DevicesErr, snap.QoEErr)
	}
	if lvl := health.Analyze(snap.Snapshot, f.clock.Now()).Level; lvl != health.LevelIssues {
		t.Errorf("level %v with QoE missing, want %v", lvl, health.LevelIssues)
	}
	if m := snap.Part(PartQoE); m != (Meta{}) {
		t.Errorf("failed part has meta %+v", m)
	}
	f.sim.ClearFaults()
	snap, _ = s.Snapshot(f.ctx, h.CustomerID, h.LocationID, AllParts, false)
	if snap.QoEErr != nil || f.sim.Requests("appqoe") != 2 || f.sim.Requests("nodes") != 1 {
		t.Errorf("after the fault: QoE %v, %d appqoe and %d nodes requests; want the error not cached (2) and nodes cached (1)",
			snap.QoEErr, f.sim.Requests("appqoe"), f.sim.Requests("nodes"))
	}
}

// The watcher's check (location and pods) costs two requests and shares the cache with a
// full report: the report after it fetches only what the check did not.
func TestSnapshotPartsShareTheCache(t *testing.T) {
	f := setup(t)
	s := f.session(f.source())
	h := f.loc("healthy")
	check, err := s.Snapshot(f.ctx, h.CustomerID, h.LocationID, PartLocation|PartNodes, false)
	if err != nil || check.Location == nil || len(check.Nodes) == 0 || check.Devices != nil || check.QoE != nil ||
		check.DevicesErr != nil || check.QoEErr != nil {
		t.Fatalf("location+nodes: %v %+v", err, check.Snapshot)
	}
	want := map[string]int{"location": 1, "nodes": 1, "devices": 0, "appqoe": 0}
	if got := f.requests(snapshotEndpoints...); !reflect.DeepEqual(got, want) {
		t.Errorf("location+nodes: requests %v, want %v", got, want)
	}
	f.clock.Advance(5 * time.Second)
	full, err := s.Snapshot(f.ctx, h.CustomerID, h.LocationID, AllParts, false)
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]int{"location": 1, "nodes": 1, "devices": 1, "appqoe": 1}
	if got := f.requests(snapshotEndpoints...); !reflect.DeepEqual(got, want) {
		t.Errorf("full after check: requests %v, want %v", got, want)
	}
	now := f.clock.Now()
	if m := full.Part(PartNodes); !m.Hit || m.Age(now) != 5*time.Second {
		t.Errorf("nodes part: %+v, age %v; want a hit 5 s old", m, m.Age(now))
	}
	if m := full.Part(PartDevices); m.Hit || m.Age(now) != 0 || !m.FetchedAt.Equal(now) {
		t.Errorf("devices part: %+v; want fetched now", m)
	}
	if !full.Hit || full.Age(now) != 5*time.Second || !full.FetchedAt.Equal(now.Add(-5*time.Second)) {
		t.Errorf("snapshot: hit %v, age %v, fetched at %v; want the oldest part's", full.Hit, full.Age(now), full.FetchedAt)
	}
	if m := full.Part(PartNodes | PartDevices); m != (Meta{}) {
		t.Errorf("Part of two parts: %+v, want zero", m)
	}
}

// Bad IDs are refused before any request (and before a token is fetched), for every read,
// and before the cache: they never become a key, a flight or a counted miss.
func TestValidationBeforeAnyRequest(t *testing.T) {
	f := setup(t)
	obs := &recObserver{seen: map[string]int{}}
	s := f.session(f.source(func(c *Config) { c.Observer = obs }))
	h := f.loc("healthy")
	bad := []string{"", "../x", strings.Repeat("g", 24), h.CustomerID + "0", "abc/" + h.CustomerID[4:]}
	for _, id := range bad {
		reads := map[string]func() error{
			"Location c": func() error { _, err := s.Location(f.ctx, id, h.LocationID, false); return err },
			"Location l": func() error { _, err := s.Location(f.ctx, h.CustomerID, id, false); return err },
			"Nodes":      func() error { _, err := s.Nodes(f.ctx, h.CustomerID, id, false); return err },
			"Devices":    func() error { _, err := s.Devices(f.ctx, id, h.LocationID, false); return err },
			"QoE":        func() error { _, err := s.QoE(f.ctx, h.CustomerID, id, true); return err },
			"WiFi":       func() error { _, err := s.WiFiNetworks(f.ctx, id, h.LocationID, false); return err },
			"WAN":        func() error { _, err := s.WANStats(f.ctx, h.CustomerID, id, false); return err },
			"Online": func() error {
				_, err := s.OnlineStats(f.ctx, id, h.LocationID, DefaultWindow(), false)
				return err
			},
			"Locations": func() error { _, err := s.Locations(f.ctx, id, false); return err },
			"Snapshot": func() error {
				_, err := s.Snapshot(f.ctx, h.CustomerID, id, AllParts, false)
				return err
			},
		}
		for name, read := range reads {
			if err := read(); !errors.Is(err, plume.ErrInvalidInput) {
				t.Errorf("%s(%q): %v, want invalid input", name, id, err)
			}
		}
	}
	for _, serial := range []string{"", "AB-12", strings.Repeat("A", 33), "../x"} {
		if _, err := s.NodeLookup(f.ctx, serial, false); !errors.Is(err, plume.ErrInvalidInput) {
			t.Errorf("NodeLookup(%q): %v, want invalid input", serial, err)
		}
	}
	if n, tok := f.sim.Requests(""), f.sim.TokenFetches(); n != 0 || tok != 0 {
		t.Errorf("%d requests and %d token fetches for invalid input, want none", n, tok)
	}
	if len(obs.seen) != 0 {
		t.Errorf("invalid reads reached the cache: %v", obs.seen)
	}
}

// Every read goes through the cache: the second is a hit with no request, fresh bypasses it,
// and each online-history window is its own series.
func TestEveryReadCached(t *testing.T) {
	f := setup(t)
	s := f.session(f.source())
	h := f.loc("healthy")
	reads := []struct {
		endpoint string
		read     func(fresh bool) (Meta, error)
	}{
		{plumesim.EndpointWiFiNetworks, func(fresh bool) (Meta, error) {
			r, err := s.WiFiNetworks(f.ctx, h.CustomerID, h.LocationID, fresh)
			return r.Meta, err
		}},
		{plumesim.EndpointWANStats, func(fresh bool) (Meta, error) {
			r, err := s.WANStats(f.ctx, h.CustomerID, h.LocationID, fresh)
			return r.Meta, err
		}},
		{plumesim.EndpointLocations, func(fresh bool) (Meta, error) {
			r, err := s.Locations(f.ctx, h.CustomerID, fresh)
			return r.Meta, err
		}},
		{plumesim.EndpointSearch, func(fresh bool) (Meta, error) {
			r, err := s.SearchCustomers(f.ctx, h.Email, fresh)
			return r.Meta, err
		}},
		{plumesim.EndpointNodeLookup, func(fresh bool) (Meta, error) {
			r, err := s.NodeLookup(f.ctx, h.NodeSerial, fresh)
			return r.Meta, err
		}},
	}
	for _, w := range Windows() {
		reads = append(reads, struct {
			endpoint string
			read     func(fresh bool) (Meta, error)
		}{plumesim.EndpointOnlineStats, func(fresh bool) (Meta, error) {
			r, err := s.OnlineStats(f.ctx, h.CustomerID, h.LocationID, w, fresh)
			return r.Meta, err
		}})
	}
	for i, rd := range reads {
		before := f.sim.Requests(rd.endpoint)
		for _, step := range []struct {
			fresh, hit bool
			requests   int
		}{{false, false, 1}, {false, true, 1}, {true, false, 2}} {
			m, err := rd.read(step.fresh)
			if err != nil {
				t.Fatalf("read %d (%s): %v", i, rd.endpoint, err)
			}
			if got := f.sim.Requests(rd.endpoint) - before; m.Hit != step.hit || got != step.requests {
				t.Errorf("read %d (%s) fresh=%v: hit %v after %d requests, want hit %v after %d",
					i, rd.endpoint, step.fresh, m.Hit, got, step.hit, step.requests)
			}
		}
	}
	// The search text and the serial are cached whatever their letter case.
	before := f.requests(plumesim.EndpointSearch, plumesim.EndpointNodeLookup)
	if r, err := s.SearchCustomers(f.ctx, strings.ToUpper(h.Email), false); err != nil || !r.Hit {
		t.Errorf("search in upper case: hit %v, %v", r.Hit, err)
	}
	if r, err := s.NodeLookup(f.ctx, strings.ToLower(h.NodeSerial), false); err != nil || !r.Hit {
		t.Errorf("serial in lower case: hit %v, %v", r.Hit, err)
	}
	if got := f.requests(plumesim.EndpointSearch, plumesim.EndpointNodeLookup); !reflect.DeepEqual(got, before) {
		t.Errorf("requests %v → %v", before, got)
	}
}

// TTLs: location and QoE live 30 s, the rest 60 s; an expired entry is fetched again.
func TestTTLs(t *testing.T) {
	f := setup(t)
	s := f.session(f.source())
	h := f.loc("healthy")
	if _, err := s.Snapshot(f.ctx, h.CustomerID, h.LocationID, AllParts, false); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(ttlLocation)
	snap, _ := s.Snapshot(f.ctx, h.CustomerID, h.LocationID, AllParts, false)
	want := map[string]int{"location": 2, "nodes": 1, "devices": 1, "appqoe": 2}
	if got := f.requests(snapshotEndpoints...); !reflect.DeepEqual(got, want) {
		t.Errorf("after %v: requests %v, want %v", ttlLocation, got, want)
	}
	if !snap.Part(PartNodes).Hit || snap.Part(PartLocation).Hit {
		t.Errorf("parts: nodes %+v, location %+v", snap.Part(PartNodes), snap.Part(PartLocation))
	}
	f.clock.Advance(ttlNodes - ttlLocation)
	_, _ = s.Snapshot(f.ctx, h.CustomerID, h.LocationID, AllParts, false)
	want = map[string]int{"location": 3, "nodes": 2, "devices": 2, "appqoe": 3}
	if got := f.requests(snapshotEndpoints...); !reflect.DeepEqual(got, want) {
		t.Errorf("after %v: requests %v, want %v", ttlNodes, got, want)
	}
}

// Concurrent reads of one location make one request per endpoint, and a caller that gives
// up does not fail the others.
func TestSingleflight(t *testing.T) {
	f := setup(t)
	src := f.source()
	h := f.loc("healthy")
	f.sim.SetLatency(50 * time.Millisecond) // keep the first flight open while the others arrive
	quitter, cancel := context.WithCancel(f.ctx)
	cancel()
	if _, err := f.session(src).Location(quitter, h.CustomerID, h.LocationID, false); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v", err)
	}
	var wg sync.WaitGroup
	snaps := make([]Snapshot, 50)
	for i := range snaps {
		wg.Go(func() {
			s := f.session(src) // each user resolves its own session, as the bot does per update
			snaps[i], _ = s.Snapshot(f.ctx, h.CustomerID, h.LocationID, AllParts, false)
		})
	}
	wg.Wait()
	want := map[string]int{"location": 1, "nodes": 1, "devices": 1, "appqoe": 1}
	if got := f.requests(snapshotEndpoints...); !reflect.DeepEqual(got, want) {
		t.Errorf("50 concurrent snapshots: requests %v, want %v", got, want)
	}
	if n := f.sim.TokenFetches(); n != 1 {
		t.Errorf("%d token fetches, want 1", n)
	}
	for i, s := range snaps {
		if s.LocationErr != nil || s.NodesErr != nil || s.DevicesErr != nil || s.QoEErr != nil || s.Location == nil {
			t.Fatalf("snapshot %d: %+v", i, s.Snapshot)
		}
	}
}

// One partner's data is never served to another's credentials, even for the same location.
func TestDataNotSharedAcrossCredentials(t *testing.T) {
	f := setup(t)
	src := f.source()
	h := f.loc("healthy")
	other := f.creds
	other.APIBase = strings.Replace(other.APIBase, "127.0.0.1", "localhost", 1) // another fingerprint
	for _, creds := range []plume.Credentials{f.creds, other, f.creds, other} {
		s, err := src.Session(creds)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Nodes(f.ctx, h.CustomerID, h.LocationID, false); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.sim.Requests("nodes"); n != 2 {
		t.Errorf("nodes requests %d, want 2 (one per credentials)", n)
	}
	if _, err := src.Session(plume.Credentials{TokenURL: "https://evil.example/token", APIBase: f.creds.APIBase}); !errors.Is(err, plume.ErrInvalidInput) {
		t.Errorf("credentials naming a host not allowed: %v", err)
	}
}

// Verify keeps the client whose token it fetched: the reads after it need no new token.
// Credentials that fail are refused with Plume's reason and not kept.
func TestVerify(t *testing.T) {
	f := setup(t)
	src := f.source()
	h := f.loc("healthy")
	if err := src.Verify(f.ctx, f.creds); err != nil {
		t.Fatal(err)
	}
	if _, err := f.session(src).Location(f.ctx, h.CustomerID, h.LocationID, false); err != nil {
		t.Fatal(err)
	}
	if n := f.sim.TokenFetches(); n != 1 {
		t.Errorf("%d token fetches after Verify and a read, want 1", n)
	}
	wrong := f.creds
	wrong.AuthHeader = "Basic d3Jvbmc6c2VjcmV0" // wrong:secret
	if err := src.Verify(f.ctx, wrong); !errors.Is(err, plume.ErrTokenFailed) {
		t.Errorf("wrong header: %v, want a token failure", err)
	}
}

// Two replicas on one store: what one fetched, the other serves without calling Plume, with
// its age, and the value survives the trip through the sealed store intact for every dataset.
func TestSharedTierAcrossReplicas(t *testing.T) {
	f := setup(t)
	st := newStore(t)
	shared := func(c *Config) { c.Shared = st }
	a, b := f.session(f.source(shared)), f.session(f.source(shared))
	for _, name := range plumesim.DatasetNames() {
		if name == "foreign" { // 403 for everything: nothing to share
			continue
		}
		l := f.loc(name)
		sa, err := a.Snapshot(f.ctx, l.CustomerID, l.LocationID, AllParts, false)
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(3 * time.Second)
		before := f.sim.Requests("")
		sb, err := b.Snapshot(f.ctx, l.CustomerID, l.LocationID, AllParts, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.sim.Requests(""); got != before {
			t.Errorf("%s: the second replica made %d Plume requests; want 0 (shared tier)", name, got-before)
		}
		if !reflect.DeepEqual(sa.Location, sb.Location) || !reflect.DeepEqual(sa.Nodes, sb.Nodes) ||
			!reflect.DeepEqual(sa.Devices, sb.Devices) || !reflect.DeepEqual(sa.QoE, sb.QoE) {
			t.Errorf("%s: the shared copy differs from what was fetched", name)
		}
		if !sb.FetchedAt.Equal(sa.FetchedAt) || !sb.Hit || sb.Age(f.clock.Now()) != 3*time.Second {
			t.Errorf("%s: shared copy fetched at %v (want %v), hit %v, age %v", name, sb.FetchedAt, sa.FetchedAt, sb.Hit, sb.Age(f.clock.Now()))
		}
	}
	// Fresh on the second replica goes to Plume.
	l := f.loc("healthy")
	before := f.sim.Requests("nodes")
	if _, err := b.Snapshot(f.ctx, l.CustomerID, l.LocationID, AllParts, true); err != nil {
		t.Fatal(err)
	}
	if f.sim.Requests("nodes") != before+1 {
		t.Error("a fresh snapshot did not bypass the shared tier")
	}
}

// Without a shared store nothing Plume sent is written anywhere: another Source fetches again.
func TestNoSharedTierByDefault(t *testing.T) {
	f := setup(t)
	l := f.loc("healthy")
	for range 2 {
		if _, err := f.session(f.source()).Nodes(f.ctx, l.CustomerID, l.LocationID, false); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.sim.Requests("nodes"); n != 2 {
		t.Errorf("%d nodes requests from two unshared sources, want 2", n)
	}
}

// newStore is the real sealed store over the memory backend.
func newStore(t *testing.T) *store.Store {
	t.Helper()
	kr, err := store.NewKeyring(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.New(context.Background(), store.NewMemory(), kr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

type recObserver struct {
	mu   sync.Mutex
	seen map[string]int // "endpoint/hit" or "endpoint/miss"
}

func (o *recObserver) CacheResult(endpoint string, hit bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := endpoint + "/miss"
	if hit {
		k = endpoint + "/hit"
	}
	o.seen[k]++
}

// The observer counts every read, hit or miss, by endpoint; a failed read is a miss.
func TestObserver(t *testing.T) {
	f := setup(t)
	obs := &recObserver{seen: map[string]int{}}
	s := f.session(f.source(func(c *Config) { c.Observer = obs }))
	h := f.loc("healthy")
	f.sim.SetFault(plumesim.EndpointDevices, plumesim.Fault{Status: 500})
	for range 2 {
		_, _ = s.Snapshot(f.ctx, h.CustomerID, h.LocationID, PartNodes|PartDevices, false)
	}
	want := map[string]int{"nodes/miss": 1, "nodes/hit": 1, "devices/miss": 2}
	if !reflect.DeepEqual(obs.seen, want) {
		t.Errorf("observed %v, want %v", obs.seen, want)
	}
}

func TestWindows(t *testing.T) {
	t.Parallel()
	var names []string
	for _, w := range Windows() {
		if got, ok := WindowNamed(w.Name); !ok || got != w {
			t.Errorf("WindowNamed(%q) = %+v %v", w.Name, got, ok)
		}
		if w.Limit > 180 {
			t.Errorf("%s: %d points", w.Name, w.Limit)
		}
		names = append(names, w.Name)
	}
	if fmt.Sprint(names) != "[3h 24h 7d]" || DefaultWindow().Name != "24h" {
		t.Errorf("windows %v, default %v", names, DefaultWindow())
	}
	if _, ok := WindowNamed("1y"); ok {
		t.Error("unknown window accepted")
	}
	Windows()[0].Name = "changed"
	if Windows()[0].Name != "3h" {
		t.Error("Windows returned the package's own slice")
	}
}
