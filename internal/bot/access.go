package bot

import (
	"context"
	"fmt"
)

// allowed is the one access check, run first for messages and button presses alike.
// In groups both the chat (PLUMEBOT_ALLOWED_CHATS) and the user must be allowed, even with
// AllowEveryone, so adding the bot to a random group never opens it to that group.
func (b *Bot) allowed(u Update) bool {
	userOK := b.cfg.AllowEveryone || b.users[u.UserID]
	if u.ChatType == ChatPrivate || u.ChatType == "" {
		return userOK
	}
	return userOK && b.chats[u.ChatID]
}

// deny answers a stranger once per denyReplyEvery: their numeric ID and how to get access.
// Button presses only get a "Not allowed" toast.
func (b *Bot) deny(ctx context.Context, r *request) {
	u := r.u
	if u.Callback != nil {
		b.answer(ctx, r, "Not allowed")
		return
	}
	key := fmt.Sprintf("deny:%d:%d", u.UserID, u.ChatID)
	if _, err := b.st.GetTemp(ctx, key); err == nil {
		return // already told recently: stay silent
	} else if !isNotFound(err) {
		b.log.Warn("deny rate limit lookup failed", "user", u.UserID, "err", err)
		return // fail closed: silence is safer than a reply flood
	}
	if err := b.st.PutTemp(ctx, key, []byte{1}, denyReplyEvery); err != nil {
		b.log.Warn("deny rate limit store failed", "user", u.UserID, "err", err)
		return
	}
	text := fmt.Sprintf("⛔ You are not allowed to use this bot.\nYour Telegram user ID is <code>%d</code>: "+
		"ask your administrator to add it to PLUMEBOT_ALLOWED_USERS.", u.UserID)
	if u.ChatType != ChatPrivate && u.ChatType != "" {
		text = fmt.Sprintf("⛔ This bot is not enabled here.\nYour Telegram user ID is <code>%d</code> and this chat's ID is <code>%d</code>: "+
			"ask your administrator to add them to PLUMEBOT_ALLOWED_USERS and PLUMEBOT_ALLOWED_CHATS.", u.UserID, u.ChatID)
	}
	if _, err := b.chat.Send(ctx, u.ChatID, text, nil); err != nil {
		b.log.Warn("send failed", "chat", u.ChatID, "err", err)
	}
}
