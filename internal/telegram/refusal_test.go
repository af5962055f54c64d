package telegram

import (
	"errors"
	"strings"
	"testing"

	"plumebot/internal/bot"
)

// Each way Telegram refuses a chat for good comes back as bot.ErrChatUnreachable from every
// call that names the chat: sent once (no retry), counted as its own outcome, not logged as
// an error.
func TestRefusalsAreChatUnreachable(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := ctxT(t)
	c := e.a.Chat()
	tests := []struct {
		name   string
		chat   int64
		refuse func(chat int64)
	}{
		{"blocked by the user", 11, e.srv.BlockBot},
		{"user deactivated", 12, e.srv.DeactivateUser},
		{"kicked from a group", 13, e.srv.KickBot},
		{"kicked from a supergroup", -14, e.srv.KickBot},
		{"chat deleted", -15, e.srv.DeleteChat},
		{"no right to write", -16, e.srv.RestrictBot},
	}
	for _, tt := range tests {
		owner := tt.chat
		if owner < 0 {
			owner = 99
		}
		e.srv.PushMessage(owner, tt.chat, "hi") // the fake learns the chat's type
		id, err := c.Send(ctx, tt.chat, "before", nil)
		if err != nil {
			t.Fatalf("%s: first send: %v", tt.name, err)
		}
		tt.refuse(tt.chat)
		before := len(e.srv.Calls("sendMessage"))
		_, err = c.Send(ctx, tt.chat, "after", nil)
		if !errors.Is(err, bot.ErrChatUnreachable) {
			t.Errorf("%s: Send error %v is not bot.ErrChatUnreachable", tt.name, err)
		}
		if n := len(e.srv.Calls("sendMessage")) - before; n != 1 {
			t.Errorf("%s: %d sendMessage calls, want 1 (no retry)", tt.name, n)
		}
		for what, err := range map[string]error{
			"Edit":   c.Edit(ctx, tt.chat, id, "edited", nil),
			"Delete": c.Delete(ctx, tt.chat, id),
			"Typing": c.Typing(ctx, tt.chat),
		} {
			if !errors.Is(err, bot.ErrChatUnreachable) {
				t.Errorf("%s: %s error %v is not bot.ErrChatUnreachable", tt.name, what, err)
			}
		}
	}
	if got := e.metrics.count(func(m *recMetrics) int { return m.outcomes["sendMessage unreachable"] }); got != len(tests) {
		t.Errorf("sendMessage outcome unreachable counted %d times, want %d", got, len(tests))
	}
	if logs := e.logs.String(); strings.Contains(logs, "level=ERROR") || strings.Contains(logs, "level=WARN") {
		t.Errorf("refusals were logged as failures:\n%s", logs)
	}

	// Ordinary failures are not refusals.
	if err := c.Edit(ctx, 1, 999, "x", nil); err == nil || errors.Is(err, bot.ErrChatUnreachable) {
		t.Errorf("editing a missing message: %v", err)
	}
	if _, err := c.Send(ctx, 1, "<b>unclosed", nil); err == nil || errors.Is(err, bot.ErrChatUnreachable) {
		t.Errorf("invalid HTML: %v", err)
	}
}

// A group upgraded to a supergroup: the error says where the chat went.
func TestUpgradedGroupGivesTheNewChatID(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := ctxT(t)
	const group = 4242
	e.srv.PushMessage(7, group, "hi")
	to := e.srv.UpgradeGroup(7, group)
	_, err := e.a.Chat().Send(ctx, group, "x", nil)
	var moved *bot.ChatMigratedError
	if !errors.As(err, &moved) || moved.NewChatID != to || !errors.Is(err, bot.ErrChatUnreachable) {
		t.Fatalf("send to the old group: %v, want a ChatMigratedError to %d", err, to)
	}
	if _, err := e.a.Chat().Send(ctx, moved.NewChatID, "x", nil); err != nil {
		t.Errorf("send to the supergroup: %v", err)
	}
	if m := e.srv.Messages(to); len(m) != 1 {
		t.Errorf("supergroup messages: %+v", m)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != 400 || ae.MigrateToChatID != to {
		t.Errorf("APIError = %+v", ae)
	}
}
