package telegram_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"plumebot/internal/bot"
	"plumebot/internal/plume"
	"plumebot/internal/plumedata"
	"plumebot/internal/plumesim"
	"plumebot/internal/secret"
	"plumebot/internal/store"
	"plumebot/internal/telegram"
	"plumebot/internal/telegram/tgtest"
)

// stack is the real bot behind the real adapter, long-polling the fake Bot API, against the
// simulator: everything but Telegram's and Plume's servers.
type stack struct {
	tg   *tgtest.Server
	sim  *plumesim.Server
	info plumesim.Info
}

func newStack(t *testing.T, users []int64) *stack {
	t.Helper()
	sim, err := plumesim.Start(plumesim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	tg := tgtest.New()
	t.Cleanup(tg.Close)
	kr, err := store.NewKeyring(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.New(context.Background(), store.NewMemory(), kr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a, err := telegram.New(telegram.Options{
		Token: tgtest.Token, APIURL: tg.APIURL(), PollTimeout: time.Second, HTTPClient: tgtest.LoopbackClient(),
		// Pacing is tested on its own; here it would only make 200 users take minutes.
		PerChatInterval: -1, GroupPerMinute: -1, GlobalPerSecond: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	info := sim.Info()
	b, err := bot.New(bot.Config{
		AllowedUsers:   users,
		DefaultSSOURL:  info.SSOURL,
		DefaultAPIBase: info.APIBase,
		AllowedHosts:   []string{"127.0.0.1"},
		Operator: &plume.Credentials{TokenURL: info.SSOURL, AuthHeader: secret.String(info.AuthHeader),
			PartnerID: info.PartnerID, APIBase: info.APIBase, ReportsBase: info.ReportsBase},
		Data: plumedata.New(plumedata.Config{Plume: plume.Options{HTTPClient: sim.Client(),
			Limits: plume.NewHostLimits(10000, 10000), AllowedHosts: []string{"127.0.0.1"}}}),
	}, st, a.Chat())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := a.Me(ctx); err != nil { // as serve does: "/cmd@name" needs our name
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Poll(ctx, b) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Poll: %v", err)
		}
		a.Wait()
	})
	return &stack{tg: tg, sim: sim, info: info}
}

// waitFor waits until ok holds, checking again on every change of the fake's state.
func (s *stack) waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := s.tg.WaitUntil(ctx, func(*tgtest.Server) bool { return ok() }); err != nil {
		t.Fatalf("timed out waiting for %s: %v", what, err)
	}
}

func (s *stack) chatText(chat int64) string {
	var b strings.Builder
	for _, m := range s.tg.Messages(chat) {
		if !m.Deleted {
			b.WriteString(m.Text)
			b.WriteString("\n\n")
		}
	}
	return b.String()
}

// checkAccepted fails if Telegram's rules made the fake reject any call.
func (s *stack) checkAccepted(t *testing.T) {
	t.Helper()
	for _, c := range s.tg.Calls("") {
		if c.Status != 200 {
			t.Errorf("%s rejected (%d): %s", c.Method, c.Status, c.Err)
		}
	}
	if u := s.tg.UnansweredCallbacks(); len(u) > 0 {
		t.Errorf("unanswered callbacks: %v", u)
	}
}

// 200 agents at once, each asking about one of the datasets: every chat gets its own
// location's report and nobody else's.
func TestE2EManyUsersNoCrossTalk(t *testing.T) {
	t.Parallel()
	const n = 200
	users := make([]int64, n)
	for i := range users {
		users[i] = int64(5000 + i)
	}
	s := newStack(t, users)
	var names []string
	for _, name := range plumesim.DatasetNames() {
		if name != "foreign" && name != "huge" {
			names = append(names, name)
		}
	}
	want := map[int64]plumesim.LocationInfo{}
	for i, u := range users {
		l := s.info.Locations[names[i%len(names)]]
		want[u] = l
		s.tg.PushMessage(u, u, "/health "+l.CustomerID+" "+l.LocationID)
	}
	// Every change wakes the wait: look only at the chats still waiting for their report.
	waiting := maps.Clone(want)
	s.waitFor(t, "every report", func() bool {
		for u := range waiting {
			if !strings.Contains(s.chatText(u), "Checked") {
				return false
			}
			delete(waiting, u)
		}
		return true
	})
	for u, l := range want {
		text := s.chatText(u)
		if !strings.Contains(text, l.LocationID) {
			t.Errorf("user %d: report lacks its location %s", u, l.LocationID)
		}
		for _, other := range s.info.Locations {
			if other.LocationID != l.LocationID && strings.Contains(text, other.LocationID) {
				t.Errorf("user %d asked about %s and was shown %s", u, l.LocationID, other.LocationID)
			}
		}
	}
	s.checkAccepted(t)
}

// The huge location: a report and a device list far over 4096 characters are split or
// paginated so that Telegram accepts every message, and the page buttons edit in place.
func TestE2EHugeLocationSplitsAndPages(t *testing.T) {
	t.Parallel()
	const u = 777
	s := newStack(t, []int64{u})
	l := s.info.Locations["huge"]
	s.tg.PushMessage(u, u, "/devices "+l.CustomerID+" "+l.LocationID)
	page := func(i int) string { return fmt.Sprintf("page %d/", i) }
	s.waitFor(t, "device page 1", func() bool { return strings.Contains(s.chatText(u), page(1)) })
	var next tgtest.Button
	var msgID int64
	for _, m := range s.tg.Messages(u) {
		for _, row := range m.Keyboard {
			for _, b := range row {
				if strings.Contains(b.Text, "▶") {
					next, msgID = b, m.ID
				}
			}
		}
	}
	if next.Data == "" {
		t.Fatalf("no next-page button:\n%s", s.chatText(u))
	}
	if len(next.Data) > 64 {
		t.Errorf("callback_data of %d bytes", len(next.Data))
	}
	before := len(s.tg.Messages(u))
	s.tg.PushCallback(u, u, msgID, next.Data)
	s.waitFor(t, "device page 2", func() bool { return strings.Contains(s.chatText(u), page(2)) })
	if got := len(s.tg.Messages(u)); got != before {
		t.Errorf("paging sent %d new messages; it should edit in place", got-before)
	}
	s.tg.PushMessage(u, u, "/health")
	s.waitFor(t, "the huge report", func() bool { return strings.Contains(s.chatText(u), "Checked") })
	s.checkAccepted(t)
}

// Every chat command through the real Telegram path: each gets a reply that the fake (with
// Telegram's rules) accepts and that is the view asked for, not an error. The buttons of
// /stats, /locations and /find are pressed too.
func TestE2EEveryCommand(t *testing.T) {
	t.Parallel()
	const u = 4242
	s := newStack(t, []int64{u})
	l := s.info.Locations["healthy"]
	ids := l.CustomerID + " " + l.LocationID
	steps := []struct{ send, want string }{
		{"/start", "plumebot"},
		{"/help", "/health"},
		{"/health " + ids, "Checked"},
		{"/status", "🏠 <b>Home</b>"},
		{"/nodes", "📡 <b>Pods</b>"},
		{"/devices", "💻 <b>Devices</b>"},
		{"/wifi", "📶 <b>WiFi networks</b>"},
		{"/internet", "🌐 <b>Internet</b>"},
		{"/wan", "📈 <b>WAN usage</b>"},
		{"/stats", "🕒 <b>Online history</b>"},
		{"/node " + l.NodeSerial, "🔎 <b>Pod</b>"},
		{"/locations " + l.CustomerID, "🏠 <b>Locations</b>"},
		{"/find " + l.Email, "1 match"},
		{"/health@plumebot_test_bot", "Checked"},
		{"/nonsense", "/help"},
		{"/health abc", "Usage"},
		{"hello", "/help"},
		{"/auth", "Step 1/4"},
		{"/cancel", "cancelled"},
		{"/logout", ""},
	}
	for _, st := range steps {
		n := len(s.tg.Messages(u))
		edits := len(s.tg.Calls("editMessageText"))
		s.tg.PushMessage(u, u, st.send)
		s.waitFor(t, "a reply to "+st.send, func() bool {
			msgs := s.tg.Messages(u)
			if len(msgs) == n && len(s.tg.Calls("editMessageText")) == edits {
				return false
			}
			return strings.Contains(msgs[len(msgs)-1].Text, st.want) && !strings.Contains(msgs[len(msgs)-1].Text, "Checking")
		})
		if last := s.tg.Messages(u); strings.Contains(last[len(last)-1].Text, "went wrong") {
			t.Errorf("%s: %s", st.send, last[len(last)-1].Text)
		}
	}
	// Buttons: the 3 h history window, and a location picked from /locations.
	press := func(label, want string) {
		t.Helper()
		var data string
		var msgID int64
		for _, m := range s.tg.Messages(u) {
			for _, row := range m.Keyboard {
				for _, b := range row {
					if strings.Contains(b.Text, label) {
						data, msgID = b.Data, m.ID
					}
				}
			}
		}
		if data == "" {
			t.Fatalf("no %q button", label)
		}
		s.tg.PushCallback(u, u, msgID, data)
		s.waitFor(t, "the "+label+" button", func() bool { return strings.Contains(s.chatText(u), want) })
	}
	s.tg.PushMessage(u, u, "/stats "+ids)
	s.waitFor(t, "/stats", func() bool { return strings.Count(s.chatText(u), "Online history") >= 2 })
	press("3h", "last 3 h")
	s.checkAccepted(t)
}
