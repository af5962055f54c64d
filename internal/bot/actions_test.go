package bot

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"plumebot/internal/plume"
	"plumebot/internal/plumesim"
)

// The actions through the chat core: the real engine, store and simulator, one clock for the
// bot and the simulator, so a follow-through runs to its end without a sleep.

const (
	carol int64 = 103 // support
	dave  int64 = 104 // support
	boss  int64 = 105 // admin
)

var names = map[int64]string{alice: "Alice", bob: "Bob", carol: "Carol", dave: "Dave", boss: "Boss"}

func actionEnv(t *testing.T, edit ...func(*Config)) *env {
	t.Helper()
	return newEnv(t, envOpt{ownSim: true, simClock: true, cfg: func(c *Config) {
		c.Support = []int64{carol, dave}
		c.Admins = []int64{boss}
		c.ProgressDelay = time.Hour
		for _, f := range edit {
			f(c)
		}
	}})
}

// sayIn sends a message from user in chat (a group when chat != user).
func (e *env) sayIn(chat, user int64, text string) {
	ct := ChatPrivate
	if chat != user {
		ct = ChatSupergroup
	}
	e.bot.Handle(e.ctx(), Update{UserID: user, FirstName: names[user], ChatID: chat, ChatType: ct,
		MessageID: e.msgID.Add(1), Text: text})
}

// pressIn presses the newest button labelled label in chat as user and returns the toast.
func (e *env) pressIn(chat, user int64, label string) string {
	e.t.Helper()
	msg, data := e.findButton(chat, label)
	return e.pressData(chat, user, msg, data)
}

// pressData presses a button by its data and returns the toast.
func (e *env) pressData(chat, user, msg int64, data string) string {
	e.t.Helper()
	id := "cb" + strconv.FormatInt(e.cbID.Add(1), 10)
	ct := ChatPrivate
	if chat != user {
		ct = ChatSupergroup
	}
	e.bot.Handle(e.ctx(), Update{UserID: user, FirstName: names[user], ChatID: chat, ChatType: ct, MessageID: msg,
		Callback: &Callback{ID: id, Data: data}})
	e.chat.mu.Lock()
	defer e.chat.mu.Unlock()
	if a := e.chat.answers[id]; len(a) == 1 {
		return a[0]
	}
	e.t.Fatalf("callback %s answered %d times", id, len(e.chat.answers[id]))
	return ""
}

func (e *env) ids(ds string) string { l := e.loc(ds); return l.CustomerID + " " + l.LocationID }

func labels(kb Keyboard) [][]string {
	var out [][]string
	for _, row := range kb {
		var r []string
		for _, b := range row {
			r = append(r, b.Text)
		}
		out = append(out, r)
	}
	return out
}

func (e *env) podSerial(ds string, i int) string {
	e.t.Helper()
	l := e.loc(ds)
	s, err := e.bot.data.Session(*e.bot.cfg.Operator)
	if err != nil {
		e.t.Fatal(err)
	}
	nodes, err := s.Fresh().Nodes(e.ctx(), l.CustomerID, l.LocationID)
	if err != nil {
		e.t.Fatal(err)
	}
	return nodes[i].ID
}

// auditActions are the action audit events logged so far, as "stage result".
func (e *env) auditActions() []string {
	var out []string
	for _, line := range strings.Split(e.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil || m["msg"] != "action" {
			continue
		}
		out = append(out, fmt.Sprintf("%v %v %v", m["stage"], m["action"], m["result"]))
	}
	return out
}

