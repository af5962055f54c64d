package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"plumebot/internal/health"
	"plumebot/internal/plume"
	"plumebot/internal/plumesim"
)

func TestParseCommand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, name string
		args     []string
		ok       bool
	}{
		{"/health a b", "health", []string{"a", "b"}, true},
		{"/Health@PlumeBot  a", "health", []string{"a"}, true},
		{"  /nodes", "nodes", nil, true},
		{"/", "", nil, false},
		{"/@bot", "", nil, false},
		{"hello /health", "", nil, false},
		{"", "", nil, false},
	}
	for _, c := range cases {
		name, args, ok := parseCommand(c.in)
		if name != c.name || ok != c.ok || strings.Join(args, ",") != strings.Join(c.args, ",") {
			t.Errorf("parseCommand(%q) = %q %q %v", c.in, name, args, ok)
		}
	}
}

func TestCommandsForSetMyCommands(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{})
	cmds := e.bot.Commands()
	valid := regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
	seen := map[string]bool{}
	for _, c := range cmds {
		if !valid.MatchString(c.Name) || c.Description == "" || len(c.Description) > 256 || seen[c.Name] {
			t.Errorf("bad command %+v", c)
		}
		seen[c.Name] = true
	}
	for _, want := range []string{"start", "help", "auth", "cancel", "skip", "logout", "health", "status", "nodes",
		"devices", "wifi", "internet", "node", "locations", "find", "wan", "stats"} {
		if !seen[want] {
			t.Errorf("missing /%s", want)
		}
	}
}

func TestPartialAndFailedHealth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{ownSim: true})
	h := e.loc("healthy")
	e.sim.SetFault("devices", plumesim.Fault{Status: 500})
	e.say(alice, "/health "+h.CustomerID+" "+h.LocationID)
	got := e.chat.texts(alice)
	if !strings.Contains(got, "Living room") || !strings.Contains(got, "500") || strings.Contains(got, "🟢 <b>Healthy") {
		t.Errorf("partial report:\n%s", got)
	}
	if a := e.lastAudit(); a["outcome"] != "ok" {
		t.Errorf("audit %v", a)
	}
	e.sim.ClearFaults()

	f := e.loc("foreign")
	e.say(bob, "/health "+f.CustomerID+" "+f.LocationID)
	if got := e.chat.texts(bob); !strings.Contains(got, "403") || strings.Contains(got, "Checking") {
		t.Errorf("foreign:\n%s", got)
	}
	if a := e.lastAudit(); a["outcome"] != "error:forbidden" {
		t.Errorf("audit %v", a)
	}
}

func TestHugeHealthSplitsInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{})
	h := e.loc("huge")
	e.say(alice, "/health "+h.CustomerID+" "+h.LocationID)
	ms := e.chat.messages(alice)
	if len(ms) == 0 || !strings.Contains(ms[0].Text, "Grand Riverside") {
		t.Fatalf("huge report: %+v", ms)
	}
	for i, m := range ms {
		if (len(m.KB) > 0) != (i == len(ms)-1) {
			t.Errorf("message %d/%d: keyboard %v", i+1, len(ms), m.KB != nil)
		}
	}
}

