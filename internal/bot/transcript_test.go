package bot

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sebdah/goldie/v2"

	"plumebot/internal/plumesim"
)

// Conversation tests: updates in, the exact replies out. A scenario's transcript is every update
// and, under it, everything the bot did in answer: messages sent or edited (text and button
// labels), messages deleted, callback answers, warnings logged and the audit event. It
// is compared with testdata/<scenario>.golden; `go test -update` rewrites the files (review the
// diff before committing one).
//
// In a transcript ">>" is an update or a test action and "<<" is the bot's doing: the calls to
// the chat in order, then the warnings it logged and the audit event. Inputs are
// shown as written, with placeholders (see expand); in replies only the simulator's random port
// is replaced, by {port}. Typing indicators are left out: whether one is shown depends on time.

// step is one thing that happens in a scenario: a message, a button press, the clock moving,
// or an action of the test (a fault, a check).
type step struct {
	user, chat int64 // chat 0: the user's private chat
	text       string
	label      string // press the newest button with exactly this label
	srcChat    int64  // take the pressed button from this chat (a forged press); 0: chat
	forge      func(data string) string
	forgeDesc  string
	advance    time.Duration
	desc       string       // an action's line in the transcript; "" prints nothing
	do         func(e *env) // the action
	shape      func(u *Update)
	what       string // how the message differs from typed text, for its ">>" line
	show       bool   // the action makes the bot act (the watcher sends an alert): show what it did
}

// shaped makes a message step more than typed text: a forward, an edit, a service message…
func (s step) shaped(what string, f func(u *Update)) step {
	s.what, s.shape = what, f
	return s
}

// says is a private message from user.
func says(user int64, text string) step { return step{user: user, text: text} }

// saysIn is a message from user in a group chat.
func saysIn(chat, user int64, text string) step { return step{user: user, chat: chat, text: text} }

// presses is user pressing the newest button labelled label in their private chat.
func presses(user int64, label string) step { return step{user: user, label: label} }

// in makes a press happen in chat (the button is looked up there).
func (s step) in(chat int64) step { s.chat = chat; return s }

// from takes the button's data from another chat: a press of someone else's button.
func (s step) from(chat int64) step { s.srcChat = chat; return s }

// forged changes the pressed button's callback data (what a stale or crafted client sends).
func (s step) forged(desc string, f func(string) string) step {
	s.forgeDesc, s.forge = desc, f
	return s
}

// after moves the bot's clock.
func after(d time.Duration) step { return step{advance: d} }

// meanwhile is an action of the test, shown in the transcript as desc.
func meanwhile(desc string, f func(e *env)) step { return step{desc: desc, do: f} }

// showing makes an action's effect on the chat part of the transcript.
func (s step) showing() step { s.show = true; return s }

// verify is a check of the test (a request counter, say), not shown in the transcript.
func verify(f func(e *env)) step { return step{do: f} }

// signInSteps is the /auth conversation with the simulator's credentials.
func signInSteps(user int64) []step {
	return []step{says(user, "/auth"), says(user, "{sso}"), says(user, "{header}"), says(user, "{partner}"), says(user, "/skip")}
}

type scenario struct {
	name  string
	opt   envOpt
	steps []step
}

var userNames = map[int64]string{alice: "alice", bob: "bob", stranger: "stranger", GroupAnonymousBotID: "an anonymous admin"}

func userName(id int64) string {
	if n, ok := userNames[id]; ok {
		return n
	}
	return fmt.Sprintf("user %d", id)
}

// runScenarios runs each scenario on a bot of its own, with progress messages off unless the
// scenario's config asks for them (their timing would make transcripts vary).
func runScenarios(t *testing.T, scenarios []scenario) {
	t.Helper()
	seen := map[string]bool{}
	for _, sc := range scenarios {
		if seen[sc.name] {
			t.Fatalf("two scenarios named %s", sc.name)
		}
		seen[sc.name] = true
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			opt := sc.opt
			cfg := opt.cfg
			opt.cfg = func(c *Config) {
				c.ProgressDelay = time.Hour
				if cfg != nil {
					cfg(c)
				}
			}
			e := newEnv(t, opt)
			g := goldie.New(t, goldie.WithNameSuffix(".golden"))
			g.Assert(t, sc.name, []byte(e.transcript(sc.steps)))
		})
	}
}

