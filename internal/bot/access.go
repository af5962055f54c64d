package bot

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// allowed is the one access check, run first for every kind of update. In groups both the chat
// (PLUMEBOT_ALLOWED_CHATS, or a group that became a supergroup) and the user must be allowed,
// even with AllowEveryone, so adding the bot to a random group never opens it to that group. A
// message sent on behalf of a chat (an anonymous admin, a channel) has no person behind it that
// the bot could know, so it is never allowed.
func (b *Bot) allowed(ctx context.Context, u Update) bool {
	if !person(u) {
		return false
	}
	userOK := b.cfg.AllowEveryone || b.users[u.UserID]
	if !userOK || private(u) {
		return userOK
	}
	return b.chatAllowed(ctx, u.ChatID)
}

// person reports whether the update's sender is a person the bot may know by ID.
func person(u Update) bool { return u.SenderChatID == 0 && u.UserID != GroupAnonymousBotID }

// private reports whether the update came from a private chat (or a front end without chats).
func private(u Update) bool { return u.ChatType == ChatPrivate || u.ChatType == "" }

// ourCommand is the name of the bot's command u carries, "" when it carries none: only our own
// commands are ever answered in a group.
func ourCommand(u Update) string {
	if u.Callback != nil {
		return ""
	}
	name, _, ok := parseCommand(u.Text)
	if _, known := commandIndex[name]; !ok || !known {
		return ""
	}
	return name
}

// deny answers someone who may not use the bot: a button press gets a "Not allowed" toast; a
// message gets their numeric ID and how to get access, at most once per denyReplyEvery. In a
// group only our own commands get that reply (speak only when spoken to), once per user across
// groups; an anonymous admin is told to stop being anonymous instead.
func (b *Bot) deny(ctx context.Context, r *request) {
	u := r.u
	if u.Callback != nil {
		b.answer(ctx, r, "Not allowed")
		return
	}
	if u.Service != "" || u.Edited || u.Forwarded {
		return // nothing anyone asked for
	}
	if private(u) {
		if b.onceEvery(ctx, "deny:"+strconv.FormatInt(u.UserID, 10)+":"+strconv.FormatInt(u.ChatID, 10), denyReplyEvery) {
			b.say(ctx, u.ChatID, fmt.Sprintf("⛔ You are not allowed to use this bot.\nYour Telegram user ID is <code>%d</code>: "+
				"ask your administrator to add it to PLUMEBOT_ALLOWED_USERS.", u.UserID))
		}
		return
	}
	if ourCommand(u) == "" {
		return
	}
	if !person(u) {
		if b.onceEvery(ctx, "anon:"+strconv.FormatInt(u.ChatID, 10), denyReplyEvery) {
			b.say(ctx, u.ChatID, msgAnonymous)
		}
		return
	}
	if b.onceEvery(ctx, "deny:group:"+strconv.FormatInt(u.UserID, 10), denyReplyEvery) {
		b.say(ctx, u.ChatID, fmt.Sprintf("⛔ This bot is not enabled here.\nYour Telegram user ID is <code>%d</code> and this chat's ID is <code>%d</code>: "+
			"ask your administrator to add them to PLUMEBOT_ALLOWED_USERS and PLUMEBOT_ALLOWED_CHATS.", u.UserID, u.ChatID))
	}
}

const msgAnonymous = "🎭 You are posting anonymously as the group, so I cannot tell who you are. " +
	"To use me here, turn off “Remain anonymous” in your administrator rights of this group."

// onceEvery reports whether a reply keyed by key may go out now, and if so marks it sent for d.
// On a store failure it says no: silence is safer than a reply flood.
func (b *Bot) onceEvery(ctx context.Context, key string, d time.Duration) bool {
	if _, err := b.st.GetTemp(ctx, key); err == nil {
		return false
	} else if !isNotFound(err) {
		b.log.Warn("reply rate limit lookup failed", "err", err)
		return false
	}
	if err := b.st.PutTemp(ctx, key, []byte{1}, d); err != nil {
		b.log.Warn("reply rate limit store failed", "err", err)
		return false
	}
	return true
}

// say sends a short notice whose failure only matters to the log.
func (b *Bot) say(ctx context.Context, chatID int64, html string) {
	if _, err := b.chat.Send(ctx, chatID, html, nil); err != nil {
		b.sendFailed(chatID, err)
	}
}
