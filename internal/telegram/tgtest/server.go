// Package tgtest is a fake Telegram Bot API on 127.0.0.1 for tests: it queues updates, records
// calls, keeps the state of sent messages and rejects what Telegram would reject.
//
// server.go holds the state and what tests call (push updates, inject faults, inspect, wait);
// methods.go the Bot API methods; params.go the parsing of their parameters; rules.go and
// html.go Telegram's checks of text, keyboards and names; ratelimit.go the flood limits;
// updates.go the JSON of the updates and messages the fake sends.
package tgtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// Identity of the fake bot.
const (
	BotID       = 123456
	BotUsername = "plumebot_test_bot"
	Token       = "123456:TEST"
)

// Call is one recorded Bot API request.
type Call struct {
	Method string
	// Params holds scalars as strings (as sent) and JSON objects/arrays decoded
	// (map[string]any / []any), whatever the request encoding (JSON, urlencoded, multipart).
	Params map[string]any
	Status int    // HTTP status of the reply
	Err    string // description of an error reply, "" on success
	At     time.Time
}

// String returns a scalar parameter ("" if absent).
func (c Call) String(key string) string {
	s, _ := c.Params[key].(string)
	return s
}

// Int returns an integer parameter (0 if absent or not a number).
func (c Call) Int(key string) int64 {
	n, _ := strconv.ParseInt(c.String(key), 10, 64)
	return n
}

// Message is the current state of a message the bot sent.
type Message struct {
	ID       int64
	ChatID   int64
	Text     string // as sent (HTML)
	Keyboard [][]Button
	Deleted  bool
	ThreadID int64 // the forum topic it was sent to (message_thread_id), 0 for none
	ReplyTo  int64 // the message it replies to (reply_parameters), 0 for none
}

// Button is an inline keyboard button.
type Button struct{ Text, Data string }

// Fault is an injected failure for the next call(s) of a method.
type Fault struct {
	Status      int           // HTTP status and error_code; 0 = only Delay, then normal handling
	RetryAfter  int           // parameters.retry_after in seconds (429)
	Description string        // default derived from Status
	Delay       time.Duration // wait before answering (ends early if the client gives up)
	Times       int           // how many calls it applies to; default 1
	HTML        bool          // answer Status with an HTML error page, as a proxy in front of the Bot API does
	Reset       bool          // reset the connection instead of answering (recorded with Status 0)
}

type msgKey struct{ chat, id int64 }

type queued struct {
	id  int64
	raw json.RawMessage
}

// Server is the fake Bot API. Create it with New and stop it with Close.
type Server struct {
	URL   string // base URL of the HTTP server
	Token string // the only token accepted

	hs *httptest.Server

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced on every state change
	nextUpdate int64
	queue      []queued
	poll       chan struct{} // closed to terminate the current long poll
	calls      []Call
	msgs       map[int64][]*Message
	byKey      map[msgKey]*Message
	incoming   map[msgKey]bool // user messages: deleted?
	chatTypes  map[int64]string
	canDelete  map[int64]bool // groups where the bot is an admin that may delete messages
	nextMsgID  map[int64]int64
	callbacks  map[string]bool // id -> answered
	cbOrder    []string
	cbPressed  map[string]time.Time // id -> when it was pressed (callbacks.go)
	cbLimit    time.Duration        // how late an answer may come (callbacks.go)
	nextCB     int64
	faults     map[string][]*Fault
	hookURL    string
	hookSecret string
	commands   any
	enforce    bool
	rates      map[int64]*chatLimits
	refusals   map[int64]*apiError // chats Telegram refuses to deliver to
	global     *slidingWindow
}

// New starts a fake Bot API on 127.0.0.1.
func New() *Server {
	s := newServer()
	s.hs = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.hs.URL
	return s
}

func newServer() *Server {
	return &Server{
		Token:      Token,
		changed:    make(chan struct{}),
		nextUpdate: 1000,
		msgs:       map[int64][]*Message{},
		byKey:      map[msgKey]*Message{},
		incoming:   map[msgKey]bool{},
		chatTypes:  map[int64]string{},
		canDelete:  map[int64]bool{},
		nextMsgID:  map[int64]int64{},
		callbacks:  map[string]bool{},
		faults:     map[string][]*Fault{},
		rates:      map[int64]*chatLimits{},
		refusals:   map[int64]*apiError{},
	}
}

// Close stops the server (nothing to stop for NewInProcess).
func (s *Server) Close() {
	if s.hs == nil {
		return
	}
	s.hs.CloseClientConnections()
	s.hs.Close()
}

// APIURL is the value for the adapter's Options.APIURL.
func (s *Server) APIURL() string { return s.URL }

// EnforceRates turns Telegram's flood limits on or off (off by default). When on, a message
// (sendMessage, editMessageText) gets 429 with retry_after when it would be the 31st in any one
// second overall, the 21st in any minute in one group, or exceed a chat's burst of 3 and then
// one per second (the Rate* constants). Messages refused with 429 do not count.
func (s *Server) EnforceRates(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enforce = on
}