func TestActionRebootToTheEnd(t *testing.T) {
	t.Parallel()
	e := actionEnv(t)
	office := e.podSerial("healthy", 1)
	e.sim.ResetCounters()
	e.sayIn(carol, carol, "/reboot "+e.ids("healthy"))
	picker := e.chat.last(carol)
	if want := "🔄 <b>Reboot at Home</b>\nChoose a pod, or every pod at once. Nothing restarts before you confirm."; picker.Text != want {
		t.Errorf("picker = %q", picker.Text)
	}
	if got, want := labels(picker.KB), [][]string{{"🔄 Living room (gateway)", "🔄 Office"}, {"🔄 Bedroom"}, {"🏠 Every pod (the whole location)"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("picker buttons = %q", got)
	}

	if toast := e.pressIn(carol, carol, "🔄 Office"); toast != "Preparing the confirmation…" {
		t.Errorf("toast = %q", toast)
	}
	conf := e.chat.last(carol)
	want := "🔄 <b>Reboot pod Office (serial " + office + ")</b>\nPod Office (serial " + office + ") restarts; " +
		"devices on it lose WiFi for about 2–3 minutes. 2 devices are connected to it now.\n\nConfirm within 60 s."
	if conf.ID != picker.ID || conf.Text != want {
		t.Errorf("confirmation (message %d, picker %d):\n%q\nwant\n%q", conf.ID, picker.ID, conf.Text, want)
	}
	if got := labels(conf.KB); !reflect.DeepEqual(got, [][]string{{"✅ Confirm", "✖ Cancel"}}) {
		t.Errorf("confirmation buttons = %q", got)
	}
	for _, b := range conf.KB[0] {
		if key, _, ok := parseConfirm(b.Data); !ok || strings.Contains(b.Data, office) || len(key) != 22 {
			t.Errorf("button data %q: want k:, an opaque key and y or n", b.Data)
		}
	}
	if n := len(e.sim.Actions()); n != 0 {
		t.Fatalf("%d actions reached Plume before the confirmation", n)
	}
	e.clock.waitSleepers(t, 1) // the confirmation's expiry

	mark := len(e.chat.eventsSince(0))
	if toast := e.pressIn(carol, carol, "✅ Confirm"); toast != "Rebooting…" {
		t.Errorf("toast = %q", toast)
	}
	if ev := e.chat.eventsSince(mark); len(ev) == 0 || ev[0].op != "answer" {
		t.Errorf("the press was not answered first: %+v", ev)
	}
	acts := e.sim.Actions()
	if len(acts) != 1 || acts[0].Endpoint != plumesim.EndpointRebootNode || acts[0].NodeID != office || acts[0].Status != 204 {
		t.Fatalf("Plume got %+v, want one reboot of Office", acts)
	}
	head := "🔄 <b>Reboot pod Office (serial " + office + ")</b>\nConfirmed by Carol at 12:00 UTC.\n"
	// The follow-through: a read every 15 s; the expiry timer ends at 60 s, the pod is back at
	// 2 min 14 s and seen back at 2 min 15 s.
	seen := []string{}
	note := func() {
		if txt := strings.TrimPrefix(e.chat.last(carol).Text, head); len(seen) == 0 || seen[len(seen)-1] != txt {
			seen = append(seen, txt)
		}
	}
	e.clock.waitSleepers(t, 2)
	note()
	for k := 1; k < 9; k++ {
		e.clock.Advance(15 * time.Second)
		if k < 4 {
			e.clock.waitSleepers(t, 2)
		} else {
			e.clock.waitSleepers(t, 1)
		}
		note()
	}
	e.clock.Advance(15 * time.Second)
	e.chat.waitUntil(t, "the pod back", func() bool { return strings.Contains(e.chat.last(carol).Text, "🟢") })
	note()
	if want := []string{"🔴 Down", "🟢 Back after 2 min 14 s"}; !reflect.DeepEqual(seen, want) {
		t.Errorf("the message said %q, want %q", seen, want)
	}
	wantAudit := []string{"request reboot_pod asked", "confirm reboot_pod confirmed", "outcome reboot_pod accepted", "outcome reboot_pod back"}
	if got := e.auditActions(); !reflect.DeepEqual(got, wantAudit) {
		t.Errorf("audit = %q\nwant %q", got, wantAudit)
	}
	if strings.Contains(e.logs.String(), e.info.AuthHeader) {
		t.Error("the audit log holds the Authorization header")
	}
}

func TestActionRoles(t *testing.T) {
	t.Parallel()
	e := actionEnv(t)
	e.sim.ResetCounters()
	// A viewer is refused before any Plume request.
	e.sayIn(alice, alice, "/reboot "+e.ids("healthy"))
	refusal := "⛔ Only support staff may do this; your administrator can add your user ID to PLUMEBOT_SUPPORT_USERS."
	if got := e.chat.last(alice).Text; got != refusal {
		t.Errorf("viewer's /reboot: %q", got)
	}
	for _, cmd := range []string{"/speedtest", "/optimize"} {
		e.sayIn(alice, alice, cmd+" "+e.ids("healthy"))
		if got := e.chat.last(alice).Text; got != refusal {
			t.Errorf("viewer's %s: %q", cmd, got)
		}
	}
	if n := e.sim.Requests(""); n != 0 {
		t.Errorf("%d Plume requests for a viewer's actions", n)
	}

	// /help and the command menu show the actions only to whom may run them.
	e.sayIn(alice, alice, "/help")
	e.sayIn(carol, carol, "/help")
	e.sayIn(boss, boss, "/help")
	if strings.Contains(e.chat.last(alice).Text, "/reboot") {
		t.Error("a viewer's /help lists /reboot")
	}
	for _, u := range []int64{carol, boss} {
		help := e.chat.last(u).Text
		for _, c := range []string{"/reboot [customerId locationId] — Reboot a pod or the whole location", "/speedtest", "/optimize"} {
			if !strings.Contains(help, c) {
				t.Errorf("user %d's /help lacks %q", u, c)
			}
		}
	}
	for _, c := range e.bot.Commands() {
		if c.Name == "reboot" || c.Name == "speedtest" || c.Name == "optimize" {
			t.Errorf("the menu everyone sees lists /%s", c.Name)
		}
	}

	// Buttons under /nodes and /internet: for support users only.
	e.sayIn(alice, alice, "/nodes "+e.ids("healthy"))
	e.sayIn(carol, carol, "/nodes "+e.ids("healthy"))
	if got := labels(e.chat.last(alice).KB); strings.Contains(fmt.Sprint(got), "Reboot") {
		t.Errorf("a viewer's /nodes has %q", got)
	}
	if got := labels(e.chat.last(carol).KB)[:2]; !reflect.DeepEqual(got, [][]string{{"🔄 Reboot Living room (gateway)", "🔄 Reboot Office"}, {"🔄 Reboot Bedroom"}}) {
		t.Errorf("a support user's /nodes has %q", got)
	}
	e.sayIn(alice, alice, "/internet")
	e.sayIn(carol, carol, "/internet")
	if got := labels(e.chat.last(alice).KB); strings.Contains(fmt.Sprint(got), "Speed test") {
		t.Errorf("a viewer's /internet has %q", got)
	}
	if got := labels(e.chat.last(carol).KB)[0]; !reflect.DeepEqual(got, []string{"⚡ Speed test", "🛠 Optimize"}) {
		t.Errorf("a support user's /internet starts with %q", got)
	}

	// In an allowed group a viewer sees a support user's buttons; pressing one does nothing.
	e.sayIn(group, carol, "/nodes "+e.ids("healthy"))
	if toast := e.pressIn(group, alice, "🔄 Reboot Office"); toast != "Only support staff may do this." {
		t.Errorf("viewer's press in the group: %q", toast)
	}
	if n := len(e.sim.Actions()); n != 0 {
		t.Errorf("%d actions reached Plume", n)
	}
}

// In a group, only the support user who asked may confirm: not another support user, not a
// viewer, not an admin; their presses do not use the confirmation up.
func TestActionConfirmedOnlyByTheRequester(t *testing.T) {
	t.Parallel()
	e := actionEnv(t)
	e.sayIn(group, carol, "/speedtest "+e.ids("healthy"))
	conf := e.chat.last(group)
	for _, u := range []int64{dave, alice, boss} {
		for _, label := range []string{"✅ Confirm", "✖ Cancel"} {
			if toast := e.pressIn(group, u, label); toast != "Only the person who asked can answer this confirmation." {
				t.Errorf("user %d pressed %s: %q", u, label, toast)
			}
		}
	}
	if e.chat.last(group).Text != conf.Text {
		t.Error("a stranger's press changed the confirmation")
	}
	if n := len(e.sim.Actions()); n != 0 {
		t.Fatalf("%d actions after strangers' presses", n)
	}
	if toast := e.pressIn(group, carol, "✅ Confirm"); toast != "Starting the speed test…" {
		t.Errorf("toast = %q", toast)
	}
	if n := len(e.sim.Actions()); n != 1 {
		t.Errorf("%d actions, want 1", n)
	}
}

func TestActionCancelExpiryDoubleTapLogout(t *testing.T) {
	t.Parallel()
	e := actionEnv(t)
	used := "This confirmation was already used or cancelled."

	e.sayIn(carol, carol, "/optimize "+e.ids("healthy"))
	msg, yes := e.findButton(carol, "✅ Confirm")
	if toast := e.pressIn(carol, carol, "✖ Cancel"); toast != "Cancelling…" {
		t.Errorf("toast = %q", toast)
	}
	if got := e.chat.last(carol); got.Text != "✖ <b>Optimization of Home</b>\nCancelled: nothing was done." || got.KB != nil {
		t.Errorf("after cancel: %q %v", got.Text, got.KB)
	}
	if toast := e.pressData(carol, carol, msg, yes); toast != used {
		t.Errorf("confirm after cancel: %q", toast)
	}

	// Nobody answers: after 60 s the message says so and the buttons go (the cancelled
	// confirmation's timer fires too, and finds it used).
	e.sayIn(carol, carol, "/optimize "+e.ids("degraded"))
	msg, yes = e.findButton(carol, "✅ Confirm")
	e.clock.waitSleepers(t, 2)
	e.clock.Advance(time.Minute)
	e.chat.waitUntil(t, "the expiry", func() bool { return e.chat.last(carol).KB == nil })
	if got := e.chat.last(carol); got.Text != "🛠 <b>Optimization of Home</b>\n⌛ Not confirmed within a minute: nothing was done." || got.KB != nil {
		t.Errorf("after expiry: %q %v", got.Text, got.KB)
	}
	if toast := e.pressData(carol, carol, msg, yes); toast != used {
		t.Errorf("confirm after expiry: %q", toast)
	}

	// A double tap acts once.
	e.sayIn(carol, carol, "/speedtest "+e.ids("healthy"))
	msg, yes = e.findButton(carol, "✅ Confirm")
	e.pressData(carol, carol, msg, yes)
	if toast := e.pressData(carol, carol, msg, yes); toast != used {
		t.Errorf("second tap: %q", toast)
	}

	// A confirmation from before /logout does nothing after it.
	e.sayIn(carol, carol, "/reboot "+e.ids("partial"))
	e.pressIn(carol, carol, "🏠 Every pod (the whole location)")
	msg, yes = e.findButton(carol, "✅ Confirm")
	e.sayIn(carol, carol, "/logout")
	e.pressData(carol, carol, msg, yes)
	if got := e.chat.messages(carol); got[len(got)-2].ID != msg ||
		got[len(got)-2].Text != "⛔ You signed out or signed in again since you asked: nothing was done. Ask again." {
		t.Errorf("confirmation pressed after /logout: %q", got[len(got)-2].Text)
	}
	// Pressed after 60 s, before its expiry timer ran (stopped here): nothing is done, and the
	// toast and the message say why.
	e.sayIn(carol, carol, "/optimize "+e.ids("nasty"))
	msg, yes = e.findButton(carol, "✅ Confirm")
	e.bot.Close()
	e.clock.Advance(time.Minute)
	if toast := e.pressData(carol, carol, msg, yes); toast != "This confirmation expired: nothing was done." {
		t.Errorf("late press: %q", toast)
	}
	if got := e.chat.last(carol); got.ID != msg || got.Text != "⏳ This confirmation expired: nothing was done. Ask again if it is still needed." {
		t.Errorf("late press: message %d %q", got.ID, got.Text)
	}

	acts := e.sim.Actions()
	if len(acts) != 1 || acts[0].Endpoint != plumesim.EndpointISPSpeedTest {
		t.Errorf("Plume got %+v, want the one speed test", acts)
	}
	wantAudit := []string{
		"request optimize asked", "cancel optimize cancelled",
		"request optimize asked", "expiry optimize expired",
		"request speedtest asked", "confirm speedtest confirmed", "outcome speedtest accepted",
		"request reboot_location asked", "confirm reboot_location stale",
		"request optimize asked", "expiry optimize expired",
	}
	if got := e.auditActions(); !reflect.DeepEqual(got, wantAudit) {
		t.Errorf("audit = %q\nwant %q", got, wantAudit)
	}
}

func TestActionPlumeRefusals(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		fault plumesim.Fault
		want  string
	}{
		{"403", plumesim.Fault{Status: 403}, "⚠️ Plume says these credentials may not do this (403)."},
		{"404", plumesim.Fault{Status: 404}, "⚠️ Plume says this pod is not in this location any more (404)."},
		{"422", plumesim.Fault{Status: 422}, "⚠️ Plume refused the request's parameters (422). Simulated fault"},
		// Plume may have acted before it failed: a retry could reboot the pod twice.
		{"503", plumesim.Fault{Status: 503}, "⚠️ Plume had an internal error (503): it may or may not have been done. Check before trying again."},
		// The WAF lets one reboot through, then blocks until its 5-minute window rolls over
		// (on the client's real clock: N varies).
		{"WAF", plumesim.Fault{WAFAfter: 1}, "⚠️ Plume is rate-limiting requests; try again in N s."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := actionEnv(t)
			e.sim.SetFault(plumesim.EndpointRebootNode, tt.fault)
			if tt.fault.WAFAfter > 0 {
				e.sayIn(carol, carol, "/nodes "+e.ids("healthy"))
				e.pressIn(carol, carol, "🔄 Reboot Office")
				e.pressIn(carol, carol, "✅ Confirm")
			}
			e.sayIn(carol, carol, "/nodes "+e.ids("healthy"))
			e.pressIn(carol, carol, "🔄 Reboot Bedroom")
			e.pressIn(carol, carol, "✅ Confirm")
			got := e.chat.last(carol)
			got.Text = regexp.MustCompile(`in \d+ s`).ReplaceAllString(got.Text, "in N s")
			if got.Text != tt.want || got.KB != nil {
				t.Errorf("message = %q, want %q", got.Text, tt.want)
			}
		})
	}
}

