package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"plumebot/internal/plume"
	"plumebot/internal/secret"
	"plumebot/internal/telegram/tgtest"
)

// The watcher end to end: serve (the real binary) checks the simulator's locations, whose state
// the tests change through its control (SetLocationOnline, SetPodConnected), and posts alerts
// to the fake Bot API. Checks come every 5 s (the shortest PLUMEBOT_WATCH_INTERVAL); a change
// is told once two checks saw it. Tests follow the checks through serve's debug line per check
// and wait on conditions, never on the clock.

const msgChecked = "watch: checked"

// watchEnv is serve's environment for these tests: operator credentials, the allowed users
// and group, checks every 5 s and a debug line per check.
func (f *fixture) watchEnv(users []int64, extra map[string]string) []string {
	var ids []string
	for _, u := range users {
		ids = append(ids, strconv.FormatInt(u, 10))
	}
	return f.env(merge(f.operator(), map[string]string{
		"PLUMEBOT_ALLOWED_USERS":  strings.Join(ids, ","),
		"PLUMEBOT_WATCH_INTERVAL": "5s",
		"PLUMEBOT_LOG_LEVEL":      "debug",
	}, extra))
}

// count is how many log lines with msg the child wrote so far.
func (p *proc) count(msg string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.lines {
		if l["msg"] == msg {
			n++
		}
	}
	return n
}

// waitCount waits until the child wrote n log lines with msg.
func (p *proc) waitCount(msg string, n int) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitTimeout)
	defer cancel()
	for {
		p.mu.Lock()
		ch := p.changed
		p.mu.Unlock()
		if p.count(msg) >= n {
			return
		}
		select {
		case <-ch:
		case <-p.done:
			p.t.Fatalf("plumebot exited (code %d) before %d lines %q; stderr:\n%s", p.exit(), n, msg, p.Stderr())
		case <-ctx.Done():
			p.t.Fatalf("%d lines %q within %v, want %d; stderr:\n%s", p.count(msg), msg, 2*waitTimeout, n, p.Stderr())
		}
	}
}

// checksAfter waits for n more checks than so far. Checks of one watch never overlap, so the
// second of them started after the first ended: two checks after a change include one that
// saw it, three include two (a change held).
func (p *proc) checksAfter(n int) {
	p.t.Helper()
	p.waitCount(msgChecked, p.count(msgChecked)+n)
}

// isAlert tells an alert from the bot's other messages: it names the location and is no
// report and no reply to /watch.
func isAlert(m tgtest.Message) bool {
	return strings.Contains(m.Text, "\nLocation <code>") && !strings.Contains(m.Text, "🏠") && !strings.HasPrefix(m.Text, "🔔")
}

func alerts(tg *tgtest.Server, chat int64) []tgtest.Message {
	var out []tgtest.Message
	for _, m := range tg.Messages(chat) {
		if isAlert(m) {
			out = append(out, m)
		}
	}
	return out
}

// waitAlert waits for the n-th alert in chat and checks it says what.
func waitAlert(t *testing.T, tg *tgtest.Server, chat int64, n int, what string) tgtest.Message {
	t.Helper()
	waitMessage(t, tg, chat, "with "+strconv.Itoa(n)+" alerts", func(tgtest.Message) bool { return len(alerts(tg, chat)) >= n })
	a := alerts(tg, chat)[n-1]
	if !strings.Contains(a.Text, what) {
		t.Fatalf("alert %d is %q, want one saying %q", n, a.Text, what)
	}
	return a
}

// wantAlerts fails unless chat's alerts say, in order, exactly what (one substring each).
func wantAlerts(t *testing.T, tg *tgtest.Server, chat int64, what ...string) {
	t.Helper()
	got := alerts(tg, chat)
	ok := len(got) == len(what)
	for i := 0; ok && i < len(got); i++ {
		ok = strings.Contains(got[i].Text, what[i])
	}
	if !ok {
		var texts []string
		for _, m := range got {
			texts = append(texts, strings.SplitN(m.Text, "\n", 2)[0])
		}
		t.Fatalf("alerts in chat %d:\n  %q\nwant, in order:\n  %q", chat, texts, what)
	}
}

