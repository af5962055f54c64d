package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"plumebot/internal/telegram/tgtest"
)

// memChat is an in-memory Chat that records what the bot did and fails the test on anything
// Telegram would reject: invalid HTML, text over 4096 UTF-16 units, callback data over 64
// bytes, a callback answered twice.
type memChat struct {
	t testing.TB

	mu       sync.Mutex
	nextID   int64
	msgs     map[int64][]*memMsg // by chat, in send order
	byID     map[int64]*memMsg
	answers  map[string][]string // callback ID → answer texts
	typing   map[int64]int
	failDel  bool
	deleted  []int64 // message IDs of user messages deleted
	failSend bool
	failEdit bool            // every edit fails (a placeholder the user deleted)
	gone     map[int64]bool  // chats Telegram refuses to deliver to (blocked, kicked)
	movedTo  map[int64]int64 // groups that became supergroups: sends fail with ChatMigratedError
	events   []chatEvent     // every call in order, for transcripts
	changed  chan struct{}   // closed and replaced on every call (waitUntil)
}

// chatEvent is one call the bot made to the chat.
type chatEvent struct {
	op       string // "send", "edit", "delete" or "answer"
	chatID   int64
	msgID    int64 // sent, edited or deleted message
	text     string
	kb       Keyboard
	callback string // answered callback ID
	failed   bool
}

type memMsg struct {
	ID      int64
	ChatID  int64
	Thread  int64 // the forum topic (ReplyThread of the send's context)
	ReplyTo int64 // the message it replies to (ReplyTo of the send's context)
	Text    string
	KB      Keyboard
	Edits   int
	Deleted bool
}

func newMemChat(t testing.TB) *memChat {
	return &memChat{t: t, nextID: 1000, msgs: map[int64][]*memMsg{}, byID: map[int64]*memMsg{},
		answers: map[string][]string{}, typing: map[int64]int{}, gone: map[int64]bool{}, movedTo: map[int64]int64{}}
}

func (c *memChat) check(html string, kb Keyboard) {
	c.t.Helper()
	if strings.TrimSpace(html) == "" {
		c.t.Errorf("empty message text")
	}
	if text, err := tgtest.ParseHTML(html); err != nil {
		c.t.Errorf("invalid Telegram HTML: %v\n%s", err, html)
	} else if n := tgtest.UTF16Len(text); n > tgtest.MaxTextLength {
		c.t.Errorf("message too long: %d UTF-16 units", n)
	}
	for _, row := range kb {
		for _, b := range row {
			if len(b.Data) == 0 || len(b.Data) > tgtest.MaxCallbackData {
				c.t.Errorf("callback data %q: %d bytes", b.Data, len(b.Data))
			}
			if b.Text == "" {
				c.t.Errorf("button without text")
			}
		}
	}
}

func (c *memChat) Send(ctx context.Context, chatID int64, html string, kb Keyboard) (int64, error) {
	c.check(html, kb)
	c.mu.Lock()
	defer c.mu.Unlock()
	if to := c.movedTo[chatID]; to != 0 {
		c.events = append(c.events, chatEvent{op: "send", chatID: chatID, text: html, kb: kb, failed: true})
		c.signalLocked()
		return 0, fmt.Errorf("telegram sendMessage: 400 Bad Request: group chat was upgraded to a supergroup chat: %w",
			&ChatMigratedError{NewChatID: to})
	}
	if c.failSend || c.gone[chatID] {
		c.events = append(c.events, chatEvent{op: "send", chatID: chatID, text: html, kb: kb, failed: true})
		c.signalLocked()
		if c.gone[chatID] {
			return 0, fmt.Errorf("telegram sendMessage: 403 Forbidden: bot was blocked by the user: %w", ErrChatUnreachable)
		}
		return 0, errors.New("send failed")
	}
	c.nextID++
	m := &memMsg{ID: c.nextID, ChatID: chatID, Thread: ReplyThread(ctx), ReplyTo: ReplyTo(ctx), Text: html, KB: kb}
	c.events = append(c.events, chatEvent{op: "send", chatID: chatID, msgID: m.ID, text: html, kb: kb})
	c.signalLocked()
	c.msgs[chatID] = append(c.msgs[chatID], m)
	c.byID[m.ID] = m
	return m.ID, nil
}