func TestActionNotBackAndCooldown(t *testing.T) {
	t.Parallel()
	e := actionEnv(t, func(c *Config) { c.Actions.RebootWait = time.Minute })
	e.sim.SetRebootDowntime(-1)
	e.sayIn(carol, carol, "/reboot "+e.ids("healthy"))
	e.pressIn(carol, carol, "🏠 Every pod (the whole location)")
	e.pressIn(carol, carol, "✅ Confirm")
	msg := e.chat.last(carol).ID
	for range 4 {
		e.clock.waitSleepers(t, 2)
		e.clock.Advance(15 * time.Second)
	}
	e.chat.waitUntil(t, "the end", func() bool { return strings.Contains(e.chat.last(carol).Text, "⚠️") })
	want := "🔄 <b>Reboot every pod at Home</b>\nConfirmed by Carol at 12:00 UTC.\n" +
		"⚠️ Not back after 1 min: Living room, Office, Bedroom not back; check power and cabling"
	if got := e.chat.last(carol); got.ID != msg || got.Text != want {
		t.Errorf("message %d = %q\nwant %q", got.ID, got.Text, want)
	}
	// The cooldown: the location and its pods, for anyone, say when it is possible again.
	e.sayIn(dave, dave, "/reboot "+e.ids("healthy"))
	e.pressIn(dave, dave, "🔄 Office")
	if got := e.chat.last(dave).Text; got != "⏳ This was rebooted less than 10 min ago; it is possible again at 12:10 UTC (in 9 min)." {
		t.Errorf("cooldown: %q", got)
	}
}

