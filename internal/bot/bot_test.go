package bot

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"plumebot/internal/plumesim"
)

// auditLines returns the "command" log events.
func (e *env) auditLines() []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(e.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "command" {
			out = append(out, m)
		}
	}
	return out
}

func (e *env) lastAudit() map[string]any {
	e.t.Helper()
	a := e.auditLines()
	if len(a) == 0 {
		e.t.Fatal("no audit event")
	}
	return a[len(a)-1]
}

// requests is a check that the simulator served want requests of endpoint so far ("" = all).
func requests(endpoint string, want int) step {
	return verify(func(e *env) {
		e.t.Helper()
		if n := e.sim.Requests(endpoint); n != want {
			e.t.Errorf("Plume %q requests: %d, want %d", endpoint, n, want)
		}
	})
}

// Every view of a location, with its IDs and then without (the location is remembered).
func TestViews(t *testing.T) {
	t.Parallel()
	cases := []struct{ dataset, command string }{
		{"healthy", "health"}, {"degraded", "health"}, {"partial", "health"}, {"offline", "health"},
		{"healthy", "status"}, {"healthy", "nodes"}, {"huge", "nodes"}, {"healthy", "devices"},
		{"huge", "devices"}, {"healthy", "wifi"}, {"healthy", "internet"}, {"offline", "internet"},
		{"healthy", "wan"}, {"partial", "stats"}, {"nasty", "health"}, {"sparse", "health"},
		{"sparse", "devices"}, {"huge", "health"}, {"huge", "wifi"}, {"nasty", "wifi"},
	}
	var scs []scenario
	for _, c := range cases {
		scs = append(scs, scenario{name: "view_" + c.dataset + "_" + c.command, steps: []step{
			says(alice, "/"+c.command+" {"+c.dataset+"}"),
			says(alice, "/"+c.command),
		}})
	}
	runScenarios(t, scs)
}

// Partial data is reported with the part that failed; a location Plume refuses is one error.
func TestHealthPartialAndRefused(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{
		{name: "health_devices_fail", opt: envOpt{ownSim: true}, steps: []step{
			meanwhile("Plume answers 500 to every devices request", func(e *env) {
				e.sim.SetFault("devices", plumesim.Fault{Status: 500})
			}),
			says(alice, "/health {healthy}"),
		}},
		{name: "health_foreign", steps: []step{says(alice, "/health {foreign}")}},
		{name: "health_placeholder", opt: envOpt{cfg: func(c *Config) { c.ProgressDelay = -1 }}, steps: []step{
			says(alice, "/health {partial}"), // the "⏳ Checking…" placeholder is edited into the report
			says(alice, "/nodes {foreign}"),  // … or into the error
		}},
	})
}

func TestLookups(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{
		{name: "node_claimed", steps: []step{
			says(alice, "/node {healthy.serial}"),
			presses(alice, "🩺 Health of this location"),
		}},
		{name: "node_unknown", steps: []step{says(alice, "/node ZZZZZZ999")}},
		{name: "locations", steps: []step{
			says(alice, "/locations {healthy.customer}"),
			presses(alice, "🏠 Home"),
		}},
		{name: "locations_foreign", steps: []step{says(alice, "/locations {foreign.customer}")}},
		{name: "find_email", steps: []step{
			says(alice, "/find {healthy.email}"),
			presses(alice, "🏠 Maria Lopez · Home"),
		}},
		{name: "find_long_name", steps: []step{says(alice, "/find {huge.email}")}},
	})
}

// An ID copied with an invisible character (a zero-width space from a web page, a byte-order
// mark from a spreadsheet) is refused in words that say what is wrong, not "got 25 characters"
// of an ID that shows 24.
func TestInvisibleCharacterInID(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{{name: "invisible_characters", steps: []step{
		says(alice, "/health \u200b{healthy}"),
		says(alice, "/locations {healthy.customer}\ufeff"),
		says(alice, "/status"), // nothing was remembered
	}}})
}

