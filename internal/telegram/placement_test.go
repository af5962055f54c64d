package telegram

import (
	"context"
	"testing"

	"plumebot/internal/bot"
	"plumebot/internal/telegram/tgtest"
)

// TestPressInTopic: a button press under a message in a forum topic carries the topic, so its
// answers go there as a command's do.
func TestPressInTopic(t *testing.T) {
	t.Parallel()
	e := setup(t)
	got := make(chan bot.Update, 10)
	const user, group = 61, -100061
	msg := e.srv.PushShaped(user, group, "/watch", tgtest.Shape{ThreadID: 5})
	e.poll(t, HandlerFunc(func(_ context.Context, u bot.Update) { got <- u }))
	if u := recv(t, got); u.ThreadID != 5 || u.MessageID != msg {
		t.Errorf("topic message = %+v", u)
	}
	id, err := e.a.Chat().Send(bot.WithReply(ctxT(t), 5, msg), group, "🔔 Watching", nil)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.PushCallback(user, group, id, "w:x")
	if u := recv(t, got); u.Callback == nil || u.ThreadID != 5 {
		t.Errorf("press in a topic = %+v", u)
	}
	id, err = e.a.Chat().Send(ctxT(t), group, "outside the topics", nil)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.PushCallback(user, group, id, "w:y")
	if u := recv(t, got); u.Callback == nil || u.ThreadID != 0 {
		t.Errorf("press outside the topics = %+v", u)
	}
}

// TestSendReply: a message goes into its topic as a reply; when the message it answers is
// gone, it is sent without the reply (in a topic, where Telegram refuses, by sending again).
func TestSendReply(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := ctxT(t)
	c := e.a.Chat()
	const group = -100062
	first, err := c.Send(bot.WithReply(ctx, 9, 0), group, "🔴 offline", nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Send(bot.WithReply(ctx, 9, first), group, "🟢 online", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, group, first); err != nil {
		t.Fatal(err)
	}
	third, err := c.Send(bot.WithReply(ctx, 9, first), group, "🔴 offline again", nil)
	if err != nil {
		t.Fatalf("reply to a deleted message in a topic: %v", err)
	}
	fourth, err := c.Send(bot.WithReply(ctx, 0, first), group, "outside the topic", nil)
	if err != nil {
		t.Fatalf("reply to a deleted message: %v", err)
	}
	want := map[int64][2]int64{first: {9, 0}, second: {9, first}, third: {9, 0}, fourth: {0, 0}}
	for _, m := range e.srv.Messages(group) {
		if w := want[m.ID]; m.ThreadID != w[0] || m.ReplyTo != w[1] {
			t.Errorf("message %d %q: topic %d, reply to %d; want %v", m.ID, m.Text, m.ThreadID, m.ReplyTo, w)
		}
	}
	if n := len(e.srv.Calls("sendMessage")); n != 5 {
		t.Errorf("%d sendMessage calls, want 5 (one sent again without its reply)", n)
	}
}