func (c *memChat) Edit(ctx context.Context, chatID, messageID int64, html string, kb Keyboard) error {
	c.check(html, kb)
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.byID[messageID]
	failed := !ok || m.ChatID != chatID || m.Deleted || c.failEdit || c.gone[chatID]
	c.events = append(c.events, chatEvent{op: "edit", chatID: chatID, msgID: messageID, text: html, kb: kb, failed: failed})
	c.signalLocked()
	if c.gone[chatID] {
		return fmt.Errorf("telegram editMessageText: 403 Forbidden: bot was blocked by the user: %w", ErrChatUnreachable)
	}
	if failed {
		return fmt.Errorf("edit: message %d not found in chat %d", messageID, chatID)
	}
	m.Text, m.KB = html, kb
	m.Edits++
	return nil
}

func (c *memChat) Delete(ctx context.Context, chatID, messageID int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, chatEvent{op: "delete", chatID: chatID, msgID: messageID, failed: c.failDel || c.gone[chatID]})
	c.signalLocked()
	if c.gone[chatID] {
		return fmt.Errorf("telegram deleteMessage: 403 Forbidden: bot was kicked from the group chat: %w", ErrChatUnreachable)
	}
	if c.failDel {
		return errors.New("message can't be deleted")
	}
	if m, ok := c.byID[messageID]; ok {
		m.Deleted = true
	}
	c.deleted = append(c.deleted, messageID)
	return nil
}

func (c *memChat) AnswerCallback(ctx context.Context, callbackID, text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.answers[callbackID] = append(c.answers[callbackID], text)
	c.events = append(c.events, chatEvent{op: "answer", callback: callbackID, text: text})
	c.signalLocked()
	if len(c.answers[callbackID]) > 1 {
		c.t.Errorf("callback %s answered %d times", callbackID, len(c.answers[callbackID]))
	}
	return nil
}

func (c *memChat) Typing(ctx context.Context, chatID int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.typing[chatID]++
	return nil
}

// eventsSince returns the calls after the first n.
func (c *memChat) eventsSince(n int) []chatEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events[min(n, len(c.events)):])
}

// messages returns copies of a chat's messages (current text after edits).
func (c *memChat) messages(chatID int64) []memMsg {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]memMsg, 0, len(c.msgs[chatID]))
	for _, m := range c.msgs[chatID] {
		out = append(out, *m)
	}
	return out
}

// texts is every current message text of a chat joined, for "contains" checks.
func (c *memChat) texts(chatID int64) string {
	var sb strings.Builder
	for _, m := range c.messages(chatID) {
		sb.WriteString(m.Text)
		sb.WriteString("\n---\n")
	}
	return sb.String()
}

func (c *memChat) last(chatID int64) memMsg {
	ms := c.messages(chatID)
	if len(ms) == 0 {
		c.t.Fatalf("chat %d: no message", chatID)
	}
	return ms[len(ms)-1]
}

func (c *memChat) wasDeleted(messageID int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Contains(c.deleted, messageID)
}

// reset forgets a chat's messages.
func (c *memChat) reset(chatID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.msgs, chatID)
}

// typingCount is how many typing indicators chatID got.
func (c *memChat) typingCount(chatID int64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.typing[chatID]
}

// signalLocked wakes waitUntil; c.mu is held.
func (c *memChat) signalLocked() {
	if c.changed != nil {
		close(c.changed)
	}
	c.changed = make(chan struct{})
}

// waitUntil waits until cond holds, looking again after every call the bot makes: for work
// the bot does in the background (an action's follow-through).
func (c *memChat) waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		c.mu.Lock()
		if c.changed == nil {
			c.changed = make(chan struct{})
		}
		ch := c.changed
		c.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("waiting for %s: timed out", what)
		}
	}
}