func TestActionBadInput(t *testing.T) {
	t.Parallel()
	e := actionEnv(t)
	e.sim.ResetCounters()
	usage := "Usage: /reboot &lt;customerId&gt; &lt;locationId&gt;\nBoth IDs are 24 hex characters; once used, /reboot alone reuses them."
	for text, want := range map[string]string{
		"/reboot":         "No location yet. " + usage,
		"/reboot abc def": "⚠️ The customer ID must be 24 hexadecimal characters (got 3 characters).\n" + usage,
		"/reboot a b c":   "⚠️ One argument too many: <code>c</code>.\n" + usage,
		"/reboot <b>x</b>" + strings.Repeat("f", 20) + " " + strings.Repeat("0", 24): "⚠️ The customer ID must be 24 hexadecimal characters (got 28 characters).\n" + usage,
	} {
		e.sayIn(carol, carol, text)
		if got := e.chat.last(carol).Text; got != want {
			t.Errorf("%q: %q\nwant %q", text, got, want)
		}
	}
	e.sayIn(carol, carol, "/speedtest "+e.ids("healthy"))
	msg := e.chat.last(carol).ID
	for data, want := range map[string]string{
		"k:short":                            msgButtonExpired,
		"k:" + strings.Repeat("A", 22) + "y": "This confirmation was already used or cancelled.",
		"k:" + strings.Repeat("A", 22) + "x": msgButtonExpired,
		"k:" + strings.Repeat("/", 22) + "y": msgButtonExpired,
	} {
		if toast := e.pressData(carol, carol, msg, data); toast != want {
			t.Errorf("press %q: %q, want %q", data, toast, want)
		}
	}
	if n := len(e.sim.Actions()); n != 0 {
		t.Errorf("%d actions reached Plume", n)
	}
}