// transcriber writes a scenario's transcript.
type transcriber struct {
	e        *env
	out      strings.Builder
	versions map[int64]int     // message → its number of versions (a send, then each edit)
	shown    map[string]string // a text with its buttons → the first message version that had it
}

// transcript runs the steps and returns what happened.
func (e *env) transcript(steps []step) string {
	e.t.Helper()
	tr := &transcriber{e: e, versions: map[int64]int{}, shown: map[string]string{}}
	for _, s := range steps {
		events, logs := len(e.chat.eventsSince(0)), len(e.logs.String())
		chat := s.chat
		if chat == 0 {
			chat = s.user
		}
		switch {
		case s.advance != 0:
			fmt.Fprintf(&tr.out, ">> %s later\n", s.advance)
			e.clock.Advance(s.advance)
			continue
		case s.do != nil:
			if s.desc != "" {
				fmt.Fprintf(&tr.out, ">> %s\n", s.desc)
			}
			s.do(e)
			if !s.show {
				continue
			}
		case s.label != "":
			tr.press(s, chat)
		default:
			ct := ChatPrivate
			if chat != s.user {
				ct = ChatSupergroup
			}
			id := e.msgID.Add(1)
			u := Update{UserID: s.user, ChatID: chat, ChatType: ct, MessageID: id, Text: e.expand(s.text)}
			what := ""
			if s.shape != nil {
				s.shape(&u)
				what = " (" + s.what + ")"
			}
			fmt.Fprintf(&tr.out, ">> %s%s, message %d%s: %s\n", userName(s.user), inChat(u.ChatID, s.user), u.MessageID, what, s.text)
			e.bot.Handle(e.ctx(), u)
		}
		for _, ev := range e.chat.eventsSince(events) {
			tr.describe(ev, chat)
		}
		tr.out.WriteString(describeLogs(e.logs.String()[logs:]))
	}
	return tr.out.String()
}

// inChat names chat unless it is the user's private chat (or the update's chat).
func inChat(chat, private int64) string {
	if chat == private {
		return ""
	}
	return fmt.Sprintf(" in %d", chat)
}

// press presses a button and writes its ">>" line.
func (tr *transcriber) press(s step, chat int64) {
	e := tr.e
	e.t.Helper()
	src := chat
	if s.srcChat != 0 {
		src = s.srcChat
	}
	msgID, data := e.findButton(src, s.label)
	fmt.Fprintf(&tr.out, ">> %s presses [%s] under %d%s", userName(s.user), s.label, msgID, inChat(src, s.user))
	if src != chat {
		fmt.Fprintf(&tr.out, ", sent from chat %d", chat)
	}
	if s.forge != nil {
		data = s.forge(data)
		tr.out.WriteString(", data forged: " + s.forgeDesc)
	}
	fmt.Fprintf(&tr.out, ", callback %s\n", e.press(s.user, chat, msgID, data))
}

// findButton returns the newest message in chat with a button labelled label, and its data.
func (e *env) findButton(chat int64, label string) (int64, string) {
	e.t.Helper()
	ms := e.chat.messages(chat)
	for i := len(ms) - 1; i >= 0; i-- {
		for _, row := range ms[i].KB {
			for _, b := range row {
				if b.Text == label {
					return ms[i].ID, b.Data
				}
			}
		}
	}
	e.t.Fatalf("no button [%s] in chat %d", label, chat)
	return 0, ""
}

// describe writes one chat call of an update in chat. A text (with its buttons) shown before
// is written as a reference to where it was first shown.
func (tr *transcriber) describe(ev chatEvent, chat int64) {
	tr.e.t.Helper()
	tr.e.checkReply(ev)
	failed := ""
	if ev.failed {
		failed = " (fails)"
	}
	switch ev.op {
	case "answer":
		if ev.text == "" {
			fmt.Fprintf(&tr.out, "<< answer %s%s\n", ev.callback, failed)
		} else {
			fmt.Fprintf(&tr.out, "<< answer %s: %q%s\n", ev.callback, ev.text, failed)
		}
		return
	case "delete":
		fmt.Fprintf(&tr.out, "<< delete %d%s%s\n", ev.msgID, inChat(ev.chatID, chat), failed)
		return
	}
	name := "the failed " + ev.op
	if !ev.failed {
		tr.versions[ev.msgID]++
		name = strconv.FormatInt(ev.msgID, 10)
		if v := tr.versions[ev.msgID]; v > 1 {
			name += fmt.Sprintf(" version %d", v)
		}
	}
	fmt.Fprintf(&tr.out, "<< %s %s%s%s", ev.op, name, inChat(ev.chatID, chat), failed)
	body := tr.e.normalize(ev.text)
	for _, row := range ev.kb {
		body += "\n⌨"
		for _, btn := range row {
			body += " [" + btn.Text + "]"
		}
	}
	if first, ok := tr.shown[body]; ok {
		fmt.Fprintf(&tr.out, ": the text and buttons of %s\n", first)
		return
	}
	tr.shown[body] = name
	tr.out.WriteString("\n")
	for line := range strings.SplitSeq(body, "\n") {
		if line != "" {
			tr.out.WriteString("   " + line)
		}
		tr.out.WriteString("\n")
	}
}

