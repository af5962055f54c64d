package bot

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
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

func TestLocationCommands(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{})
	cases := []struct {
		dataset, cmd string
		want         []string // substrings of the chat's messages
	}{
		{"healthy", "/health", []string{"🟢"}},
		{"degraded", "/health", []string{"🟡"}},
		{"partial", "/health", []string{"🟠"}},
		{"offline", "/health", []string{"🔴"}},
		{"healthy", "/status", []string{"Home"}},
		{"healthy", "/nodes", []string{"Living room"}},
		{"huge", "/nodes", []string{"page 1/"}},
		{"healthy", "/devices", []string{"Marias-iPhone"}},
		{"huge", "/devices", []string{"page 1/"}},
		{"healthy", "/wifi", []string{"-Home"}},
		{"healthy", "/internet", []string{"203.0.113."}},
		{"offline", "/internet", []string{"🔴"}},
		{"healthy", "/wan", []string{"Mb"}},
		{"partial", "/stats", []string{"%"}},
		{"nasty", "/health", []string{"&lt;b&gt;bold&lt;/b&gt;"}},
		{"sparse", "/health", nil},
		{"sparse", "/devices", nil},
	}
	for i, c := range cases {
		user := int64(5000 + i)
		t.Run(c.dataset+c.cmd, func(t *testing.T) {
			e.bot.users[user] = true // test-only: allow more users without a new env
			l := e.loc(c.dataset)
			e.say(user, c.cmd+" "+l.CustomerID+" "+l.LocationID)
			got := e.chat.texts(user)
			if strings.Contains(got, "Something went wrong") || strings.Contains(got, "⏳ Checking") {
				t.Fatalf("bad reply:\n%s", got)
			}
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("reply lacks %q:\n%s", w, got)
				}
			}
			if a := e.lastAudit(); a["outcome"] != "ok" || a["command"] != strings.TrimPrefix(c.cmd, "/") ||
				a["customer"] != l.CustomerID || a["location"] != l.LocationID {
				t.Errorf("audit = %v", a)
			}
			// The location is remembered: the same command without IDs works.
			e.chat.reset(user)
			e.say(user, c.cmd)
			if got2 := e.chat.texts(user); !strings.Contains(got2, firstLine(c.want)) || strings.Contains(got2, "Usage") {
				t.Errorf("without IDs:\n%s", got2)
			}
		})
	}
}

func firstLine(w []string) string {
	if len(w) == 0 {
		return ""
	}
	return w[0]
}

func TestInitUsersSnapshotIsCopied(t *testing.T) {
	// Guard for the test above: the allowed-user map is the Bot's own.
	t.Parallel()
	e := newEnv(t, envOpt{})
	if !e.bot.allowed(Update{UserID: alice, ChatID: alice, ChatType: ChatPrivate}) ||
		e.bot.allowed(Update{UserID: stranger, ChatID: stranger, ChatType: ChatPrivate}) {
		t.Fatal("allowed users not applied")
	}
}

func TestLookupCommands(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{})
	h := e.loc("healthy")
	cases := []struct {
		name, text string
		want       string
		button     string
	}{
		{"node claimed", "/node " + h.NodeSerial, h.NodeSerial, "Health of this location"},
		{"node unknown", "/node ZZZZZZ999", "404", ""},
		{"locations", "/locations " + h.CustomerID, "Home", "Home"},
		{"find email", "/find " + h.Email, h.CustomerID, "🏠"},
		{"locations foreign", "/locations " + e.loc("foreign").CustomerID, "403", ""},
	}
	for i, c := range cases {
		user := int64(6000 + i)
		e.bot.users[user] = true
		t.Run(c.name, func(t *testing.T) {
			e.say(user, c.text)
			got := e.chat.texts(user)
			if !strings.Contains(got, c.want) {
				t.Errorf("reply lacks %q:\n%s", c.want, got)
			}
			if c.button == "" {
				return
			}
			e.chat.reset(user)
			_, _, ok := e.chat.button(user, c.button)
			if ok {
				t.Fatal("reset failed")
			}
			e.say(user, c.text)
			cb := e.pressText(user, c.button)
			if ans := e.chat.answered(cb); len(ans) != 1 {
				t.Errorf("answers = %v", ans)
			}
			if got := e.chat.texts(user); !strings.Contains(got, "🟢") {
				t.Errorf("button did not lead to a health report:\n%s", got)
			}
		})
	}
}