// Plume's names go into every action message escaped, and a hotel's lists fit a message:
// memChat refuses what Telegram would (bad HTML, too long, callback data over 64 bytes).
func TestActionMessagesOfNastyAndHugeLocations(t *testing.T) {
	t.Parallel()
	e := actionEnv(t, func(c *Config) { c.Actions.RebootWait = time.Minute })
	e.sim.SetRebootDowntime(-1)
	for _, ds := range []string{"nasty", "huge"} {
		e.sayIn(carol, carol, "/nodes "+e.ids(ds))
		e.sayIn(carol, carol, "/reboot "+e.ids(ds))
		e.pressIn(carol, carol, "🏠 Every pod (the whole location)")
		e.pressIn(carol, carol, "✅ Confirm")
		msg := e.chat.last(carol).ID
		for range 4 {
			e.clock.waitSleepers(t, 2)
			e.clock.Advance(15 * time.Second)
		}
		e.chat.waitUntil(t, ds+"'s end", func() bool {
			for _, m := range e.chat.messages(carol) {
				if m.ID == msg {
					return strings.Contains(m.Text, "⚠️ Not back")
				}
			}
			return false
		})
		e.clock.Advance(time.Minute) // the confirmation's expiry, long used
		e.clock.waitSleepers(t, 0)
	}
	if !strings.Contains(e.chat.texts(carol), "and 6 more not back") {
		t.Errorf("the hotel's not-back list is not cut:\n%s", e.chat.last(carol).Text)
	}
	if !strings.Contains(e.chat.texts(carol), "&lt;") {
		t.Error("no escaped name in the nasty location's messages")
	}
}

