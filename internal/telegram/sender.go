package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"plumebot/internal/bot"
)

// maxCallbackData is Telegram's limit for callback_data in bytes
// (https://core.telegram.org/bots/api#inlinekeyboardbutton).
const maxCallbackData = 64

// An idle chat's pacing is back to a fresh chat's after at most a group window (a minute),
// so forgetting it after this loses nothing.
const chatIdle = 2 * time.Minute

// chatState orders and paces the messages of one chat.
type chatState struct {
	lock     chan struct{} // a mutex whose acquisition respects ctx
	burst    burst         // guarded by lock
	group    *window       // 20 per minute in groups; nil in private chats
	refs     int
	lastUsed time.Time
}

// acquireChat takes the chat's lock; release it with releaseChat.
func (a *Adapter) acquireChat(ctx context.Context, chatID int64) (*chatState, error) {
	now := time.Now()
	a.chatsMu.Lock()
	if now.Sub(a.lastSweep) > chatIdle {
		a.lastSweep = now
		for id, cs := range a.chats {
			if cs.refs == 0 && now.Sub(cs.lastUsed) > chatIdle {
				delete(a.chats, id)
			}
		}
	}
	cs := a.chats[chatID]
	if cs == nil {
		cs = &chatState{lock: make(chan struct{}, 1), burst: burst{n: a.opts.ChatBurst, interval: a.opts.PerChatInterval}}
		if chatID < 0 { // groups, supergroups and channels have negative IDs
			cs.group = newWindow(a.opts.GroupPerMinute, time.Minute)
		}
		a.chats[chatID] = cs
	}
	cs.refs++
	a.chatsMu.Unlock()
	select {
	case cs.lock <- struct{}{}:
		return cs, nil
	case <-ctx.Done():
		a.unref(cs)
		return nil, ctx.Err()
	}
}

func (a *Adapter) releaseChat(cs *chatState) {
	<-cs.lock
	a.unref(cs)
}

func (a *Adapter) unref(cs *chatState) {
	a.chatsMu.Lock()
	cs.refs--
	cs.lastUsed = time.Now()
	a.chatsMu.Unlock()
}

// inChat calls method in chatID holding the chat's lock, so the chat's calls keep their
// order through retries; each attempt of a message is paced.
func (a *Adapter) inChat(ctx context.Context, method string, chatID int64, params map[string]any) (json.RawMessage, error) {
	cs, err := a.acquireChat(ctx, chatID)
	if err != nil {
		return nil, fmt.Errorf("telegram %s: waiting for chat: %w", method, err)
	}
	defer a.releaseChat(cs)
	return a.retry(ctx, method, func() (json.RawMessage, error) {
		if !paced(method) {
			return a.call(ctx, method, params, 0)
		}
		return a.pacedCall(ctx, cs, method, params)
	})
}

// pacedCall waits for the chat's burst, its group's window and the overall window, then
// calls; the send holds its places in the windows until it is answered (see pacing.go).
func (a *Adapter) pacedCall(ctx context.Context, cs *chatState, method string, params map[string]any) (json.RawMessage, error) {
	if err := cs.burst.wait(ctx); err != nil {
		return nil, fmt.Errorf("telegram %s: pacing: %w", method, err)
	}
	groupDone, err := cs.group.acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("telegram %s: pacing: %w", method, err)
	}
	defer groupDone()
	globalDone, err := a.global.acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("telegram %s: pacing: %w", method, err)
	}
	raw, err := a.call(ctx, method, params, 0)
	globalDone()
	cs.burst.sent()
	return raw, err
}

func keyboardParam(kb bot.Keyboard) (map[string]any, error) {
	rows := make([][]map[string]string, 0, len(kb))
	for _, row := range kb {
		r := make([]map[string]string, 0, len(row))
		for _, b := range row {
			if n := len(b.Data); n < 1 || n > maxCallbackData {
				return nil, fmt.Errorf("button %q: callback_data is %d bytes, must be 1-%d", b.Text, n, maxCallbackData)
			}
			r = append(r, map[string]string{"text": b.Text, "callback_data": b.Data})
		}
		rows = append(rows, r)
	}
	return map[string]any{"inline_keyboard": rows}, nil
}

func textParams(chatID int64, html string, kb bot.Keyboard) (map[string]any, error) {
	p := map[string]any{
		"chat_id":              chatID,
		"text":                 html,
		"parse_mode":           "HTML",
		"link_preview_options": map[string]bool{"is_disabled": true},
	}
	if len(kb) > 0 {
		m, err := keyboardParam(kb)
		if err != nil {
			return nil, err
		}
		p["reply_markup"] = m
	}
	return p, nil
}

// sender implements bot.Chat.
type sender struct{ a *Adapter }

// Chat returns the sender the core uses: per-chat order, pacing, retries. Its errors wrap
// bot.ErrChatUnreachable when Telegram refuses the chat for good.
func (a *Adapter) Chat() bot.Chat { return sender{a} }

func (s sender) Send(ctx context.Context, chatID int64, html string, kb bot.Keyboard) (int64, error) {
	p, err := textParams(chatID, html, kb)
	if err != nil {
		return 0, fmt.Errorf("telegram sendMessage: %w", err)
	}
	if thread := bot.ReplyThread(ctx); thread != 0 {
		p["message_thread_id"] = thread // a reply to a command in a forum topic goes to that topic
	}
	if reply := bot.ReplyTo(ctx); reply != 0 { // an alert answers its incident's first alert
		p["reply_parameters"] = map[string]any{"message_id": reply, "allow_sending_without_reply": true}
	}
	raw, err := s.a.inChat(ctx, "sendMessage", chatID, p)
	if replyGone(err) && p["reply_parameters"] != nil { // in a topic: send it without the reply
		delete(p, "reply_parameters")
		raw, err = s.a.inChat(ctx, "sendMessage", chatID, p)
	}
	if err != nil {
		return 0, err
	}
	var m struct {
		MessageID int64 `json:"message_id"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return 0, fmt.Errorf("telegram sendMessage: decoding reply: %w", err)
	}
	return m.MessageID, nil
}

func (s sender) Edit(ctx context.Context, chatID, messageID int64, html string, kb bot.Keyboard) error {
	p, err := textParams(chatID, html, kb)
	if err != nil {
		return fmt.Errorf("telegram editMessageText: %w", err)
	}
	p["message_id"] = messageID
	if _, err := s.a.inChat(ctx, "editMessageText", chatID, p); err != nil && !notModified(err) {
		return err
	}
	return nil
}

func (s sender) Delete(ctx context.Context, chatID, messageID int64) error {
	// Ordered with the chat's sends but not paced: deletes don't count as messages.
	_, err := s.a.inChat(ctx, "deleteMessage", chatID, map[string]any{"chat_id": chatID, "message_id": messageID})
	return err
}

func (s sender) AnswerCallback(ctx context.Context, callbackID, text string) error {
	// Not queued behind the chat: the user's client shows a spinner until it is answered.
	p := map[string]any{"callback_query_id": callbackID}
	if text != "" {
		p["text"] = text
	}
	_, err := s.a.callRetry(ctx, "answerCallbackQuery", p)
	return err
}

func (s sender) Typing(ctx context.Context, chatID int64) error {
	// Typing is a courtesy: under load it is dropped, never queued in front of real replies,
	// and never retried.
	if !s.a.typing.Allow() {
		return nil
	}
	_, err := s.a.call(ctx, "sendChatAction", map[string]any{"chat_id": chatID, "action": "typing"}, 0)
	return err
}