// podSerial is the serial of a dataset's pod by name, as Plume lists it.
func (f *fixture) podSerial(t *testing.T, dataset, name string) string {
	t.Helper()
	c, err := plume.NewClient(plume.Credentials{TokenURL: f.info.SSOURL, AuthHeader: secret.String(f.info.AuthHeader),
		PartnerID: f.info.PartnerID, APIBase: f.info.APIBase}, plume.Options{HTTPClient: f.sim.Client(), AllowedHosts: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	l := f.info.Locations[dataset]
	nodes, err := c.Nodes(context.Background(), l.CustomerID, l.LocationID)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Name() == name {
			return n.ID
		}
	}
	t.Fatalf("no pod %q in %s", name, dataset)
	return ""
}

func (f *fixture) setOnline(t *testing.T, dataset string, online bool) {
	t.Helper()
	if err := f.sim.SetLocationOnline(f.info.Locations[dataset].LocationID, online); err != nil {
		t.Fatal(err)
	}
}

// TestWatchOutageAndRecovery: an outage, its recovery, a pod going and coming back give
// exactly one alert each, the recovery replying to the outage; /metrics counts them; a chat
// that blocked the bot pauses its watches.
func TestWatchOutageAndRecovery(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const user = 515151
	data := filepath.Join(t.TempDir(), "data")
	p := start(t, f.watchEnv([]int64{user}, map[string]string{"PLUMEBOT_LISTEN_ADDR": "127.0.0.1:0",
		"PLUMEBOT_DATA_DIR": data}), nil, "serve")
	addr := p.addr()
	f.tg.PushMessage(user, user, "/watch "+f.ids(t, "healthy"))
	waitText(t, f.tg, user, "🔔 Watching <b>Home</b>")
	p.waitCount(msgChecked, 1) // the baseline: nothing to say about how it was

	f.setOnline(t, "healthy", false)
	offline := waitAlert(t, f.tg, user, 1, "🔴 <b>Home</b> went offline at ")
	f.setOnline(t, "healthy", true)
	online := waitAlert(t, f.tg, user, 2, "🟢 <b>Home</b> is back online after ")
	if online.ReplyTo != offline.ID {
		t.Errorf("the recovery replies to %d, want the outage's alert %d", online.ReplyTo, offline.ID)
	}
	office := f.podSerial(t, "healthy", "Office")
	if err := f.sim.SetPodConnected(office, false); err != nil {
		t.Fatal(err)
	}
	waitAlert(t, f.tg, user, 3, "🟠 <b>Home</b>: pod <b>Office</b> disconnected")
	if err := f.sim.SetPodConnected(office, true); err != nil {
		t.Fatal(err)
	}
	waitAlert(t, f.tg, user, 4, "🟢 <b>Home</b>: pod <b>Office</b> reconnected")
	p.checksAfter(3) // nothing changes: nothing more is said
	wantAlerts(t, f.tg, user, "went offline", "back online", "disconnected", "reconnected")
	for _, a := range alerts(f.tg, user) {
		if !strings.Contains(a.Text, "(America/Chicago)") {
			t.Errorf("alert %q does not give the location's time zone", a.Text)
		}
	}

	_, body := get(t, "http://"+addr+"/metrics")
	for _, line := range []string{"plumebot_watches 1", "plumebot_watch_leader 1",
		`plumebot_watch_alerts_total{kind="offline",outcome="sent"} 1`, `plumebot_watch_alerts_total{kind="online",outcome="sent"} 1`,
		`plumebot_watch_alerts_total{kind="pod_down",outcome="sent"} 1`, `plumebot_watch_interval_seconds{kind="target"} 5`,
		"plumebot_watch_budget_requests_per_second 2"} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	f.tg.PushMessage(user, user, "/watches")
	waitText(t, f.tg, user, "(target 5 s), within 2 Plume requests/s")

	// The user blocks the bot: the next alert is refused for good and the watch pauses.
	f.tg.Fault("sendMessage", tgtest.Fault{Status: 403})
	f.setOnline(t, "healthy", false)
	p.waitLog("watch: the chat cannot be reached; its watches pause")
	f.setOnline(t, "healthy", true)
	p.checksAfter(3)
	wantAlerts(t, f.tg, user, "went offline", "back online", "disconnected", "reconnected")
	p.stop()

	// Nothing naming the customer is in the data folder in clear.
	raw, err := os.ReadFile(filepath.Join(data, "plumebot.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append(strings.Fields(f.ids(t, "healthy")), office) {
		if strings.Contains(string(raw), s) {
			t.Errorf("the store holds %s in clear", s)
		}
	}
}

// TestWatchGroupTopicAckAndSnooze: in a forum topic of a group, alerts go to the topic; a
// stranger's ✅ Ack and 😴 are refused; a member's Ack names them on the alert and on the
// incident's next alert, which replies to the first; a snooze holds back the next outage.
func TestWatchGroupTopicAckAndSnooze(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const alice, bob, stranger, group, topic = 616161, 626262, 636363, -100616, 42
	p := start(t, f.watchEnv([]int64{alice, bob}, map[string]string{"PLUMEBOT_ALLOWED_CHATS": strconv.Itoa(group)}), nil, "serve")
	f.tg.PushShaped(alice, group, "/watch "+f.ids(t, "degraded"), tgtest.Shape{ThreadID: topic})
	if m := waitText(t, f.tg, group, "🔔 Watching"); m.ThreadID != topic {
		t.Errorf("the answer to /watch went to topic %d, want %d", m.ThreadID, topic)
	}
	p.waitCount(msgChecked, 1)

	f.setOnline(t, "degraded", false)
	first := waitAlert(t, f.tg, group, 1, "🔴 <b>Home</b> went offline")
	if first.ThreadID != topic {
		t.Errorf("the alert went to topic %d, want %d", first.ThreadID, topic)
	}
	answers := len(f.tg.Calls("answerCallbackQuery"))
	f.tg.PushCallback(stranger, group, first.ID, button(t, first, "✅ Ack"))
	f.tg.PushCallback(stranger, group, first.ID, button(t, first, "😴 1 h"))
	f.tg.PushCallback(bob, group, first.ID, button(t, first, "✅ Ack"))
	acked := "✅ Acknowledged by <b>User626262</b>"
	waitMessage(t, f.tg, group, "edited to name who acknowledged", func(m tgtest.Message) bool {
		return m.ID == first.ID && strings.Contains(m.Text, acked)
	})
	var refused int
	for _, c := range f.tg.Calls("answerCallbackQuery")[answers:] {
		if c.String("text") == "Not allowed" {
			refused++
		}
	}
	if refused != 2 {
		t.Errorf("%d of the stranger's 2 presses refused", refused)
	}

	f.setOnline(t, "degraded", true)
	second := waitAlert(t, f.tg, group, 2, "🟢 <b>Home</b> is back online")
	if second.ReplyTo != first.ID || second.ThreadID != topic || !strings.Contains(second.Text, acked) {
		t.Errorf("the recovery (reply to %d, topic %d) %q: want a reply to %d in topic %d naming who acknowledged",
			second.ReplyTo, second.ThreadID, second.Text, first.ID, topic)
	}

	f.tg.PushCallback(alice, group, first.ID, button(t, first, "😴 1 h"))
	waitText(t, f.tg, group, "snoozed alerts about <b>Home</b> for 1 h")
	f.setOnline(t, "degraded", false)
	p.checksAfter(3) // two checks saw it: it would be told now
	wantAlerts(t, f.tg, group, "went offline", "back online")
	f.tg.PushShaped(bob, group, "/watches", tgtest.Shape{ThreadID: topic})
	if m := waitText(t, f.tg, group, "😴 Snoozed for 59 min more"); m.ThreadID != topic || !strings.Contains(m.Text, "🔴 <b>Home</b> · offline") {
		t.Errorf("/watches in the topic: topic %d, %q", m.ThreadID, m.Text)
	}
}

// TestWatchFlapGivesOneAlert: a location that keeps going down and up gets one "flapping"
// alert instead of one per outage (here past one outage an hour).
func TestWatchFlapGivesOneAlert(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const user = 646464
	p := start(t, f.watchEnv([]int64{user}, map[string]string{"PLUMEBOT_WATCH_FLAP_LIMIT": "1", "PLUMEBOT_WATCH_HOLD": "1"}), nil, "serve")
	f.tg.PushMessage(user, user, "/watch "+f.ids(t, "healthy"))
	waitText(t, f.tg, user, "🔔 Watching")
	p.waitCount(msgChecked, 1)
	for range 3 {
		f.setOnline(t, "healthy", false)
		p.checksAfter(2) // one check saw it: with a hold of one check, it is told
		f.setOnline(t, "healthy", true)
		p.checksAfter(2)
	}
	wantAlerts(t, f.tg, user, "went offline", "back online", "🔁 <b>Home</b> is flapping: 2 outages")
}

// TestWatchRestart: an alert told before a restart is not told again; a change while the bot
// was down is told after it.
func TestWatchRestart(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const user = 656565
	env := f.watchEnv([]int64{user}, map[string]string{"PLUMEBOT_DATA_DIR": filepath.Join(t.TempDir(), "data")})
	p := start(t, env, nil, "serve")
	f.tg.PushMessage(user, user, "/watch "+f.ids(t, "partial"))
	waitText(t, f.tg, user, "🔔 Watching")
	p.waitCount(msgChecked, 1)
	f.setOnline(t, "partial", false)
	waitAlert(t, f.tg, user, 1, "went offline")
	p.stop()

	f.setOnline(t, "partial", true) // while the bot is down
	p = start(t, env, nil, "serve")
	waitAlert(t, f.tg, user, 2, "🟢 <b>Home</b> is back online")
	p.checksAfter(3)
	wantAlerts(t, f.tg, user, "went offline", "back online")
}

// TestWatchGroupBecameSupergroupWhileDown: a group upgraded to a supergroup while the bot was
// down (its service messages lost) learns it from Telegram's refusal of the next alert: the
// watches move to the supergroup and the alert goes there once, not marked as sent again
// (Telegram refused it: no earlier copy reached anyone).
func TestWatchGroupBecameSupergroupWhileDown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const alice, group = 727272, -4343
	env := f.watchEnv([]int64{alice}, map[string]string{"PLUMEBOT_ALLOWED_CHATS": strconv.Itoa(group),
		"PLUMEBOT_DATA_DIR": filepath.Join(t.TempDir(), "data")})
	p := start(t, env, nil, "serve")
	f.tg.PushMessage(alice, group, "/watch "+f.ids(t, "healthy"))
	waitText(t, f.tg, group, "🔔 Watching")
	p.waitCount(msgChecked, 1)
	p.stop()
	super := f.tg.UpgradeGroup(alice, group)
	// The updates that announced it are gone (older than Telegram keeps, or dropped).
	resp, err := http.Post(f.tg.APIURL()+"/bot"+tgtest.Token+"/getUpdates", "application/json",
		strings.NewReader(`{"offset": 1000000000, "timeout": 0}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	p = start(t, env, nil, "serve")
	p.waitCount(msgChecked, 1)
	f.setOnline(t, "healthy", false)
	if a := waitAlert(t, f.tg, super, 1, "🔴 <b>Home</b> went offline"); strings.Contains(a.Text, "Sent again") {
		t.Errorf("the alert in the supergroup says it may be a copy: %q", a.Text)
	}
	p.checksAfter(3)
	wantAlerts(t, f.tg, super, "went offline")
	f.tg.PushMessage(alice, super, "/watches")
	waitText(t, f.tg, super, "🔴 <b>Home</b> · offline")
}

// watchRedisDB is TestWatchTwoReplicasAlertOnce's Redis database.
const watchRedisDB = 14

// TestWatchTwoReplicasAlertOnce: two replicas on one Redis tell each change once; the checking
// one killed in the middle of a change is replaced by the other, which tells it once.
func TestWatchTwoReplicasAlertOnce(t *testing.T) {
	t.Parallel()
	redisURL := redisDB(t, watchRedisDB)
	f := newFixture(t)
	const user = 676767
	vars := merge(replicaVars(t, user, "watch-replicas", redisURL), f.operator(), map[string]string{
		"PLUMEBOT_SECRET_KEY":     newKey(t),
		"PLUMEBOT_WATCH_INTERVAL": "5s",
		"PLUMEBOT_LOG_LEVEL":      "debug",
	})
	ra, rb := startReplicas(t, f, user, vars)
	a, b := ra.proc, rb.proc
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replica A:\n%s\nreplica B:\n%s", a.Stderr(), b.Stderr())
		}
	})
	ra.send("/watch " + f.ids(t, "healthy"))
	waitText(t, f.tg, user, "🔔 Watching")
	leader, other := leading(t, a, b)
	leader.waitCount(msgChecked, 1)

	f.setOnline(t, "healthy", false)
	waitAlert(t, f.tg, user, 1, "went offline")
	// Killed while the recovery is seen but not yet held (not while an alert is being sent:
	// that window is the watcher's documented one, where the next replica sends it again,
	// marked, after the send's claim expires).
	leader.checksAfter(1)
	f.setOnline(t, "healthy", true)
	leader.checksAfter(1)                             // it may have seen the recovery once: too few to tell it
	if err := leader.cmd.Process.Kill(); err != nil { // no shutdown: the lease is left to expire
		t.Fatal(err)
	}
	other.waitLog("watch: this replica checks the watches (lease taken)")
	waitAlert(t, f.tg, user, 2, "back online")
	other.checksAfter(3)
	wantAlerts(t, f.tg, user, "went offline", "back online")
	if other.count("watch alert") != 1 {
		t.Errorf("the replica that took over sent %d alerts, want the recovery", other.count("watch alert"))
	}
}

// leading waits until one of two replicas holds the watcher's lease, and returns it first.
func leading(t *testing.T, a, b *proc) (leader, other *proc) {
	t.Helper()
	const msg = "watch: this replica checks the watches (lease taken)"
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for {
		a.mu.Lock()
		ca := a.changed
		a.mu.Unlock()
		b.mu.Lock()
		cb := b.changed
		b.mu.Unlock()
		switch {
		case a.count(msg) > 0:
			return a, b
		case b.count(msg) > 0:
			return b, a
		}
		select {
		case <-ca:
		case <-cb:
		case <-ctx.Done():
			t.Fatalf("no replica took the watcher's lease within %v", waitTimeout)
		}
	}
}

// TestDemoWatch: in the demo, /watch on the flapping location shows an alert within about
// 30 s (the test allows 60), printed as plain text with its buttons, and the banner says so.
func TestDemoWatch(t *testing.T) {
	t.Parallel()
	l := datasetIDs(t, "flapping")

	cmd := exec.Command(binPath, "demo")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 256)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var out strings.Builder
	// expect reads lines until one contains want, within d, and returns it.
	expect := func(want string, d time.Duration) string {
		t.Helper()
		deadline := time.NewTimer(d)
		defer deadline.Stop()
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatalf("the demo ended before printing %q:\n%s", want, out.String())
				}
				out.WriteString(line + "\n")
				if strings.Contains(line, want) {
					return line
				}
			case <-deadline.C:
				t.Fatalf("the demo did not print %q within %v:\n%s", want, d, out.String())
			}
		}
	}
	expect("/watch "+l.CustomerID+" "+l.LocationID, waitTimeout) // the banner says what to try
	if _, err := io.WriteString(stdin, "/watch "+l.CustomerID+" "+l.LocationID+"\n"); err != nil {
		t.Fatal(err)
	}
	expect("🔔 Watching Lake house", waitTimeout)
	start := time.Now()
	// The first check finds it online or offline, whichever half of the cycle it is in; the
	// next change is told.
	alert := expect("Lake house ", 60*time.Second)
	if !strings.Contains(alert, "🟢 Lake house is back online after") && !strings.Contains(alert, "🔴 Lake house went offline at") {
		t.Errorf("the first alert says %q", alert)
	}
	expect("[1] 🔍 Health", waitTimeout)
	t.Logf("the first alert came %v after /watch", time.Since(start).Round(time.Second))
	if _, err := io.WriteString(stdin, "/quit\n"); err != nil {
		t.Fatal(err)
	}
	expect("bye", waitTimeout)
	if tag := htmlTag.FindString(out.String()); tag != "" {
		t.Errorf("the demo printed an HTML tag %q", tag)
	}
}
