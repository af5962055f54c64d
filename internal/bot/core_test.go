package bot

import (
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

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

type recMetrics struct {
	mu       sync.Mutex
	commands map[string]int
	hits     map[bool]int
	actions  map[string]int
}

func (m *recMetrics) Action(kind, outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.actions == nil {
		m.actions = map[string]int{}
	}
	m.actions[kind+"/"+outcome]++
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

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{})
	data := e.bot.cfg.Data
	cases := []Config{
		{DefaultSSOURL: "http://127.0.0.1/x", AllowedHosts: []string{"127.0.0.1"}, Data: data},
		{DefaultAPIBase: "https://evil.example/api", AllowedHosts: []string{"127.0.0.1"}, Data: data},
		{AllowedHosts: []string{"127.0.0.1"}, Data: data, DefaultAPIBase: e.info.APIBase,
			Operator: &plume.Credentials{TokenURL: "https://evil.example/token", APIBase: e.info.APIBase}},
		{AllowedHosts: []string{"127.0.0.1"}, DefaultAPIBase: e.info.APIBase},
	}
	for _, c := range cases {
		if _, err := New(c, e.st, e.chat); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
	if _, err := New(Config{AllowedHosts: []string{"127.0.0.1"}, DefaultAPIBase: e.info.APIBase, Data: data}, e.st, e.chat); err != nil {
		t.Errorf("a good config refused: %v", err)
	}
	if _, err := New(Config{Data: data}, nil, e.chat); err == nil {
		t.Error("nil store accepted")
	}
}