// Bad input gets one clear reply and changes nothing.
func TestUsageAndHints(t *testing.T) {
	t.Parallel()
	var steps []step
	for _, text := range []string{
		"/health", // before any location
		"/health abc",
		"/health {healthy.customer} nothex",
		"/health ééé ééé", // counted in characters: 3, not 6 bytes
		"/health {healthy} and more",
		"/node ABC DEF",
		"/nodes ../x {healthy.customer}",
		"/node",
		"/node ../../etc",
		"/locations",
		"/locations 123",
		"/find",
		"/find " + strings.Repeat("x", 101),
		"/frobnicate",
		"hello there",
		"/skip",
		"/cancel",
		"/help@plumebot",
		"/START",
		"/health", // still no location: none of the above saved one
	} {
		steps = append(steps, says(alice, text))
	}
	runScenarios(t, []scenario{
		{name: "usage_and_hints", steps: steps},
		// IDs pasted without a command: the command they probably meant, with a button.
		{name: "did_you_mean", steps: []step{
			says(alice, "{healthy}"),
			presses(alice, "🩺 /health"),
			says(alice, "{healthy.customer}"),
			presses(alice, "🏠 /locations"),
			says(alice, "{healthy.customer}, nothex"),
		}},
		// IDs copied from a web page or a table: any space between them, as in a command.
		{name: "did_you_mean_copied", steps: []step{
			says(alice, "{healthy}").shaped("a no-break space between", func(u *Update) {
				u.Text = strings.Replace(u.Text, " ", "\u00a0", 1)
			}),
			says(alice, "{healthy}").shaped("an ideographic space between", func(u *Update) {
				u.Text = strings.Replace(u.Text, " ", "\u3000", 1)
			}),
		}},
	})
}

func TestHelpAndLogout(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{
		{name: "help_signed_out_then_in", opt: envOpt{noOperator: true}, steps: slices.Concat(
			[]step{says(alice, "/start"), says(alice, "/help"), says(alice, "/health")},
			signInSteps(alice),
			[]step{says(alice, "/help")},
		)},
		// Not signed in, but the bot has operator credentials: /start says so.
		{name: "start_with_operator_credentials", steps: []step{says(alice, "/start")}},
		{name: "logout_with_operator_credentials", steps: []step{
			says(alice, "/status {healthy}"),
			says(alice, "/logout"),
			says(alice, "/status"), // the last location is forgotten
			says(alice, "/status {healthy}"),
		}},
	})
}

func TestAccess(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{
		{name: "access", opt: envOpt{ownSim: true}, steps: []step{
			// A stranger gets one reply with their ID, then silence for 10 minutes.
			says(stranger, "/health {healthy}"),
			says(stranger, "/help"),
			says(stranger, "hello"),
			requests("", 0),
			// A stranger pressing an allowed user's button gets only a toast.
			says(alice, "/health {healthy}"),
			presses(stranger, "📡 Nodes").in(alice),
			// Groups: an allowed chat and user work; /auth is refused there; chatter is ignored.
			saysIn(group, alice, "/status {healthy}"),
			saysIn(group, alice, "/auth"),
			saysIn(group, alice, "just chatting"),
			saysIn(-2002, alice, "/help"),
			saysIn(group, stranger, "/help"),
			saysIn(group, stranger, "/help"),
		}},
		{name: "allow_everyone", opt: envOpt{cfg: func(c *Config) { c.AllowEveryone = true; c.AllowedUsers = nil }}, steps: []step{
			says(stranger, "/help"),
			saysIn(-3003, stranger, "/help"), // groups still need PLUMEBOT_ALLOWED_CHATS
		}},
	})
}

