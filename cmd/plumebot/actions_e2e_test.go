package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"plumebot/internal/plumesim"
	"plumebot/internal/telegram/tgtest"
)

// The actions through the real binary: `serve` against tgtest and the simulator (on the real
// clock: the simulated pods reboot in seconds, and PLUMEBOT_REBOOT_WAIT is short where a test
// waits for a pod that never comes back).

// press pushes a press of the button labelled label on m by user in chat and returns the
// callback ID.
func press(t *testing.T, tg *tgtest.Server, user, chat int64, m tgtest.Message, label string) string {
	t.Helper()
	return tg.PushCallback(user, chat, m.ID, button(t, m, label))
}

// waitToast waits until the callback was answered and returns the toast's text.
func waitToast(t *testing.T, tg *tgtest.Server, cb string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	var text string
	err := tg.WaitUntil(ctx, func(s *tgtest.Server) bool {
		for _, c := range s.Calls("answerCallbackQuery") {
			if c.String("callback_query_id") == cb {
				text = c.String("text")
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("callback %s not answered: %v", cb, err)
	}
	return text
}

// waitEdited waits until message id in chat contains sub.
func waitEdited(t *testing.T, tg *tgtest.Server, chat, id int64, sub string) tgtest.Message {
	t.Helper()
	return waitMessage(t, tg, chat, "edited to contain "+strconv.Quote(sub), func(m tgtest.Message) bool {
		return m.ID == id && strings.Contains(m.Text, sub)
	})
}

func actionsOf(sim *plumesim.Server, endpoint string) int {
	n := 0
	for _, a := range sim.Actions() {
		if a.Endpoint == endpoint {
			n++
		}
	}
	return n
}

func TestActionsThroughServe(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.sim.SetRebootDowntime(2 * time.Second)
	f.sim.SetSpeedTestDuration(time.Second)
	const (
		agent, other, viewer, stranger int64 = 910001, 910002, 910003, 910666
		group                          int64 = -100910
	)
	data := filepath.Join(t.TempDir(), "data")
	p := start(t, f.env(merge(f.operator(), map[string]string{
		"PLUMEBOT_ALLOWED_USERS": strconv.FormatInt(viewer, 10),
		"PLUMEBOT_SUPPORT_USERS": strconv.FormatInt(agent, 10) + "," + strconv.FormatInt(other, 10),
		"PLUMEBOT_ALLOWED_CHATS": strconv.FormatInt(group, 10),
		"PLUMEBOT_REBOOT_WAIT":   "40s", // a read every second
		"PLUMEBOT_DATA_DIR":      data,
		"PLUMEBOT_LISTEN_ADDR":   "127.0.0.1:0",
		"PLUME_TIMEOUT":          "2", // the timeout fault below
	})), nil, "serve")
	base := "http://" + p.addr()
	p.waitLog("long polling")

	// A viewer may not act: refused before any Plume request.
	f.sim.ResetCounters()
	f.tg.PushMessage(viewer, viewer, "/reboot "+f.ids(t, "healthy"))
	waitText(t, f.tg, viewer, "⛔ Only support staff may do this")
	if n := f.sim.Requests(""); n != 0 {
		t.Errorf("%d Plume requests for a viewer's /reboot", n)
	}

	// A support user: the picker, a pod, the confirmation; nothing reaches Plume before ✅.
	f.tg.PushMessage(agent, agent, "/reboot "+f.ids(t, "healthy"))
	picker := waitText(t, f.tg, agent, "🔄 <b>Reboot at Home</b>")
	press(t, f.tg, agent, agent, picker, "Office")
	conf := waitEdited(t, f.tg, agent, picker.ID, "Confirm within 60 s.")
	if !strings.Contains(conf.Text, "restarts; devices on it lose WiFi for about 2–3 minutes") {
		t.Errorf("confirmation = %q", conf.Text)
	}
	if n := len(f.sim.Actions()); n != 0 {
		t.Fatalf("%d actions reached Plume before the confirmation", n)
	}
	if toast := waitToast(t, f.tg, press(t, f.tg, agent, agent, conf, "Confirm")); toast != "Rebooting…" {
		t.Errorf("toast = %q", toast)
	}
	done := waitEdited(t, f.tg, agent, conf.ID, "🟢 Back after")
	if len(done.Keyboard) != 0 || !strings.Contains(done.Text, "Confirmed by") {
		t.Errorf("after the reboot: %q %v", done.Text, done.Keyboard)
	}
	if n := actionsOf(f.sim, plumesim.EndpointRebootNode); n != 1 {
		t.Errorf("%d pod reboots reached Plume, want 1", n)
	}

	// The cooldown: the same pod again says when it becomes possible.
	f.tg.PushMessage(other, other, "/reboot "+f.ids(t, "healthy"))
	picker = waitText(t, f.tg, other, "🔄 <b>Reboot at Home</b>")
	press(t, f.tg, other, other, picker, "Office")
	waitEdited(t, f.tg, other, picker.ID, "⏳ This was rebooted less than 10 min ago; it is possible again at ")

	// A double tap acts once.
	f.tg.PushMessage(agent, agent, "/speedtest "+f.ids(t, "healthy"))
	conf = waitText(t, f.tg, agent, "⚡ <b>ISP speed test")
	cb1, cb2 := press(t, f.tg, agent, agent, conf, "Confirm"), press(t, f.tg, agent, agent, conf, "Confirm")
	waitToast(t, f.tg, cb1)
	waitToast(t, f.tg, cb2)
	waitEdited(t, f.tg, agent, conf.ID, "⬇ ")
	if n := actionsOf(f.sim, plumesim.EndpointISPSpeedTest); n != 1 {
		t.Errorf("a double tap started %d speed tests, want 1", n)
	}

	// In the group only the user who asked may answer; a stranger is not even let in.
	f.tg.PushMessage(agent, group, "/optimize "+f.ids(t, "degraded"))
	conf = waitText(t, f.tg, group, "🛠 <b>Optimization of Home</b>")
	for _, u := range []int64{other, viewer} {
		if toast := waitToast(t, f.tg, press(t, f.tg, u, group, conf, "Confirm")); toast != "Only the person who asked can answer this confirmation." {
			t.Errorf("user %d's press: %q", u, toast)
		}
	}
	if toast := waitToast(t, f.tg, press(t, f.tg, stranger, group, conf, "Confirm")); toast != "Not allowed" {
		t.Errorf("a stranger's press: %q", toast)
	}
	if toast := waitToast(t, f.tg, press(t, f.tg, agent, group, conf, "Cancel")); toast != "Cancelling…" {
		t.Errorf("cancel: %q", toast)
	}
	waitEdited(t, f.tg, group, conf.ID, "Cancelled: nothing was done.")
	// A viewer pressing a support user's action button in the group.
	f.tg.PushMessage(agent, group, "/nodes "+f.ids(t, "degraded"))
	nodes := waitText(t, f.tg, group, "📡 <b>Pods</b>")
	if toast := waitToast(t, f.tg, press(t, f.tg, viewer, group, nodes, "🔄 Reboot Office")); toast != "Only support staff may do this." {
		t.Errorf("a viewer's reboot button: %q", toast)
	}

	// A confirmation from before /logout does nothing after it.
	f.tg.PushMessage(agent, agent, "/optimize "+f.ids(t, "partial"))
	conf = waitText(t, f.tg, agent, "Plume re-plans the WiFi channels")
	f.tg.PushMessage(agent, agent, "/logout")
	waitText(t, f.tg, agent, "Your credentials and settings are deleted")
	press(t, f.tg, agent, agent, conf, "Confirm")
	waitEdited(t, f.tg, agent, conf.ID, "⛔ You signed out or signed in again since you asked: nothing was done.")
	if n := actionsOf(f.sim, plumesim.EndpointOptimize); n != 0 {
		t.Errorf("%d optimizations reached Plume", n)
	}

	// Each refusal from Plume, in the action's words.
	for _, tc := range []struct {
		endpoint, dataset, command, pick, want string
		fault                                  plumesim.Fault
	}{
		{plumesim.EndpointRebootLocation, "degraded", "/reboot", "Every pod", "⚠️ Plume says these credentials may not do this (403).", plumesim.Fault{Status: 403}},
		{plumesim.EndpointRebootNode, "partial", "/reboot", "Bedroom", "⚠️ Plume says this pod is not in this location any more (404).", plumesim.Fault{Status: 404}},
		{plumesim.EndpointISPSpeedTest, "degraded", "/speedtest", "", "⚠️ Plume refused the request's parameters (422). Simulated fault", plumesim.Fault{Status: 422}},
		{plumesim.EndpointOptimize, "nasty", "/optimize", "", "⚠️ Plume did not confirm the request in time: it may or may not have been done.", plumesim.Fault{Latency: time.Minute}},
	} {
		f.sim.SetFault(tc.endpoint, tc.fault)
		f.tg.PushMessage(agent, agent, tc.command+" "+f.ids(t, tc.dataset))
		first := "✅ Confirm"
		if tc.pick != "" {
			first = "🔄 " // the picker's first pod
		}
		conf := waitMessage(t, f.tg, agent, "with a new "+first, func(m tgtest.Message) bool {
			return m.ID > done.ID && len(m.Keyboard) > 0 && strings.HasPrefix(m.Keyboard[0][0].Text, first)
		})
		if tc.pick != "" {
			press(t, f.tg, agent, agent, conf, tc.pick)
			conf = waitEdited(t, f.tg, agent, conf.ID, "Confirm within 60 s.")
		}
		press(t, f.tg, agent, agent, conf, "Confirm")
		done = waitEdited(t, f.tg, agent, conf.ID, tc.want)
	}
	f.sim.ClearFaults()

	// Bad input changes nothing.
	f.tg.PushMessage(agent, agent, "/reboot abc def")
	waitText(t, f.tg, agent, "The customer ID must be 24 hexadecimal characters (got 3 characters).")

	code, metrics := get(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, series := range []string{
		`plumebot_actions_total{action="reboot_pod",outcome="ok"} 1`,
		`plumebot_actions_total{action="reboot_pod",outcome="cooldown"} 1`,
		`plumebot_actions_total{action="speedtest",outcome="ok"} 1`,
		`plumebot_actions_total{action="optimize",outcome="cancelled"} 1`,
		`plumebot_actions_total{action="optimize",outcome="stale"} 1`,
		`plumebot_actions_total{action="reboot_location",outcome="error:forbidden"} 1`,
		`plumebot_actions_total{action="reboot_pod",outcome="error:not_found"} 1`,
		`plumebot_actions_total{action="speedtest",outcome="error:invalid_input"} 1`,
		`plumebot_actions_total{action="optimize",outcome="error:timeout"} 1`,
	} {
		if !strings.Contains(metrics, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
	p.stop()

	// The audit: one line per event, naming who, where, what and Plume's answer.
	var back map[string]any
	for _, l := range p.lines {
		if l["msg"] == "action" && l["result"] == "back" {
			back = l
		}
	}
	if back == nil || back["user"] != float64(agent) || back["chat"] != float64(agent) || back["action"] != "reboot_pod" ||
		back["plume_status"] != float64(204) || back["location"] != f.info.Locations["healthy"].LocationID || back["node"] == "" {
		t.Errorf("audit of the reboot's end: %v", back)
	}
	if un := f.tg.UnansweredCallbacks(); len(un) != 0 {
		t.Errorf("unanswered callbacks: %v", un)
	}
	// Secrets and IDs at rest: the store holds no credential, and no customer, location or pod
	// ID in clear (confirmations, cooldowns and button payloads are sealed).
	db, err := os.ReadFile(filepath.Join(data, "plumebot.db"))
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, "the store", db)
	assertNoSecret(t, "the log", []byte(p.Stderr()))
	for _, ds := range []string{"healthy", "degraded", "partial"} {
		l := f.info.Locations[ds]
		for _, id := range []string{l.CustomerID, l.LocationID, l.NodeSerial} {
			if bytes.Contains(db, []byte(id)) {
				t.Errorf("the store holds %s's ID %s in clear", ds, id)
			}
		}
	}
	for _, m := range append(f.tg.Messages(agent), f.tg.Messages(group)...) {
		assertNoSecret(t, "a bot message", []byte(m.Text))
	}
}

// A pod that never comes back: the message says so once the wait is over.
func TestActionNotBackThroughServe(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.sim.SetRebootDowntime(-1)
	const agent int64 = 920001
	p := start(t, f.env(merge(f.operator(), map[string]string{
		"PLUMEBOT_SUPPORT_USERS": strconv.FormatInt(agent, 10),
		"PLUMEBOT_REBOOT_WAIT":   "2s",
		"PLUMEBOT_DATA_DIR":      filepath.Join(t.TempDir(), "data"),
	})), nil, "serve")
	f.tg.PushMessage(agent, agent, "/reboot "+f.ids(t, "healthy"))
	picker := waitText(t, f.tg, agent, "🔄 <b>Reboot at Home</b>")
	press(t, f.tg, agent, agent, picker, "Every pod")
	conf := waitEdited(t, f.tg, agent, picker.ID, "Confirm within 60 s.")
	press(t, f.tg, agent, agent, conf, "Confirm")
	waitEdited(t, f.tg, agent, conf.ID, "🔴 Down: 0 of 3 pods back")
	waitEdited(t, f.tg, agent, conf.ID, "⚠️ Not back after 2 s: Living room, Office, Bedroom not back; check power and cabling")
	p.stop()
}

// Two replicas on one Redis: one confirmation pressed on both acts once, and the cooldown one
// set holds on the other.
func TestActionTwoReplicasActOnce(t *testing.T) {
	t.Parallel()
	redisURL := redisDB(t, actionsRedisDB)
	f := newFixture(t)
	const agent, secret = int64(930001), "actions-secret"
	vars := merge(f.operator(), map[string]string{
		"PLUMEBOT_SUPPORT_USERS":  strconv.FormatInt(agent, 10),
		"PLUMEBOT_WEBHOOK_URL":    "https://bot.example/hook",
		"PLUMEBOT_WEBHOOK_SECRET": secret,
		"PLUMEBOT_LISTEN_ADDR":    "127.0.0.1:0",
		"PLUMEBOT_REDIS_URL":      redisURL,
		"PLUMEBOT_SECRET_KEY":     newKey(t),
	})
	a, b := start(t, f.env(vars), nil, "serve"), start(t, f.env(vars), nil, "serve")
	hookA, hookB := "http://"+a.addr()+"/hook", "http://"+b.addr()+"/hook"
	a.waitLog("webhook mode")
	b.waitLog("webhook mode")

	hookSender(t, f.tg, agent, hookA, secret)("/reboot " + f.ids(t, "healthy"))
	picker := waitText(t, f.tg, agent, "🔄 <b>Reboot at Home</b>")
	if code := postUpdate(t, hookB, secret, f.tg.CallbackUpdate(agent, agent, picker.ID, button(t, picker, "Office"))); code != 200 {
		t.Fatalf("webhook B: %d", code)
	}
	conf := waitEdited(t, f.tg, agent, picker.ID, "Confirm within 60 s.")
	// The same ✅ pressed on both replicas at the same moment.
	var wg sync.WaitGroup
	for _, hook := range []string{hookA, hookB} {
		body := f.tg.CallbackUpdate(agent, agent, conf.ID, button(t, conf, "Confirm"))
		wg.Go(func() {
			if code := postUpdate(t, hook, secret, body); code != 200 {
				t.Errorf("webhook %s: %d", hook, code)
			}
		})
	}
	wg.Wait()
	waitEdited(t, f.tg, agent, conf.ID, "Confirmed by")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := f.tg.WaitUntil(ctx, func(s *tgtest.Server) bool { return len(s.UnansweredCallbacks()) == 0 }); err != nil {
		t.Fatalf("callbacks unanswered: %v", f.tg.UnansweredCallbacks())
	}
	if n := actionsOf(f.sim, plumesim.EndpointRebootNode); n != 1 {
		t.Errorf("the confirmation pressed on two replicas rebooted %d times, want 1", n)
	}
	// The cooldown set through one replica holds on the other.
	hookSender(t, f.tg, agent, hookB, secret)("/reboot " + f.ids(t, "healthy"))
	picker = waitMessage(t, f.tg, agent, "with a second picker", func(m tgtest.Message) bool {
		return m.ID != picker.ID && strings.Contains(m.Text, "🔄 <b>Reboot at Home</b>")
	})
	if code := postUpdate(t, hookA, secret, f.tg.CallbackUpdate(agent, agent, picker.ID, button(t, picker, "Office"))); code != 200 {
		t.Fatalf("webhook A: %d", code)
	}
	waitEdited(t, f.tg, agent, picker.ID, "it is possible again at")
	a.stop()
	b.stop()
}

// The demo shows a reboot end to end: its user is a support user.
func TestDemoReboot(t *testing.T) {
	t.Parallel()
	sim, err := plumesim.Start(plumesim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := sim.Info().Locations["healthy"]
	sim.Close() // only its IDs were needed: they are the same in the demo's own simulator

	cmd := exec.Command(binPath, "demo")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &watchedBuffer{changed: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	say := func(line, want string) {
		t.Helper()
		if _, err := io.WriteString(stdin, line+"\n"); err != nil {
			t.Fatal(err)
		}
		out.waitFor(t, want)
	}
	out.waitFor(t, "/reboot "+h.CustomerID+" "+h.LocationID)
	say("/reboot "+h.CustomerID+" "+h.LocationID, "[2] 🔄 Office")
	say("2", "[1] ✅ Confirm")
	say("1", "🟢 Back after 10 s")
	say("/quit", "bye")
	if err := cmd.Wait(); err != nil {
		t.Errorf("demo: %v\n%s", err, out.String())
	}
}

// watchedBuffer is a child's output that a test can wait on.
type watchedBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func (w *watchedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.changed)
	w.changed = make(chan struct{})
	return w.b.Write(p)
}

func (w *watchedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// waitFor waits until the output contains sub.
func (w *watchedBuffer) waitFor(t *testing.T, sub string) {
	t.Helper()
	timeout := time.After(waitTimeout)
	for {
		w.mu.Lock()
		ok, ch := strings.Contains(w.b.String(), sub), w.changed
		w.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("no %q in the demo's output within %v:\n%s", sub, waitTimeout, w.String())
		}
	}
}