// GrantDelete makes the bot an administrator of group chatID with the right to delete
// messages: only then may it delete what others posted there, as in Telegram (a bot may always
// delete its own messages, and a user's in a private chat).
func (s *Server) GrantDelete(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.canDelete[chatID] = true
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// PushMessage queues a text message from userID in chatID: a private chat if chatID == userID,
// else a group (a supergroup if chatID is negative). It returns the message's ID.
func (s *Server) PushMessage(userID, chatID int64, text string) (messageID int64) {
	return s.PushMessageWith(userID, chatID, textFields(text))
}

// PushMessageWith queues a message from userID in chatID with the given fields of Telegram's
// Message object (text, forward_origin, a service message's fields...), for shapes PushMessage
// does not make. It returns the message's ID.
func (s *Server) PushMessageWith(userID, chatID int64, fields map[string]any) (messageID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, id := s.incomingUpdateLocked(userID, chatID, fields)
	s.queue = append(s.queue, q)
	s.notifyLocked()
	return id
}

// PushCallback queues a press by userID of a button with data on message messageID in chatID.
func (s *Server) PushCallback(userID, chatID, messageID int64, data string) (callbackID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, id := s.callbackUpdateLocked(userID, chatID, messageID, data)
	s.queue = append(s.queue, q)
	s.notifyLocked()
	return id
}

// MessageUpdate builds the JSON of a message update without queueing it, for webhook tests.
func (s *Server) MessageUpdate(userID, chatID int64, text string) []byte {
	return s.MessageUpdateWith(userID, chatID, textFields(text))
}

// MessageUpdateWith builds the JSON of a PushMessageWith update without queueing it.
func (s *Server) MessageUpdateWith(userID, chatID int64, fields map[string]any) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, _ := s.incomingUpdateLocked(userID, chatID, fields)
	return q.raw
}

// CallbackUpdate builds the JSON of a callback update without queueing it, for webhook tests.
func (s *Server) CallbackUpdate(userID, chatID, messageID int64, data string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, _ := s.callbackUpdateLocked(userID, chatID, messageID, data)
	return q.raw
}

// Pending is the number of queued updates not yet confirmed by a getUpdates offset.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// WaitUntil waits until cond holds and returns nil, or returns ctx's error. cond is called
// at once, then again after every change the fake records: an update pushed or confirmed by a
// getUpdates offset, and every completed call (after its method changed the state: a message
// sent, edited or deleted, a callback answered). It runs without the server's lock, so it may
// call Messages, Calls and the other inspection methods; it should be quick, since every
// change wakes it.
func (s *Server) WaitUntil(ctx context.Context, cond func(*Server) bool) error {
	for {
		// Take the channel before cond looks: a change after the look closes this one.
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if cond(s) {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitCall waits until the n-th (1-based) call of method ("" or "*": of any method) was
// recorded and returns it.
func (s *Server) WaitCall(ctx context.Context, method string, n int) (Call, error) {
	if n < 1 {
		return Call{}, fmt.Errorf("waiting for call %d of %s: calls are counted from 1", n, method)
	}
	var got Call
	seen := 0
	err := s.WaitUntil(ctx, func(s *Server) bool {
		calls := s.Calls(method)
		if seen = len(calls); seen < n {
			return false
		}
		got = calls[n-1]
		return true
	})
	if err != nil {
		return Call{}, fmt.Errorf("waiting for call %d of %s (saw %d): %w", n, method, seen, err)
	}
	return got, nil
}

// Calls returns the recorded calls of method ("" or "*" for all), in the order they completed.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || method == "*" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Messages returns the bot's messages in chatID as they are now (after edits and deletes).
func (s *Server) Messages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.msgs[chatID]))
	for _, m := range s.msgs[chatID] {
		c := *m
		c.Keyboard = cloneKeyboard(m.Keyboard)
		out = append(out, c)
	}
	return out
}

// IsDeleted reports whether a message (the bot's or a pushed user message) was deleted.
func (s *Server) IsDeleted(chatID, messageID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.byKey[msgKey{chatID, messageID}]; m != nil {
		return m.Deleted
	}
	return s.incoming[msgKey{chatID, messageID}]
}

// Fault queues f for the next call(s) of method ("*": any method without its own fault).
func (s *Server) Fault(method string, f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], &f)
}

// UnansweredCallbacks lists the IDs of pushed callbacks not yet answered, in push order.
func (s *Server) UnansweredCallbacks() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, id := range s.cbOrder {
		if !s.callbacks[id] {
			out = append(out, id)
		}
	}
	return out
}

// SetWebhookInfo returns what setWebhook set ("" after deleteWebhook).
func (s *Server) SetWebhookInfo() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hookURL, s.hookSecret
}

// Commands returns the commands set by the last setMyCommands (decoded JSON), or nil.
func (s *Server) Commands() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands
}

func cloneKeyboard(kb [][]Button) [][]Button {
	if kb == nil {
		return nil
	}
	out := make([][]Button, len(kb))
	for i, row := range kb {
		out[i] = append([]Button(nil), row...)
	}
	return out
}