func TestButtons(t *testing.T) {
	t.Parallel()
	nodes := "📡 Nodes"
	expired := func(desc, data string) step {
		return presses(alice, nodes).forged(desc, func(string) string { return data })
	}
	runScenarios(t, []scenario{
		{name: "buttons", opt: envOpt{ownSim: true}, steps: []step{
			says(alice, "/health {healthy}"),
			requests("nodes", 1),
			presses(alice, nodes),
			presses(alice, "📱 Devices"),
			presses(alice, "📶 WiFi"),
			presses(alice, "🌐 Internet"),
			presses(alice, "📊 WAN"),
			presses(alice, "🕘 History"),
			requests("nodes", 1), // the views came from the cache
			presses(alice, "🔄 Refresh"),
			requests("nodes", 2), // Refresh did not
		}},
		{name: "buttons_foreign_and_expired", steps: []step{
			says(alice, "/health {healthy}"),
			presses(bob, nodes).from(alice),
			expired("an unknown keyboard", "a:AAAAAAAAAAA"),
			expired("too short", "a:AAAAAAAAAA"),
			presses(alice, nodes).forged("a button the keyboard does not have", func(d string) string { return d[:len(d)-1] + "z" }),
			presses(alice, nodes).forged("one character more", func(d string) string { return d + "A" }),
			expired("garbage", "garbage"),
			expired("empty", ""),
		}},
		{name: "pagination", steps: []step{
			says(alice, "/devices {huge}"),
			presses(alice, "▶"),
			presses(alice, "▶"),
			presses(alice, "◀"),
			presses(alice, "◀"),
		}},
		{name: "stats_windows", opt: envOpt{ownSim: true}, steps: []step{
			says(alice, "/stats {partial}"),
			presses(alice, "3h"),
			presses(alice, "24h"),
			presses(alice, "7d"),
			// 24 h twice (command and button) is cached; 3 h and 7 d are their own series.
			requests("onlineStats", 3),
		}},
	})
}

func TestCache(t *testing.T) {
	t.Parallel()
	var burst []int64
	for i := range 50 {
		burst = append(burst, int64(20000+i))
	}
	runScenarios(t, []scenario{
		{name: "cache", opt: envOpt{ownSim: true, cfg: func(c *Config) { c.AllowEveryone = true }}, steps: []step{
			meanwhile("50 other agents send /health {healthy} at once; Plume takes 50 ms a request", func(e *env) {
				e.sim.SetLatency(50 * time.Millisecond) // keep the first flight open while the others arrive
				text := "/health " + e.expand("{healthy}")
				var wg sync.WaitGroup
				for _, u := range burst {
					wg.Go(func() { e.say(u, text) })
				}
				wg.Wait()
				e.sim.SetLatency(0)
			}),
			verify(func(e *env) {
				for _, ep := range []string{"location", "nodes", "devices", "appqoe"} {
					if n := e.sim.Requests(ep); n != 1 {
						e.t.Errorf("%s requests = %d, want 1", ep, n)
					}
				}
				if n := e.sim.Requests("serviceLevel"); n != 0 {
					e.t.Errorf("serviceLevel fetched %d times; the location carries it", n)
				}
				if n := e.sim.TokenFetches(); n != 1 {
					e.t.Errorf("token fetches %d, want 1", n)
				}
			}),
			says(alice, "/health {healthy}"),
			verify(func(e *env) { // every agent of the burst got exactly alice's report
				want := e.chat.last(alice)
				for _, u := range burst {
					if ms := e.chat.messages(u); len(ms) != 1 || ms[0].Text != want.Text || !sameLabels(ms[0].KB, want.KB) {
						e.t.Fatalf("user %d got %+v", u, ms)
					}
				}
			}),
			after(25 * time.Second),
			says(alice, "/health {healthy}"), // a cached answer says how old it is
			after(36 * time.Second),
			meanwhile("Plume answers the next nodes request with 500", func(e *env) {
				e.sim.SetFault("nodes", plumesim.Fault{Status: 500, Times: 1})
			}),
			says(alice, "/nodes {healthy}"), // the cache expired
			says(alice, "/nodes {healthy}"), // the error was not cached
			requests("nodes", 3),
		}},
	})
}

func sameLabels(a, b Keyboard) bool {
	return slices.EqualFunc(a, b, func(x, y []Button) bool {
		return slices.EqualFunc(x, y, func(p, q Button) bool { return p.Text == q.Text })
	})
}

