package telegram

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"plumebot/internal/bot"
	"plumebot/internal/telegram/tgtest"
)

// Every update shape reaches the core saying what it is: a forward, an edit, an anonymous
// admin, a service message, a migration, a forum topic; another bot's command does not.
func TestConvertShapes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if _, err := e.a.Me(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	const user, group, super = 42, -77, -1000077
	got := make(chan bot.Update, 20)
	e.srv.PushMessage(user, super, "/status@SomeOtherBot x")       // dropped
	e.srv.PushMessage(user, super, "\u00a0/status@SomeOtherBot x") // dropped: the core reads a command after a space too
	fwd := e.srv.PushShaped(user, user, "/health a b", tgtest.Shape{ForwardFrom: 9})
	e.srv.PushEdit(user, user, fwd, "/health@"+tgtest.BotUsername+" c d")
	e.srv.PushAnonymousAdmin(super, "/status")
	e.srv.PushMembersJoined(super, user, 5)
	e.srv.PushShaped(user, super, "/nodes", tgtest.Shape{ThreadID: 3})
	e.srv.PushMigration(user, group, super)
	e.poll(t, HandlerFunc(func(_ context.Context, u bot.Update) { got <- u }))

	checks := []struct {
		what string
		ok   func(u bot.Update) bool
	}{
		{"forward", func(u bot.Update) bool { return u.Forwarded && !u.Edited && u.Text == "/health a b" }},
		{"edit", func(u bot.Update) bool {
			return u.Edited && !u.Forwarded && u.MessageID == fwd && u.Text == "/health c d"
		}},
		{"anonymous admin", func(u bot.Update) bool {
			return u.UserID == bot.GroupAnonymousBotID && u.SenderChatID == super && u.Text == "/status"
		}},
		{"members joined", func(u bot.Update) bool { return u.Service == "new_chat_members" && u.Text == "" }},
		{"topic", func(u bot.Update) bool { return u.ThreadID == 3 && u.Service == "" && u.Text == "/nodes" }},
		{"migrate to", func(u bot.Update) bool {
			return u.Service == "migrate_to_chat_id" && u.ChatID == group && u.MigrateToChatID == super && u.ChatType == bot.ChatGroup
		}},
		{"migrate from", func(u bot.Update) bool {
			return u.Service == "migrate_from_chat_id" && u.ChatID == super && u.MigrateFromChatID == group
		}},
	}
	// Different users' updates are handled in parallel: match each check to any update.
	var ups []bot.Update
	for range checks {
		ups = append(ups, recv(t, got))
	}
	for _, c := range checks {
		if !slices.ContainsFunc(ups, c.ok) {
			t.Errorf("no %s among %+v", c.what, ups)
		}
	}
	// The dropped command was user 42's first update: had it been passed on, it would have
	// come before that user's others, all received by now.
	select {
	case u := <-got:
		t.Errorf("unexpected update %+v", u)
	default:
	}
}

// While our own name is unknown (getMe failed), every "/command@name" is ignored: it may be
// another bot's. LearnName retries getMe until it succeeds; then ours are recognised.
func TestLearnNameAfterFailedGetMe(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.Fault("getMe", tgtest.Fault{Status: 502, Times: 2})
	if _, err := e.a.Me(ctxT(t)); err == nil {
		t.Fatal("getMe did not fail")
	}
	if _, ok := convertOK(e.a, update(t, e.srv, "/health@"+tgtest.BotUsername)); ok {
		t.Error("an addressed command was accepted while our name is unknown")
	}
	name, err := e.a.LearnName(ctxT(t), time.Millisecond, time.Millisecond)
	if err != nil || name != tgtest.BotUsername {
		t.Fatalf("LearnName = %q, %v", name, err)
	}
	if u, ok := convertOK(e.a, update(t, e.srv, "/health@"+tgtest.BotUsername)); !ok || u.Text != "/health" {
		t.Errorf("our addressed command after LearnName: %+v %v", u, ok)
	}
	// The command word is what the core takes for one: after leading spaces of any kind, up
	// to any space.
	for _, text := range []string{"/health@SomeOtherBot", " /health@SomeOtherBot a b", "\u00a0/health@SomeOtherBot\u00a0a b"} {
		if _, ok := convertOK(e.a, update(t, e.srv, text)); ok {
			t.Errorf("another bot's command accepted: %q", text)
		}
	}
	if u, ok := convertOK(e.a, update(t, e.srv, "/health@"+tgtest.BotUsername+"\u00a0a b")); !ok || u.Text != "/health\u00a0a b" {
		t.Errorf("our addressed command before a no-break space: %+v %v", u, ok)
	}
}

// update is a private message update as Telegram sends it, decoded as the adapter decodes it.
func update(t *testing.T, srv *tgtest.Server, text string) *gotgbot.Update {
	t.Helper()
	var up gotgbot.Update
	if err := json.Unmarshal(srv.MessageUpdate(42, 42, text), &up); err != nil {
		t.Fatal(err)
	}
	return &up
}

func convertOK(a *Adapter, up *gotgbot.Update) (bot.Update, bool) {
	u, _, ok := a.convert(up)
	return u, ok
}