var plumeID = regexp.MustCompile(`[0-9a-f]{24}`)

// checkReply fails the test if a reply carries a secret or a button's data a Plume ID (callback
// data must be opaque) or the same data as another button.
func (e *env) checkReply(ev chatEvent) {
	e.t.Helper()
	token := strings.TrimPrefix(e.info.AuthHeader, "Basic ")
	for _, secret := range []string{token, plumesim.ClientSecret} {
		if strings.Contains(ev.text, secret) {
			e.t.Errorf("a reply carries a secret:\n%s", ev.text)
		}
	}
	seen := map[string]bool{}
	for _, row := range ev.kb {
		for _, btn := range row {
			if plumeID.MatchString(btn.Data) || seen[btn.Data] {
				e.t.Errorf("button [%s]: callback data %q is not opaque and unique", btn.Text, btn.Data)
			}
			seen[btn.Data] = true
		}
	}
}

// expand replaces placeholders in an input: {sso}, {api}, {header} ({b64}: its base64 part,
// {b64cut}: cut short), {partner} (the simulator's
// credentials; {sso.localhost} and {api.localhost} name its host "localhost"); {<dataset>} ("customerId locationId"), {<dataset>.customer}, {<dataset>.serial}
// and {<dataset>.email} (the simulator's datasets).
func (e *env) expand(text string) string {
	pairs := []string{"{sso}", e.info.SSOURL, "{api}", e.info.APIBase, "{header}", e.info.AuthHeader,
		"{b64}", strings.TrimPrefix(e.info.AuthHeader, "Basic "),
		// a header cut short where its base64 no longer decodes (53 of its 60 characters)
		"{b64cut}", strings.TrimPrefix(e.info.AuthHeader, "Basic ")[:53],
		"{partner}", e.info.PartnerID,
		"{sso.localhost}", strings.Replace(e.info.SSOURL, "127.0.0.1", "localhost", 1),
		"{api.localhost}", strings.Replace(e.info.APIBase, "127.0.0.1", "localhost", 1)}
	for name, l := range e.info.Locations {
		pairs = append(pairs, "{"+name+"}", l.CustomerID+" "+l.LocationID, "{"+name+".customer}", l.CustomerID,
			"{"+name+".serial}", l.NodeSerial, "{"+name+".email}", l.Email)
	}
	out := strings.NewReplacer(pairs...).Replace(text)
	if p := placeholder.FindString(out); p != "" {
		e.t.Fatalf("unknown placeholder %s in %q", p, text)
	}
	return out
}

var placeholder = regexp.MustCompile(`\{[a-z.]+\}`)

// normalize replaces the simulator's random port in a reply.
func (e *env) normalize(text string) string {
	u, err := url.Parse(e.info.APIBase)
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.ReplaceAll(text, ":"+u.Port(), ":{port}")
}

// describeLogs is the transcript of the log events a step caused: warnings, errors and audit.
func describeLogs(logs string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		switch {
		case m["msg"] == "command":
			fmt.Fprintf(&b, "<< audit: %v %v", m["command"], m["outcome"])
			for _, k := range []string{"customer", "location"} {
				if v, _ := m[k].(string); v != "" {
					fmt.Fprintf(&b, " %s=%s", k, v)
				}
			}
			b.WriteString("\n")
		case m["level"] == "WARN" || m["level"] == "ERROR":
			fmt.Fprintf(&b, "<< log %v: %v\n", m["level"], m["msg"])
		}
	}
	return b.String()
}