// A user's own credentials come before the operator's, and Plume data is never shared across
// credentials.
func TestOwnCredentialsFirst(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{{name: "own_credentials_first", opt: envOpt{ownSim: true,
		cfg: func(c *Config) { c.AllowedHosts = []string{"127.0.0.1", "localhost"} }}, steps: []step{
		says(alice, "/nodes {healthy}"), // the operator's credentials
		// Bob's own credentials name the simulator "localhost": other credentials.
		says(bob, "/auth"),
		says(bob, "{sso.localhost}"),
		says(bob, "{header}"),
		says(bob, "{partner}"),
		says(bob, "{api.localhost}"),
		says(bob, "/nodes {healthy}"),
		requests("nodes", 2), // one per credentials
		says(alice, "/nodes"),
		requests("nodes", 2), // alice's repeat came from her credentials' cache
		says(bob, "/logout"),
		says(bob, "/nodes {healthy}"), // now the operator's, and their cached data
		requests("nodes", 2),
	}}})
}

func TestManyUsersNoCrossTalk(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{cfg: func(c *Config) { c.AllowEveryone = true }})
	names := []string{"healthy", "degraded", "partial", "offline"}
	// One agent per dataset, first and alone: the replies every other agent must get.
	want := map[string][]memMsg{}
	for i, ds := range names {
		u := int64(29000 + i)
		e.say(u, "/status "+e.expand("{"+ds+"}"))
		e.say(u, "/health")
		want[ds] = e.chat.messages(u)
	}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			u := int64(30000 + i)
			e.say(u, "/status "+e.expand("{"+names[i%len(names)]+"}"))
			e.say(u, "/health") // the location this user, not another, used last
		})
	}
	wg.Wait()
	for i := range 200 {
		ds := names[i%len(names)]
		got := e.chat.messages(int64(30000 + i))
		if !slices.EqualFunc(got, want[ds], func(a, b memMsg) bool { return a.Text == b.Text && sameLabels(a.KB, b.KB) }) {
			t.Fatalf("user %d (%s) got:\n%+v\nwant:\n%+v", i, ds, got, want[ds])
		}
	}
}

// panicChat panics on the next N sends, to prove Handle recovers.
type panicChat struct {
	*memChat
	panics atomic.Int32
}

func (p *panicChat) Send(ctx context.Context, chatID int64, html string, kb Keyboard) (int64, error) {
	if p.panics.Add(-1) >= 0 {
		panic("boom")
	}
	return p.memChat.Send(ctx, chatID, html, kb)
}

func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{{name: "panic_recovered",
		opt: envOpt{wrap: func(c *memChat) Chat {
			pc := &panicChat{memChat: c}
			pc.panics.Store(1)
			return pc
		}},
		steps: []step{says(alice, "/help"), says(alice, "/help")}, // the first send panics
	}})
}

func TestSecretsNeverShown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{noOperator: true})
	e.signIn(alice, e.info.AuthHeader)
	for _, cmd := range []string{"/health", "/wifi", "/status", "/internet"} {
		e.say(alice, cmd+" "+e.expand("{healthy}"))
		if a := e.lastAudit(); a["outcome"] != "ok" {
			t.Errorf("%s: %v", cmd, a)
		}
	}
	e.say(bob, "/auth")
	e.say(bob, e.info.SSOURL)
	e.say(bob, "Basic "+base64.StdEncoding.EncodeToString([]byte("someone:wrong-secret-xyz")))
	e.say(bob, e.info.PartnerID)
	e.say(bob, "/skip")
	if a := e.lastAudit(); a["outcome"] != "error:token_failed" {
		t.Errorf("bob's /auth: %v", a)
	}
	token := strings.TrimPrefix(e.info.AuthHeader, "Basic ")
	secrets := []string{e.info.AuthHeader, token, plumesim.ClientSecret, "wrong-secret-xyz", "correct-horse-battery"}
	all := e.chat.texts(alice) + e.chat.texts(bob) + e.logs.String()
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("secret %q leaked", s)
		}
	}
}
