package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"golang.org/x/time/rate"

	"plumebot/internal/bot"
)

// maxCallbackData is Telegram's limit for callback_data in bytes
// (https://core.telegram.org/bots/api#inlinekeyboardbutton).
const maxCallbackData = 64

// An idle chat's limiter is full again after this, so forgetting it loses nothing.
const chatIdle = 2 * time.Minute

// chatState orders and paces the messages of one chat.
type chatState struct {
	lock     chan struct{} // a mutex whose acquisition respects ctx
	lim      *rate.Limiter
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
		lim := a.privateLim
		if chatID < 0 { // groups, supergroups and channels have negative IDs
			lim = a.groupLim
		}
		cs = &chatState{lock: make(chan struct{}, 1), lim: rate.NewLimiter(lim, chatBurst)}
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

// inChat runs fn holding the chat's lock, after pacing when paced is set.
func (a *Adapter) inChat(ctx context.Context, method string, chatID int64, paced bool, fn func() error) error {
	cs, err := a.acquireChat(ctx, chatID)
	if err != nil {
		return fmt.Errorf("telegram %s: waiting for chat: %w", method, err)
	}
	defer a.releaseChat(cs)
	if paced {
		if err := cs.lim.Wait(ctx); err != nil {
			return fmt.Errorf("telegram %s: pacing: %w", method, err)
		}
	}
	if err := a.global.Wait(ctx); err != nil {
		return fmt.Errorf("telegram %s: pacing: %w", method, err)
	}
	return fn()
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

// Chat returns the sender the core uses: per-chat order, pacing, 429 retries.
func (a *Adapter) Chat() bot.Chat { return sender{a} }

func (s sender) Send(ctx context.Context, chatID int64, html string, kb bot.Keyboard) (int64, error) {
	p, err := textParams(chatID, html, kb)
	if err != nil {
		return 0, fmt.Errorf("telegram sendMessage: %w", err)
	}
	if thread := bot.ReplyThread(ctx); thread != 0 {
		p["message_thread_id"] = thread // a reply to a command in a forum topic goes to that topic
	}
	var id int64
	err = s.a.inChat(ctx, "sendMessage", chatID, true, func() error {
		raw, err := s.a.callRetry(ctx, "sendMessage", p)
		if err != nil {
			return err
		}
		var m struct {
			MessageID int64 `json:"message_id"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("telegram sendMessage: decoding reply: %w", err)
		}
		id = m.MessageID
		return nil
	})
	return id, err
}

func (s sender) Edit(ctx context.Context, chatID, messageID int64, html string, kb bot.Keyboard) error {
	p, err := textParams(chatID, html, kb)
	if err != nil {
		return fmt.Errorf("telegram editMessageText: %w", err)
	}
	p["message_id"] = messageID
	return s.a.inChat(ctx, "editMessageText", chatID, true, func() error {
		_, err := s.a.callRetry(ctx, "editMessageText", p)
		if notModified(err) {
			return nil
		}
		return err
	})
}

func (s sender) Delete(ctx context.Context, chatID, messageID int64) error {
	// Ordered with the chat's sends but not paced: deletes don't count as messages.
	return s.a.inChat(ctx, "deleteMessage", chatID, false, func() error {
		_, err := s.a.callRetry(ctx, "deleteMessage", map[string]any{"chat_id": chatID, "message_id": messageID})
		return err
	})
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
	// Typing is a courtesy: under load it is dropped, never queued in front of real replies.
	if !s.a.typing.Allow() {
		return nil
	}
	_, err := s.a.call(ctx, "sendChatAction", map[string]any{"chat_id": chatID, "action": "typing"}, 0)
	return err
}
