package bot

import (
	"context"
	"fmt"
	"time"
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

// answer answers the update's callback exactly once.
func (b *Bot) answer(ctx context.Context, r *request, text string) {
	if r.u.Callback == nil || r.answered {
		return
	}
	r.answered = true
	if err := b.chat.AnswerCallback(ctx, r.u.Callback.ID, text); err != nil {
		b.log.Warn("answer callback failed", "chat", r.u.ChatID, "err", err)
	}
}

// replyText sends a short text (an error or usage line). For a command with a placeholder the
// placeholder is edited; for a button press the toast carries nothing and a message follows.
func (b *Bot) replyText(ctx context.Context, r *request, html string) {
	r.settle()
	if r.placeholder != 0 {
		if err := b.chat.Edit(ctx, r.u.ChatID, r.placeholder, html, nil); err == nil {
			r.placeholder = 0
			return
		}
		r.placeholder = 0
	}
	b.answer(ctx, r, "")
	if _, err := b.chat.Send(ctx, r.u.ChatID, html, nil); err != nil {
		b.log.Warn("send failed", "chat", r.u.ChatID, "err", err)
	}
}

// sendPages sends a multi-message result in order, editing the placeholder into the first
// page; the keyboard goes on the last message.
func (b *Bot) sendPages(ctx context.Context, r *request, pages []string, kb Keyboard) error {
	r.settle()
	b.answer(ctx, r, "")
	for i, p := range pages {
		var k Keyboard
		if i == len(pages)-1 {
			k = kb
		}
		if i == 0 && r.placeholder != 0 {
			id := r.placeholder
			r.placeholder = 0
			if err := b.chat.Edit(ctx, r.u.ChatID, id, p, k); err == nil {
				continue
			}
			// Fall through to a new message if the placeholder cannot be edited.
		}
		if _, err := b.chat.Send(ctx, r.u.ChatID, p, k); err != nil {
			return fmt.Errorf("send page %d/%d: %w", i+1, len(pages), err)
		}
	}
	return nil
}

// progress shows that a command is taking a while: the typing indicator after typingDelay (a
// cached answer, ~1 ms, needs none), and a "⏳ Checking…" placeholder, later edited into the
// result, only if the answer is not ready within the progress delay, so fast answers cost one
// message, not two, under Telegram's ~30 messages/s.
func (b *Bot) progress(ctx context.Context, r *request) {
	typing := func() {
		// Fire and forget: the answer arriving must not cancel the indicator mid-request.
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = b.chat.Typing(tctx, r.u.ChatID)
	}
	show := func() {
		r.phMu.Lock()
		defer r.phMu.Unlock()
		if r.phDone || r.placeholder != 0 {
			return
		}
		if id, err := b.chat.Send(ctx, r.u.ChatID, "⏳ Checking…", nil); err == nil {
			r.placeholder = id
		}
	}
	r.phMu.Lock()
	r.typingTimer = time.AfterFunc(typingDelay, typing)
	r.phMu.Unlock()
	switch {
	case r.u.Callback != nil:
		// A button press edits or adds a message; typing is enough.
	case b.cfg.ProgressDelay < 0:
		show()
	default:
		r.phMu.Lock()
		r.phTimer = time.AfterFunc(b.cfg.ProgressDelay, show)
		r.phMu.Unlock()
	}
}

// typingDelay: answers faster than this show no typing indicator (one API call saved).
const typingDelay = 150 * time.Millisecond

// settle cancels a placeholder that has not been shown yet, or waits for one being sent;
// after it r.placeholder no longer changes.
func (r *request) settle() {
	r.phMu.Lock()
	defer r.phMu.Unlock()
	r.phDone = true
	for _, t := range []*time.Timer{r.phTimer, r.typingTimer} {
		if t != nil {
			t.Stop()
		}
	}
}