// Plume's IDs are ObjectIds, one location whatever the case they are typed in: the cooldown
// holds for the same location typed in capitals.
func TestActionCooldownWhateverTheIDsCase(t *testing.T) {
	t.Parallel()
	e := actionEnv(t)
	e.sayIn(carol, carol, "/reboot "+e.ids("healthy"))
	e.pressIn(carol, carol, "🏠 Every pod (the whole location)")
	e.pressIn(carol, carol, "✅ Confirm")
	l := e.loc("healthy")
	for _, ids := range []string{strings.ToUpper(e.ids("healthy")), l.CustomerID + " " + strings.ToUpper(l.LocationID)} {
		e.sayIn(dave, dave, "/reboot "+ids)
		e.pressIn(dave, dave, "🏠 Every pod (the whole location)")
		if got := e.chat.last(dave).Text; got != "⏳ This was rebooted less than 10 min ago; it is possible again at 12:10 UTC (in 10 min)." {
			t.Errorf("/reboot %s after a reboot: %q", ids, got)
		}
	}
	if n := len(e.sim.Actions()); n != 1 {
		t.Errorf("%d actions reached Plume, want 1", n)
	}
}

// In a group, another support user's press on someone's /reboot picker asks for their own
// confirmation in a new message: the picker stays for the user who asked for it.
func TestActionPickerOfAnotherUserInAGroup(t *testing.T) {
	t.Parallel()
	e := actionEnv(t)
	e.sayIn(group, carol, "/reboot "+e.ids("healthy"))
	picker := e.chat.last(group)
	e.pressIn(group, dave, "🔄 Office")
	msgs := e.chat.messages(group)
	if got := msgs[0]; got.ID != picker.ID || got.Text != picker.Text || !reflect.DeepEqual(labels(got.KB), labels(picker.KB)) {
		t.Errorf("carol's picker became %q %q", got.Text, labels(got.KB))
	}
	if conf := e.chat.last(group); conf.ID == picker.ID || !strings.HasPrefix(conf.Text, "🔄 <b>Reboot pod Office") {
		t.Errorf("dave's confirmation: message %d %q", conf.ID, conf.Text)
	}
	// Carol's own press still edits her picker in place.
	e.pressIn(group, carol, "🔄 Bedroom")
	if got := e.chat.messages(group)[0]; got.ID != picker.ID || !strings.HasPrefix(got.Text, "🔄 <b>Reboot pod Bedroom") {
		t.Errorf("carol's press on her picker: message %d %q", got.ID, got.Text)
	}
}

