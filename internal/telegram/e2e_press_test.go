package telegram_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"plumebot/internal/telegram/tgtest"
)

// A button press is answered at once, before any Plume work and before it waits behind its
// user's earlier command, even when Plume is slow: Telegram refuses late answers ("query is too
// old"), and tgtest refuses them like Telegram (here after 1 s; Plume takes 3 s a call).
func TestE2EPressAnsweredWhilePlumeIsSlow(t *testing.T) {
	t.Parallel()
	const u = 5151
	s := newStack(t, []int64{u})
	s.tg.SetCallbackAnswerLimit(time.Second)
	l := s.info.Locations["healthy"]
	s.tg.PushMessage(u, u, "/status "+l.CustomerID+" "+l.LocationID)
	s.waitFor(t, "the status", func() bool { return strings.Contains(s.chatText(u), "Service level") })
	report := s.tg.Messages(u)[len(s.tg.Messages(u))-1]
	data := func(label string) string {
		for _, row := range report.Keyboard {
			for _, b := range row {
				if strings.Contains(b.Text, label) {
					return b.Data
				}
			}
		}
		t.Fatalf("no %q button", label)
		return ""
	}

	s.sim.SetLatency(3 * time.Second)
	before := s.sim.Requests("onlineStats")
	pressed := time.Now()
	first := s.tg.PushCallback(u, u, report.ID, data("History"))
	// The same user's second press waits behind the first (one update at a time per user).
	second := s.tg.PushCallback(u, u, report.ID, data("WAN"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	answered := func(id string) tgtest.Call {
		t.Helper()
		var got tgtest.Call
		err := s.tg.WaitUntil(ctx, func(tg *tgtest.Server) bool {
			for _, c := range tg.Calls("answerCallbackQuery") {
				if c.String("callback_query_id") == id {
					got = c
					return true
				}
			}
			return false
		})
		if err != nil {
			t.Fatalf("press %s never answered: %v", id, err)
		}
		return got
	}
	for _, id := range []string{first, second} {
		c := answered(id)
		if c.Status != 200 || c.String("text") != "Loading…" {
			t.Errorf("press %s answered %d %q (%s)", id, c.Status, c.String("text"), c.Err)
		}
		t.Logf("press %s answered %v after it was pushed", id, c.At.Sub(pressed).Round(time.Millisecond))
	}
	// Both answers came while the first press's Plume request was still under way.
	if n := s.sim.Requests("onlineStats") - before; n > 1 {
		t.Errorf("%d history requests before the answers, want at most the one under way", n)
	}
	if len(s.tg.Calls("sendMessage")) != 1 {
		t.Errorf("a view was sent before the presses were answered")
	}
	s.waitFor(t, "both views", func() bool {
		return strings.Contains(s.chatText(u), "Online history") && strings.Contains(s.chatText(u), "WAN usage")
	})
	s.checkAccepted(t)
}

// A command posted in a forum topic is answered in that topic, not in the forum's General one.
func TestE2EReplyInForumTopic(t *testing.T) {
	t.Parallel()
	const u, forum = 5252, -1005252
	s := newStack(t, []int64{u})
	l := s.info.Locations["healthy"]
	s.tg.PushShaped(u, u, "/help", tgtest.Shape{}) // a private chat has no topics
	s.tg.PushShaped(u, forum, "/status "+l.CustomerID+" "+l.LocationID, tgtest.Shape{ThreadID: 77})
	s.waitFor(t, "the denial in the forum", func() bool { return len(s.tg.Messages(forum)) == 1 })
	s.waitFor(t, "the help", func() bool { return len(s.tg.Messages(u)) == 1 })
	for _, c := range s.tg.Calls("sendMessage") {
		want := ""
		if c.Int("chat_id") == forum {
			want = "77"
		}
		if got := c.String("message_thread_id"); got != want {
			t.Errorf("sendMessage to %d in thread %q, want %q", c.Int("chat_id"), got, want)
		}
	}
}