func TestUsageAndHints(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{})
	h := e.loc("healthy")
	cases := []struct {
		text, want, outcome string
	}{
		{"/health", "No location yet", "usage"},
		{"/health abc", "Usage: /health", "usage"},
		{"/health " + h.CustomerID + " nothex", "location", "usage"},
		{"/nodes ../x " + h.LocationID, "customer", "usage"},
		{"/node", "Usage: /node", "usage"},
		{"/node ../../etc", "Usage: /node", "usage"},
		{"/locations", "Usage: /locations", "usage"},
		{"/locations 123", "Usage: /locations", "usage"},
		{"/find", "Usage: /find", "usage"},
		{"/frobnicate", "/help", "usage"},
		{"hello there", "/help", "usage"},
		{"/skip", "Nothing to skip", "usage"},
		{"/cancel", "Nothing to cancel", "ok"},
		{"/help@plumebot", "/health", "ok"},
		{"/START", "plumebot", "ok"},
	}
	for i, c := range cases {
		user := int64(7000 + i)
		e.bot.users[user] = true
		t.Run(c.text, func(t *testing.T) {
			e.say(user, c.text)
			got := e.chat.texts(user)
			if !strings.Contains(got, c.want) {
				t.Errorf("reply lacks %q:\n%s", c.want, got)
			}
			if n := len(e.chat.messages(user)); n != 1 {
				t.Errorf("%d messages, want 1", n)
			}
			if a := e.lastAudit(); a["outcome"] != c.outcome {
				t.Errorf("outcome %v, want %s", a["outcome"], c.outcome)
			}
		})
	}
}

func TestHelpDependsOnCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{noOperator: true})
	e.say(alice, "/help")
	if got := e.chat.texts(alice); !strings.Contains(got, "/auth") || strings.Contains(got, "/devices") {
		t.Errorf("unauthenticated help:\n%s", got)
	}
	e.say(alice, "/health")
	if got := e.chat.last(alice).Text; !strings.Contains(got, "not signed in") {
		t.Errorf("health without creds: %s", got)
	}
	e.signIn(alice, e.info.AuthHeader)
	e.chat.reset(alice)
	e.say(alice, "/help")
	if got := e.chat.texts(alice); !strings.Contains(got, "/devices") || !strings.Contains(got, "🟢") {
		t.Errorf("authenticated help:\n%s", got)
	}
}

func TestAccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{ownSim: true})
	h := e.loc("healthy")

	// A stranger gets one reply with their ID, then silence for 10 minutes.
	e.say(stranger, "/health "+h.CustomerID+" "+h.LocationID)
	e.say(stranger, "/help")
	e.say(stranger, "hello")
	ms := e.chat.messages(stranger)
	if len(ms) != 1 || !strings.Contains(ms[0].Text, "666") || !strings.Contains(ms[0].Text, "PLUMEBOT_ALLOWED_USERS") {
		t.Fatalf("stranger got %d messages: %+v", len(ms), ms)
	}
	if a := e.lastAudit(); a["outcome"] != "denied" {
		t.Errorf("audit %v", a)
	}
	if n := e.sim.Requests(""); n != 0 {
		t.Errorf("a stranger caused %d Plume requests", n)
	}

	// An allowed user's button pressed by a stranger (in a group) gets only a toast.
	e.say(alice, "/health "+h.CustomerID+" "+h.LocationID)
	m, btn, ok := e.chat.button(alice, "Nodes")
	if !ok {
		t.Fatal("no Nodes button")
	}
	cb := e.press(stranger, alice, m.ID, btn.Data)
	if ans := e.chat.answered(cb); len(ans) != 1 || ans[0] != "Not allowed" {
		t.Errorf("stranger's press answered %v", ans)
	}

	// Groups: allowed chat + allowed user works; unknown group denied; /auth refused in groups.
	e.sayIn(group, alice, "/status "+h.CustomerID+" "+h.LocationID)
	if got := e.chat.texts(group); !strings.Contains(got, "Home") {
		t.Errorf("allowed group:\n%s", got)
	}
	e.sayIn(group, alice, "/auth")
	if got := e.chat.last(group).Text; !strings.Contains(got, "private chat") {
		t.Errorf("/auth in group: %s", got)
	}
	e.sayIn(group, alice, "just chatting")
	if got := e.chat.last(group).Text; !strings.Contains(got, "private chat") {
		t.Errorf("group chatter got a reply: %s", got)
	}
	e.sayIn(-2002, alice, "/help")
	if got := e.chat.texts(-2002); !strings.Contains(got, "PLUMEBOT_ALLOWED_CHATS") {
		t.Errorf("unknown group:\n%s", got)
	}
	e.sayIn(group, stranger, "/help")
	if got := e.chat.last(group).Text; !strings.Contains(got, "666") {
		t.Errorf("stranger in allowed group: %s", got)
	}
	// The deny reply is rate-limited per user; after 10 minutes a new one may come. The store's
	// TTL runs on real time, so only check the record's presence here.
	if _, err := e.st.GetTemp(e.ctx(), fmt.Sprintf("deny:%d:%d", stranger, stranger)); err != nil {
		t.Errorf("deny record: %v", err)
	}
}