func TestSnapshotAPIs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{ownSim: true})
	h := e.loc("partial")
	creds := *e.bot.cfg.Operator
	snap, err := e.bot.Snapshot(e.ctx(), creds, h.CustomerID, h.LocationID, false)
	if err != nil || snap.LocationErr != nil || snap.NodesErr != nil || snap.DevicesErr != nil || len(snap.Nodes) != 4 {
		t.Fatalf("Snapshot: %v %+v", err, snap)
	}
	if _, err := e.bot.Snapshot(e.ctx(), creds, h.CustomerID, h.LocationID, false); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.Requests("nodes"); n != 1 {
		t.Errorf("cached Snapshot made %d nodes requests", n)
	}
	if _, err := e.bot.Snapshot(e.ctx(), creds, h.CustomerID, h.LocationID, true); err != nil {
		t.Fatal(err)
	}
	if n := e.sim.Requests("nodes"); n != 2 {
		t.Errorf("fresh Snapshot: %d nodes requests", n)
	}
	if _, err := e.bot.Snapshot(e.ctx(), creds, "../x", h.LocationID, false); !errors.Is(err, plume.ErrInvalidInput) {
		t.Errorf("invalid ID: %v", err)
	}

	c, err := plume.NewClient(creds, plume.Options{HTTPClient: e.sim.Client(), AllowedHosts: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	e.sim.SetFault("appqoe", plumesim.Fault{Status: 404})
	s2 := FetchSnapshot(e.ctx(), c, h.CustomerID, h.LocationID)
	if s2.NodesErr != nil || s2.QoEErr == nil || s2.FetchedAt.IsZero() {
		t.Errorf("FetchSnapshot: %+v", s2)
	}
	if lvl := health.Analyze(s2, time.Now()).Level; lvl != health.LevelIssues {
		t.Errorf("partial level %v", lvl)
	}
}

type recMetrics struct {
	mu       sync.Mutex
	commands map[string]int
	hits     map[bool]int
}

func (m *recMetrics) Command(name, outcome string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.commands[name+"/"+outcome]++
}
func (m *recMetrics) CacheResult(endpoint string, hit bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hits[hit]++
}
func TestMetrics(t *testing.T) {
	t.Parallel()
	m := &recMetrics{commands: map[string]int{}, hits: map[bool]int{}}
	e := newEnv(t, envOpt{cfg: func(c *Config) { c.Metrics = m }})
	h := e.loc("healthy")
	e.say(alice, "/nodes "+h.CustomerID+" "+h.LocationID)
	e.say(alice, "/nodes")
	e.say(alice, "/auth")
	e.say(bob, "/auth")
	if n := e.bot.ActiveConversations(); n != 2 {
		t.Errorf("%d conversations in progress, want 2", n)
	}
	e.say(alice, "/cancel")
	if n := e.bot.ActiveConversations(); n != 1 {
		t.Errorf("%d conversations in progress after /cancel, want 1", n)
	}
	// bob walks away: his conversation stops counting when it expires, not never.
	e.clock.Advance(e.bot.cfg.AuthTimeout + time.Second)
	if n := e.bot.ActiveConversations(); n != 0 {
		t.Errorf("%d conversations in progress after expiry, want 0", n)
	}
	e.say(stranger, "/help")
	e.say(stranger, "/x1y2z3")
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.commands["nodes/ok"] != 2 || m.commands["help/denied"] != 1 || m.commands["cancel/ok"] != 1 ||
		m.commands["unknown/denied"] != 1 || m.commands["x1y2z3/denied"] != 0 {
		t.Errorf("commands %v", m.commands)
	}
	if m.hits[true] < 2 {
		t.Errorf("hits %v", m.hits)
	}
}

func TestCacheBoundedAndErrorsNotCached(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	c := newCache(clock.Now, 10)
	ctx := context.Background()
	for i := range 25 {
		if _, _, _, err := c.get(ctx, fmt.Sprint(i), time.Minute, false, func(context.Context) (any, time.Time, error) { return i, time.Time{}, nil }); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.len(); n > 10 {
		t.Errorf("cache holds %d entries, cap 10", n)
	}
	calls := 0
	fail := func(context.Context) (any, time.Time, error) { calls++; return nil, time.Time{}, errors.New("x") }
	for range 2 {
		if _, _, _, err := c.get(ctx, "err", time.Minute, false, fail); err == nil {
			t.Fatal("no error")
		}
	}
	if calls != 2 {
		t.Errorf("error cached: %d calls", calls)
	}
	v, _, hit, _ := c.get(ctx, "24", time.Minute, false, fail)
	if !hit || v != 24 {
		t.Errorf("newest entry evicted: %v %v", v, hit)
	}
	clock.Advance(time.Minute)
	if _, _, hit, _ := c.get(ctx, "24", time.Minute, false, func(context.Context) (any, time.Time, error) { return 1, time.Time{}, nil }); hit {
		t.Error("expired entry served")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{})
	cases := []Config{
		{DefaultSSOURL: "http://127.0.0.1/x", AllowedHosts: []string{"127.0.0.1"}},
		{DefaultAPIBase: "https://evil.example/api", AllowedHosts: []string{"127.0.0.1"}},
	}
	for _, c := range cases {
		if _, err := New(c, e.st, e.chat); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
	if _, err := New(Config{}, nil, e.chat); err == nil {
		t.Error("nil store accepted")
	}
}