// A pod Plume lists without a usable ID gets no button, and hides none of the pods after it.
func TestRebootRowsSkipAPodWithoutID(t *testing.T) {
	t.Parallel()
	up := []plume.Hop{{ID: "1HX2AB3CD0"}}
	nodes := []plume.Node{{ID: "1HX2AB3CD4", Nickname: "Office", LeafToRoot: up}, {Nickname: "Ghost", LeafToRoot: up},
		{ID: "1HX2AB3CD5", Nickname: "Attic", LeafToRoot: up}}
	var got []string
	for _, row := range rebootRows(locArgs{}, nodes, "", "") {
		for _, b := range row {
			got = append(got, b.text+" "+b.p.Extra)
		}
	}
	if want := []string{"Office 1HX2AB3CD4", "Attic 1HX2AB3CD5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("buttons = %q, want %q", got, want)
	}
}

// A confirmation asked for before a new /auth does nothing after it, even when the new
// credentials are the same: the agent signed in again, as after /logout.
func TestActionConfirmationAfterANewAuth(t *testing.T) {
	t.Parallel()
	e := actionEnv(t)
	e.signIn(carol, e.info.AuthHeader)
	e.sayIn(carol, carol, "/optimize "+e.ids("healthy"))
	msg, yes := e.findButton(carol, "✅ Confirm")
	e.signIn(carol, e.info.AuthHeader)
	e.pressData(carol, carol, msg, yes)
	for _, m := range e.chat.messages(carol) {
		if m.ID == msg && m.Text != "⛔ You signed out or signed in again since you asked: nothing was done. Ask again." {
			t.Errorf("confirmation pressed after a new /auth: %q", m.Text)
		}
	}
	if n := len(e.sim.Actions()); n != 0 {
		t.Errorf("%d actions reached Plume", n)
	}
}

// A press on someone else's confirmation is one not_yours audit event, whether the adapter
// answered it at intake (serve) or the handler does (the demo).
func TestActionPressOfAnotherUserAuditedOnce(t *testing.T) {
	t.Parallel()
	e := actionEnv(t)
	e.sayIn(group, carol, "/speedtest "+e.ids("healthy"))
	msg, yes := e.findButton(group, "✅ Confirm")
	e.pressData(group, dave, msg, yes) // answered by the handler
	u := Update{UserID: dave, FirstName: "Dave", ChatID: group, ChatType: ChatSupergroup, MessageID: msg,
		Callback: &Callback{ID: "at-intake", Data: yes}}
	e.bot.Acknowledge(e.ctx(), u)
	u.Callback.Answered = true
	e.bot.Handle(e.ctx(), u)
	want := []string{"request speedtest asked", "confirm speedtest not_yours", "confirm speedtest not_yours"}
	if got := e.auditActions(); !reflect.DeepEqual(got, want) {
		t.Errorf("audit = %q\nwant %q", got, want)
	}
}

// An ID typed in capitals names the same location to the reads too: served from the cache the
// lower-case spelling filled, and remembered as Plume writes it.
func TestReadsWhateverTheIDsCase(t *testing.T) {
	t.Parallel()
	e := actionEnv(t)
	e.sayIn(alice, alice, "/status "+e.ids("degraded"))
	before := e.sim.Requests("location")
	e.sayIn(alice, alice, "/status "+strings.ToUpper(e.ids("degraded")))
	e.sayIn(alice, alice, "/status")
	if n := e.sim.Requests("location") - before; n != 0 {
		t.Errorf("%d location requests for the same location in capitals, want 0 (cached)", n)
	}
	if got := e.chat.last(alice).Text; !strings.Contains(got, e.loc("degraded").LocationID) {
		t.Errorf("the last location is not the one read:\n%s", got)
	}
}