func TestAllowEveryone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{cfg: func(c *Config) { c.AllowEveryone = true; c.AllowedUsers = nil }})
	e.say(stranger, "/help")
	if got := e.chat.texts(stranger); !strings.Contains(got, "/health") {
		t.Errorf("AllowEveryone:\n%s", got)
	}
	e.sayIn(-3003, stranger, "/help")
	if got := e.chat.texts(-3003); !strings.Contains(got, "PLUMEBOT_ALLOWED_CHATS") {
		t.Errorf("AllowEveryone still needs allowed groups:\n%s", got)
	}
}

func TestButtons(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{ownSim: true})
	h := e.loc("healthy")
	e.say(alice, "/health "+h.CustomerID+" "+h.LocationID)
	if n := e.sim.Requests("nodes"); n != 1 {
		t.Fatalf("nodes requests %d", n)
	}
	report := e.chat.last(alice)
	if len(report.KB) != 2 {
		t.Fatalf("keyboard rows %d", len(report.KB))
	}
	for _, row := range report.KB {
		for _, b := range row {
			if !strings.HasPrefix(b.Data, "a:") || len(b.Data) != len(callbackPrefix)+callbackIDLen+1 || strings.Contains(b.Data, h.LocationID[:6]) {
				t.Errorf("callback data %q is not opaque", b.Data)
			}
		}
	}

	cases := []struct{ label, want string }{
		{"Nodes", "Living room"},
		{"Devices", "Marias-iPhone"},
		{"WiFi", "-Home"},
		{"Internet", "203.0.113."},
		{"WAN", "Mb"},
		{"History", "%"},
	}
	for _, c := range cases {
		e.chat.reset(alice)
		cb := e.press(alice, alice, report.ID, dataOf(t, report, c.label))
		if ans := e.chat.answered(cb); len(ans) != 1 {
			t.Errorf("%s: answers %v", c.label, ans)
		}
		if got := e.chat.texts(alice); !strings.Contains(got, c.want) {
			t.Errorf("%s: lacks %q:\n%s", c.label, c.want, got)
		}
	}
	// Nodes and devices came from the cache.
	if n := e.sim.Requests("nodes"); n != 1 {
		t.Errorf("nodes requests after buttons %d, want 1 (cached)", n)
	}
	// Refresh bypasses the cache.
	cb := e.press(alice, alice, report.ID, dataOf(t, report, "Refresh"))
	if n := e.sim.Requests("nodes"); n != 2 {
		t.Errorf("nodes requests after refresh %d, want 2", n)
	}
	if ans := e.chat.answered(cb); len(ans) != 1 {
		t.Errorf("refresh answers %v", ans)
	}

	// Foreign and expired buttons.
	cb = e.press(bob, bob, report.ID, dataOf(t, report, "Nodes"))
	if ans := e.chat.answered(cb); len(ans) != 1 || !strings.Contains(ans[0], "not for you") {
		t.Errorf("foreign press: %v", ans)
	}
	real := dataOf(t, report, "Nodes")
	outOfRange := real[:len(real)-1] + "z" // the same keyboard, a button it does not have
	for _, data := range []string{"a:AAAAAAAAAAA", "a:AAAAAAAAAA", outOfRange, real + "A", "garbage", ""} {
		cb = e.press(alice, alice, report.ID, data)
		if ans := e.chat.answered(cb); len(ans) != 1 || !strings.Contains(ans[0], "expired") {
			t.Errorf("expired press %q: %v", data, ans)
		}
	}
}

func dataOf(t *testing.T, m memMsg, label string) string {
	t.Helper()
	for _, row := range m.KB {
		for _, b := range row {
			if strings.Contains(b.Text, label) {
				return b.Data
			}
		}
	}
	t.Fatalf("no button %q", label)
	return ""
}

func TestPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{})
	h := e.loc("huge")
	e.say(alice, "/devices "+h.CustomerID+" "+h.LocationID)
	first := e.chat.last(alice)
	if !strings.Contains(first.Text, "page 1/") {
		t.Fatalf("not paginated:\n%s", first.Text)
	}
	if _, err := dataOfOK(first, "◀"); err == nil {
		t.Error("page 1 has a ◀ button")
	}
	n := len(e.chat.messages(alice))
	cb := e.press(alice, alice, first.ID, dataOf(t, first, "▶"))
	after := e.chat.last(alice)
	if len(e.chat.messages(alice)) != n || after.ID != first.ID || !strings.Contains(after.Text, "page 2/") {
		t.Fatalf("▶ did not edit in place: %d→%d messages\n%s", n, len(e.chat.messages(alice)), after.Text)
	}
	if ans := e.chat.answered(cb); len(ans) != 1 {
		t.Errorf("answers %v", ans)
	}
	e.press(alice, alice, after.ID, dataOf(t, after, "◀"))
	if got := e.chat.last(alice).Text; !strings.Contains(got, "page 1/") {
		t.Errorf("◀ did not go back:\n%s", got)
	}
}

func dataOfOK(m memMsg, label string) (string, error) {
	for _, row := range m.KB {
		for _, b := range row {
			if strings.Contains(b.Text, label) {
				return b.Data, nil
			}
		}
	}
	return "", fmt.Errorf("no %q", label)
}

func TestStatsWindows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{ownSim: true})
	h := e.loc("partial")
	e.say(alice, "/stats "+h.CustomerID+" "+h.LocationID)
	m := e.chat.last(alice)
	for _, w := range []string{"3h", "24h", "7d"} {
		cb := e.press(alice, alice, m.ID, dataOf(t, m, w))
		if ans := e.chat.answered(cb); len(ans) != 1 {
			t.Errorf("%s answers %v", w, ans)
		}
		m = e.chat.last(alice)
	}
	// 24 h twice (command + button) is cached; 3 h and 7 d are separate series.
	if n := e.sim.Requests("onlineStats"); n != 3 {
		t.Errorf("onlineStats requests %d, want 3", n)
	}
}

func TestCacheSingleflight(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{ownSim: true, cfg: func(c *Config) { c.AllowEveryone = true }})
	e.sim.SetLatency(50 * time.Millisecond) // keep the first flight open while the others arrive
	h := e.loc("healthy")
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { e.say(int64(20000+i), "/health "+h.CustomerID+" "+h.LocationID) })
	}
	wg.Wait()
	for _, ep := range []string{"location", "nodes", "devices", "appqoe"} {
		if n := e.sim.Requests(ep); n != 1 {
			t.Errorf("%s requests = %d, want 1", ep, n)
		}
	}
	if n := e.sim.Requests("serviceLevel"); n != 0 {
		t.Errorf("serviceLevel fetched %d times; the location carries it", n)
	}
	if n := e.sim.TokenFetches(); n != 1 {
		t.Errorf("token fetches %d, want 1", n)
	}
	for i := range 50 {
		if got := e.chat.texts(int64(20000 + i)); !strings.Contains(got, "🟢") {
			t.Fatalf("user %d:\n%s", i, got)
		}
	}
	// A cached answer says how old it is.
	e.clock.Advance(25 * time.Second)
	e.say(alice, "/health "+h.CustomerID+" "+h.LocationID)
	if got := e.chat.texts(alice); !strings.Contains(got, "data from") {
		t.Errorf("cached report does not show its age:\n%s", got)
	}
	e.chat.reset(alice)
	// After the TTL the cache refetches; errors are not cached.
	e.clock.Advance(36 * time.Second)
	e.sim.SetFault("nodes", plumesim.Fault{Status: 500, Times: 1})
	e.say(alice, "/nodes "+h.CustomerID+" "+h.LocationID)
	if got := e.chat.last(alice).Text; !strings.Contains(got, "500") {
		t.Errorf("upstream error reply: %s", got)
	}
	e.say(alice, "/nodes "+h.CustomerID+" "+h.LocationID)
	if got := e.chat.last(alice).Text; !strings.Contains(got, "Living room") {
		t.Errorf("after error: %s", got)
	}
	if n := e.sim.Requests("nodes"); n < 3 {
		t.Errorf("nodes requests %d: error was cached?", n)
	}
}

func TestDataNotSharedAcrossCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{ownSim: true, cfg: func(c *Config) { c.AllowedHosts = []string{"127.0.0.1", "localhost"} }})
	h := e.loc("healthy")
	// Bob's own credentials name the simulator as "localhost": a different fingerprint.
	local := strings.Replace(e.info.SSOURL, "127.0.0.1", "localhost", 1)
	e.say(bob, "/auth")
	e.say(bob, local)
	e.say(bob, e.info.AuthHeader)
	e.say(bob, e.info.PartnerID)
	e.say(bob, strings.Replace(e.info.APIBase, "127.0.0.1", "localhost", 1))
	if got := e.chat.last(bob).Text; !strings.Contains(got, "saved") {
		t.Fatalf("bob's /auth: %s", got)
	}
	e.say(alice, "/nodes "+h.CustomerID+" "+h.LocationID)
	e.say(bob, "/nodes "+h.CustomerID+" "+h.LocationID)
	if n := e.sim.Requests("nodes"); n != 2 {
		t.Errorf("nodes requests %d, want 2 (one per credentials)", n)
	}
	e.say(alice, "/nodes")
	if n := e.sim.Requests("nodes"); n != 2 {
		t.Errorf("alice's repeat was not cached: %d", n)
	}
}

func TestManyUsersNoCrossTalk(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{cfg: func(c *Config) { c.AllowEveryone = true }})
	names := []string{"healthy", "degraded", "partial", "offline"}
	want := map[string]string{"healthy": "🟢", "degraded": "🟡", "partial": "🟠", "offline": "🔴"}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			l := e.loc(names[i%len(names)])
			e.say(int64(30000+i), "/status "+l.CustomerID+" "+l.LocationID)
			e.say(int64(30000+i), "/health")
		})
	}
	wg.Wait()
	for i := range 200 {
		user := int64(30000 + i)
		ds := names[i%len(names)]
		got := e.chat.texts(user)
		if !strings.Contains(got, want[ds]) {
			t.Fatalf("user %d (%s) lacks %s:\n%s", i, ds, want[ds], got)
		}
		for _, other := range names {
			has := strings.Contains(got, e.loc(other).LocationID)
			if has != (other == ds) {
				t.Fatalf("user %d (%s): location of %s present=%v:\n%s", i, ds, other, has, got)
			}
		}
		s, err := e.bot.loadSettings(e.ctx(), user)
		if err != nil || s.LocationID != e.loc(ds).LocationID {
			t.Fatalf("user %d settings %+v %v", i, s, err)
		}
	}
}

func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{})
	pc := &panicChat{memChat: e.chat}
	e.bot.chat = pc
	pc.panics.Store(1)
	e.say(alice, "/help")
	if got := e.chat.texts(alice); !strings.Contains(got, "Something went wrong") {
		t.Errorf("after panic:\n%s", got)
	}
	if a := e.lastAudit(); a["outcome"] != "error:panic" {
		t.Errorf("audit %v", a)
	}
	e.say(alice, "/help")
	if got := e.chat.last(alice).Text; !strings.Contains(got, "/health") {
		t.Errorf("bot stopped working: %s", got)
	}
}

func TestSecretsNeverShown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{noOperator: true})
	e.signIn(alice, e.info.AuthHeader)
	h := e.loc("healthy")
	for _, cmd := range []string{"/health", "/wifi", "/status", "/internet"} {
		e.say(alice, cmd+" "+h.CustomerID+" "+h.LocationID)
	}
	e.say(bob, "/auth")
	e.say(bob, e.info.SSOURL)
	e.say(bob, "Basic "+base64.StdEncoding.EncodeToString([]byte("someone:wrong-secret-xyz")))
	e.say(bob, e.info.PartnerID)
	e.say(bob, "/skip")
	token := strings.TrimPrefix(e.info.AuthHeader, "Basic ")
	secrets := []string{e.info.AuthHeader, token, plumesim.ClientSecret, "wrong-secret-xyz", "correct-horse-battery"}
	all := e.chat.texts(alice) + e.chat.texts(bob) + e.logs.String()
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("secret %q leaked", s)
		}
	}
	if !strings.Contains(e.chat.texts(alice), "🟢") {
		t.Errorf("alice did not get a report:\n%s", e.chat.texts(alice))
	}
}
