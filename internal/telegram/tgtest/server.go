// Package tgtest is a fake Telegram Bot API on 127.0.0.1 for tests: it queues updates, records
// calls, keeps the state of sent messages and rejects what Telegram would reject.
package tgtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Identity of the fake bot.
const (
	BotID       = 123456
	BotUsername = "plumebot_test_bot"
	Token       = "123456:TEST"
)

// Long polls are capped so that a test never waits long for an empty getUpdates.
const maxPollWait = 2 * time.Second

// Rates enforced when EnforceRates(true) is set; slightly looser than the adapter's pacing so
// that a well-behaved client is never refused (https://core.telegram.org/bots/faq).
const (
	ratePrivateBurst = 4
	ratePrivatePerS  = 1.0
	rateGroupBurst   = 20
	rateGroupPerS    = 20.0 / 60
	rateGlobalBurst  = 30
	rateGlobalPerS   = 30.0
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
}

type msgKey struct{ chat, id int64 }

type queued struct {
	id  int64
	raw json.RawMessage
}

type bucket struct {
	tokens, capacity, perSec float64
	last                     time.Time
}

// take removes one token or returns how long until one is available.
func (b *bucket) take(now time.Time) (bool, time.Duration) {
	b.tokens = math.Min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*b.perSec)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.perSec * float64(time.Second))
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
	nextMsgID  map[int64]int64
	callbacks  map[string]bool // id -> answered
	cbOrder    []string
	nextCB     int64
	faults     map[string][]*Fault
	hookURL    string
	hookSecret string
	commands   any
	enforce    bool
	buckets    map[int64]*bucket
	global     *bucket
}

// New starts a fake Bot API on 127.0.0.1.
func New() *Server {
	s := &Server{
		Token:      Token,
		changed:    make(chan struct{}),
		nextUpdate: 1000,
		msgs:       map[int64][]*Message{},
		byKey:      map[msgKey]*Message{},
		incoming:   map[msgKey]bool{},
		chatTypes:  map[int64]string{},
		nextMsgID:  map[int64]int64{},
		callbacks:  map[string]bool{},
		faults:     map[string][]*Fault{},
		buckets:    map[int64]*bucket{},
	}
	s.hs = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.hs.URL
	return s
}

// Close stops the server.
func (s *Server) Close() {
	s.hs.CloseClientConnections()
	s.hs.Close()
}

// APIURL is the value for the adapter's Options.APIURL.
func (s *Server) APIURL() string { return s.URL }

// EnforceRates turns Telegram's flood limits on or off (off by default): beyond ~30 messages/s
// overall, bursts in one chat, or 20 messages/min in a group, sends get 429 with retry_after.
func (s *Server) EnforceRates(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enforce = on
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) chatType(userID, chatID int64) string {
	switch {
	case chatID == userID:
		return "private"
	case chatID < 0:
		return "supergroup"
	default:
		return "group"
	}
}

func userJSON(userID int64) map[string]any {
	return map[string]any{
		"id": userID, "is_bot": false,
		"first_name": fmt.Sprintf("User%d", userID), "username": fmt.Sprintf("user%d", userID),
	}
}

func (s *Server) chatJSONLocked(chatID int64) map[string]any {
	t := s.chatTypes[chatID]
	if t == "" {
		t = "private"
		if chatID < 0 {
			t = "supergroup"
		}
	}
	c := map[string]any{"id": chatID, "type": t}
	if t != "private" {
		c["title"] = fmt.Sprintf("Chat %d", chatID)
	}
	return c
}

func (s *Server) newMessageIDLocked(chatID int64) int64 {
	s.nextMsgID[chatID]++
	return s.nextMsgID[chatID]
}

// messageUpdateLocked builds a message update and registers the incoming message.
func (s *Server) messageUpdateLocked(userID, chatID int64, text string) (queued, int64) {
	s.chatTypes[chatID] = s.chatType(userID, chatID)
	id := s.newMessageIDLocked(chatID)
	s.incoming[msgKey{chatID, id}] = false
	msg := map[string]any{
		"message_id": id, "from": userJSON(userID), "chat": s.chatJSONLocked(chatID),
		"date": time.Now().Unix(), "text": text,
	}
	if strings.HasPrefix(text, "/") {
		n := strings.IndexAny(text, " \n")
		if n < 0 {
			n = len(text)
		}
		msg["entities"] = []any{map[string]any{"type": "bot_command", "offset": 0, "length": UTF16Len(text[:n])}}
	}
	s.nextUpdate++
	raw, _ := json.Marshal(map[string]any{"update_id": s.nextUpdate, "message": msg})
	return queued{s.nextUpdate, raw}, id
}

func (s *Server) callbackUpdateLocked(userID, chatID, messageID int64, data string) (queued, string) {
	s.nextCB++
	cbID := fmt.Sprintf("cb%d", s.nextCB)
	s.callbacks[cbID] = false
	s.cbOrder = append(s.cbOrder, cbID)
	msg := map[string]any{
		"message_id": messageID, "chat": s.chatJSONLocked(chatID), "date": time.Now().Unix(),
		"from": map[string]any{"id": BotID, "is_bot": true, "first_name": "Test Bot", "username": BotUsername},
	}
	if m := s.byKey[msgKey{chatID, messageID}]; m != nil {
		msg["text"], _ = ParseHTML(m.Text)
		msg["reply_markup"] = markupJSON(m.Keyboard)
	}
	s.nextUpdate++
	raw, _ := json.Marshal(map[string]any{"update_id": s.nextUpdate, "callback_query": map[string]any{
		"id": cbID, "from": userJSON(userID), "message": msg,
		"chat_instance": strconv.FormatInt(chatID, 10), "data": data,
	}})
	return queued{s.nextUpdate, raw}, cbID
}

// PushMessage queues a text message from userID in chatID: a private chat if chatID == userID,
// else a group (a supergroup if chatID is negative). It returns the message's ID.
func (s *Server) PushMessage(userID, chatID int64, text string) (messageID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, id := s.messageUpdateLocked(userID, chatID, text)
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
	s.mu.Lock()
	defer s.mu.Unlock()
	q, _ := s.messageUpdateLocked(userID, chatID, text)
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

// WaitCall waits until the n-th (1-based) call of method was recorded and returns it.
func (s *Server) WaitCall(ctx context.Context, method string, n int) (Call, error) {
	for {
		s.mu.Lock()
		seen := 0
		for _, c := range s.calls {
			if c.Method == method {
				seen++
				if seen == n {
					s.mu.Unlock()
					return c, nil
				}
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Call{}, fmt.Errorf("waiting for call %d of %s (saw %d): %w", n, method, seen, ctx.Err())
		}
	}
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

// apiError is an {"ok":false} reply.
type apiError struct {
	status     int
	desc       string
	retryAfter int
}

func badRequest(format string, a ...any) *apiError {
	return &apiError{status: 400, desc: "Bad Request: " + fmt.Sprintf(format, a...)}
}

var methods = map[string]func(s *Server, r *http.Request, p map[string]any) (any, *apiError){
	"getme":               (*Server).getMe,
	"getupdates":          (*Server).getUpdates,
	"deletewebhook":       (*Server).deleteWebhook,
	"setwebhook":          (*Server).setWebhook,
	"setmycommands":       (*Server).setMyCommands,
	"sendmessage":         (*Server).sendMessage,
	"editmessagetext":     (*Server).editMessageText,
	"deletemessage":       (*Server).deleteMessage,
	"answercallbackquery": (*Server).answerCallbackQuery,
	"sendchataction":      (*Server).sendChatAction,
}

var canonical = map[string]string{}

func init() {
	for _, m := range []string{"getMe", "getUpdates", "deleteWebhook", "setWebhook", "setMyCommands",
		"sendMessage", "editMessageText", "deleteMessage", "answerCallbackQuery", "sendChatAction"} {
		canonical[strings.ToLower(m)] = m
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	token, method, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/bot"), "/")
	if name, known := canonical[strings.ToLower(method)]; known {
		method = name
	}
	params, perr := parseParams(r)
	var result any
	var aerr *apiError
	switch {
	case !strings.HasPrefix(r.URL.Path, "/bot") || !ok || token != s.Token:
		aerr = &apiError{status: 401, desc: "Unauthorized"}
	case methods[strings.ToLower(method)] == nil:
		aerr = &apiError{status: 404, desc: "Not Found"}
	case perr != nil:
		aerr = badRequest("%v", perr)
	default:
		aerr = s.fault(r.Context(), method)
		if aerr == nil {
			result, aerr = methods[strings.ToLower(method)](s, r, params)
		}
	}
	call := Call{Method: method, Params: params, Status: http.StatusOK, At: at}
	w.Header().Set("Content-Type", "application/json")
	if aerr != nil {
		call.Status, call.Err = aerr.status, aerr.desc
		body := map[string]any{"ok": false, "error_code": aerr.status, "description": aerr.desc}
		if aerr.retryAfter > 0 {
			body["parameters"] = map[string]any{"retry_after": aerr.retryAfter}
		}
		w.WriteHeader(aerr.status)
		_ = json.NewEncoder(w).Encode(body)
	} else {
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
	}
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.notifyLocked()
	s.mu.Unlock()
}

// fault applies the next queued fault for method, if any.
func (s *Server) fault(ctx context.Context, method string) *apiError {
	s.mu.Lock()
	key := method
	if len(s.faults[key]) == 0 {
		key = "*"
	}
	q := s.faults[key]
	if len(q) == 0 {
		s.mu.Unlock()
		return nil
	}
	f := *q[0]
	if q[0].Times--; q[0].Times <= 0 {
		s.faults[key] = q[1:]
	}
	s.mu.Unlock()
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	if f.Status == 0 {
		return nil
	}
	desc := f.Description
	if desc == "" {
		switch f.Status {
		case 429:
			desc = fmt.Sprintf("Too Many Requests: retry after %d", f.RetryAfter)
		case 409:
			desc = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
		case 400:
			desc = "Bad Request: injected fault"
		case 403:
			desc = "Forbidden: bot was blocked by the user"
		default:
			desc = http.StatusText(f.Status)
		}
	}
	return &apiError{status: f.Status, desc: desc, retryAfter: f.RetryAfter}
}

// parseParams reads query, urlencoded, multipart or JSON parameters into one map.
func parseParams(r *http.Request) (map[string]any, error) {
	params := map[string]any{}
	for k, v := range r.URL.Query() {
		params[k] = formValue(v[0])
	}
	if r.Method != http.MethodPost || r.Body == nil {
		return params, nil
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 8<<20)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return params, fmt.Errorf("can't parse JSON object: %v", err)
		}
		for k, v := range m {
			params[k] = normalizeJSON(v, true)
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return params, fmt.Errorf("can't parse multipart body: %v", err)
		}
		for k, v := range r.MultipartForm.Value {
			params[k] = formValue(v[0])
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return params, fmt.Errorf("can't parse form: %v", err)
		}
		for k, v := range r.PostForm {
			params[k] = formValue(v[0])
		}
	}
	return params, nil
}

// formValue decodes JSON-serialized objects and arrays, as Telegram does for such fields.
func formValue(v string) any {
	if t := strings.TrimSpace(v); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		var out any
		if json.Unmarshal([]byte(t), &out) == nil {
			return out
		}
	}
	return v
}

func normalizeJSON(v any, top bool) any {
	switch x := v.(type) {
	case json.Number:
		if top {
			return x.String()
		}
		f, _ := x.Float64()
		return f
	case bool:
		if top {
			return strconv.FormatBool(x)
		}
		return x
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeJSON(e, false)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeJSON(e, false)
		}
		return x
	}
	return v
}

func str(p map[string]any, key string) string {
	s, _ := p[key].(string)
	return s
}

func intParam(p map[string]any, key string) (int64, bool) {
	n, err := strconv.ParseInt(str(p, key), 10, 64)
	return n, err == nil
}

func (s *Server) getMe(*http.Request, map[string]any) (any, *apiError) {
	return map[string]any{
		"id": BotID, "is_bot": true, "first_name": "Test Bot", "username": BotUsername,
		"can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
	}, nil
}

func (s *Server) getUpdates(r *http.Request, p map[string]any) (any, *apiError) {
	offset, _ := intParam(p, "offset")
	limit, ok := intParam(p, "limit")
	if !ok || limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := intParam(p, "timeout")
	wait := min(time.Duration(timeout)*time.Second, maxPollWait)
	deadline := time.NewTimer(wait)
	defer deadline.Stop()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hookURL != "" {
		return nil, &apiError{status: 409, desc: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
	}
	// A newer getUpdates terminates an older one, as Telegram does.
	if s.poll != nil {
		close(s.poll)
	}
	mine := make(chan struct{})
	s.poll = mine
	defer func() {
		if s.poll == mine {
			s.poll = nil
		}
	}()
	if offset > 0 {
		i := 0
		for i < len(s.queue) && s.queue[i].id < offset {
			i++
		}
		if i > 0 {
			s.queue = s.queue[i:]
			s.notifyLocked()
		}
	}
	for {
		if len(s.queue) > 0 || wait <= 0 {
			n := min(int(limit), len(s.queue))
			out := make([]json.RawMessage, n)
			for i := range n {
				out[i] = s.queue[i].raw
			}
			return out, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
			s.mu.Lock()
		case <-deadline.C:
			s.mu.Lock()
			wait = 0
		case <-r.Context().Done():
			s.mu.Lock()
			return []json.RawMessage{}, nil
		case <-mine:
			s.mu.Lock()
			return nil, &apiError{status: 409, desc: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
		}
	}
}

func (s *Server) deleteWebhook(_ *http.Request, p map[string]any) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hookURL, s.hookSecret = "", ""
	if str(p, "drop_pending_updates") == "true" {
		s.queue = nil
	}
	return true, nil
}

func validSecret(v string) bool {
	if len(v) < 1 || len(v) > 256 {
		return false
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (s *Server) setWebhook(_ *http.Request, p map[string]any) (any, *apiError) {
	u, secret := str(p, "url"), str(p, "secret_token")
	if u != "" {
		pu, err := url.Parse(u)
		if err != nil || pu.Scheme != "https" || pu.Host == "" {
			return nil, badRequest("bad webhook: An HTTPS URL must be provided for webhook")
		}
	}
	if _, ok := p["secret_token"]; ok && !validSecret(secret) {
		return nil, badRequest("bad webhook: secret token contains unallowed characters")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hookURL, s.hookSecret = u, secret
	if u == "" {
		s.hookSecret = ""
	}
	return true, nil
}

func validCommand(name string) bool {
	if len(name) < 1 || len(name) > 32 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Server) setMyCommands(_ *http.Request, p map[string]any) (any, *apiError) {
	cmds, ok := p["commands"].([]any)
	if !ok {
		return nil, badRequest("can't parse commands JSON object")
	}
	if len(cmds) > 100 {
		return nil, badRequest("BOT_COMMANDS_TOO_MUCH")
	}
	for _, c := range cmds {
		m, _ := c.(map[string]any)
		name, _ := m["command"].(string)
		desc, _ := m["description"].(string)
		if !validCommand(name) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := UTF16Len(strings.TrimSpace(desc)); n < 1 || n > 256 {
			return nil, badRequest("command description must be 1-256 characters")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands = cmds
	return true, nil
}

// checkText validates text per parse_mode and returns its plain form.
func checkText(p map[string]any) (string, *apiError) {
	text := str(p, "text")
	plain := text
	switch strings.ToLower(str(p, "parse_mode")) {
	case "html":
		var err error
		if plain, err = ParseHTML(text); err != nil {
			return "", badRequest("can't parse entities: %v", err)
		}
	case "", "none":
	default:
		// Only HTML is modelled; MarkdownV2 would need its own validator.
		return "", badRequest("unsupported parse_mode %q in tgtest", str(p, "parse_mode"))
	}
	if strings.TrimSpace(plain) == "" {
		return "", badRequest("message text is empty")
	}
	if UTF16Len(plain) > MaxTextLength {
		return "", badRequest("message is too long")
	}
	return plain, nil
}

// parseKeyboard reads reply_markup.inline_keyboard and enforces the button rules.
func parseKeyboard(p map[string]any) ([][]Button, *apiError) {
	raw, ok := p["reply_markup"]
	if !ok {
		return nil, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		if str(p, "reply_markup") == "null" || str(p, "reply_markup") == "" {
			return nil, nil
		}
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	rowsRaw, ok := m["inline_keyboard"]
	if !ok {
		return nil, nil
	}
	rows, ok := rowsRaw.([]any)
	if !ok {
		return nil, badRequest("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array")
	}
	var kb [][]Button
	for _, rr := range rows {
		row, ok := rr.([]any)
		if !ok {
			return nil, badRequest("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays")
		}
		var out []Button
		for _, bb := range row {
			b, _ := bb.(map[string]any)
			text, _ := b["text"].(string)
			data, hasData := b["callback_data"].(string)
			_, hasURL := b["url"].(string)
			if strings.TrimSpace(text) == "" {
				return nil, badRequest("BUTTON_TEXT_INVALID")
			}
			if !hasURL && (!hasData || len(data) < 1 || len(data) > MaxCallbackData) {
				return nil, badRequest("BUTTON_DATA_INVALID")
			}
			out = append(out, Button{Text: text, Data: data})
		}
		if len(out) > 0 {
			kb = append(kb, out)
		}
	}
	return kb, nil
}

func markupJSON(kb [][]Button) any {
	rows := []any{}
	for _, row := range kb {
		r := []any{}
		for _, b := range row {
			r = append(r, map[string]any{"text": b.Text, "callback_data": b.Data})
		}
		rows = append(rows, r)
	}
	return map[string]any{"inline_keyboard": rows}
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

func sameKeyboard(a, b [][]Button) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

func chatParam(p map[string]any) (int64, *apiError) {
	id, ok := intParam(p, "chat_id")
	if !ok || id == 0 {
		return 0, badRequest("chat not found")
	}
	return id, nil
}

// rateLocked applies the flood limits when enforced.
func (s *Server) rateLocked(chatID int64) *apiError {
	if !s.enforce {
		return nil
	}
	now := time.Now()
	if s.global == nil {
		s.global = &bucket{tokens: rateGlobalBurst, capacity: rateGlobalBurst, perSec: rateGlobalPerS, last: now}
	}
	b := s.buckets[chatID]
	if b == nil {
		b = &bucket{tokens: ratePrivateBurst, capacity: ratePrivateBurst, perSec: ratePrivatePerS, last: now}
		if chatID < 0 || s.chatTypes[chatID] == "group" || s.chatTypes[chatID] == "supergroup" {
			b = &bucket{tokens: rateGroupBurst, capacity: rateGroupBurst, perSec: rateGroupPerS, last: now}
		}
		s.buckets[chatID] = b
	}
	for _, bk := range []*bucket{s.global, b} {
		if ok, wait := bk.take(now); !ok {
			secs := max(1, int(math.Ceil(wait.Seconds())))
			return &apiError{status: 429, desc: fmt.Sprintf("Too Many Requests: retry after %d", secs), retryAfter: secs}
		}
	}
	return nil
}

func (s *Server) messageJSONLocked(m *Message, plain string) map[string]any {
	out := map[string]any{
		"message_id": m.ID, "date": time.Now().Unix(), "text": plain, "chat": s.chatJSONLocked(m.ChatID),
		"from": map[string]any{"id": BotID, "is_bot": true, "first_name": "Test Bot", "username": BotUsername},
	}
	if len(m.Keyboard) > 0 {
		out["reply_markup"] = markupJSON(m.Keyboard)
	}
	return out
}

// textParams checks what sendMessage and editMessageText share: the chat, the text (as
// Telegram parses it) and the keyboard.
func textParams(p map[string]any) (chatID int64, plain string, kb [][]Button, aerr *apiError) {
	if chatID, aerr = chatParam(p); aerr != nil {
		return
	}
	if plain, aerr = checkText(p); aerr != nil {
		return
	}
	kb, aerr = parseKeyboard(p)
	return
}

func (s *Server) sendMessage(_ *http.Request, p map[string]any) (any, *apiError) {
	chatID, plain, kb, aerr := textParams(p)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if aerr := s.rateLocked(chatID); aerr != nil {
		return nil, aerr
	}
	m := &Message{ID: s.newMessageIDLocked(chatID), ChatID: chatID, Text: str(p, "text"), Keyboard: kb}
	s.msgs[chatID] = append(s.msgs[chatID], m)
	s.byKey[msgKey{chatID, m.ID}] = m
	return s.messageJSONLocked(m, plain), nil
}

func (s *Server) editMessageText(_ *http.Request, p map[string]any) (any, *apiError) {
	chatID, plain, kb, aerr := textParams(p)
	if aerr != nil {
		return nil, aerr
	}
	msgID, _ := intParam(p, "message_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.byKey[msgKey{chatID, msgID}]
	if m == nil || m.Deleted {
		return nil, badRequest("message to edit not found")
	}
	if m.Text == str(p, "text") && sameKeyboard(m.Keyboard, kb) {
		return nil, badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	}
	if aerr := s.rateLocked(chatID); aerr != nil {
		return nil, aerr
	}
	// Without reply_markup, Telegram removes the inline keyboard.
	m.Text, m.Keyboard = str(p, "text"), kb
	return s.messageJSONLocked(m, plain), nil
}

func (s *Server) deleteMessage(_ *http.Request, p map[string]any) (any, *apiError) {
	chatID, aerr := chatParam(p)
	if aerr != nil {
		return nil, aerr
	}
	msgID, _ := intParam(p, "message_id")
	k := msgKey{chatID, msgID}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.byKey[k]; m != nil && !m.Deleted {
		m.Deleted = true
		return true, nil
	}
	if deleted, ok := s.incoming[k]; ok && !deleted {
		s.incoming[k] = true
		return true, nil
	}
	return nil, badRequest("message to delete not found")
}

func (s *Server) answerCallbackQuery(_ *http.Request, p map[string]any) (any, *apiError) {
	id := str(p, "callback_query_id")
	if UTF16Len(str(p, "text")) > 200 {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	answered, ok := s.callbacks[id]
	if !ok || answered {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	s.callbacks[id] = true
	return true, nil
}

var chatActions = map[string]bool{
	"typing": true, "upload_photo": true, "record_video": true, "upload_video": true, "record_voice": true,
	"upload_voice": true, "upload_document": true, "choose_sticker": true, "find_location": true,
	"record_video_note": true, "upload_video_note": true,
}

func (s *Server) sendChatAction(_ *http.Request, p map[string]any) (any, *apiError) {
	if _, aerr := chatParam(p); aerr != nil {
		return nil, aerr
	}
	if !chatActions[str(p, "action")] {
		return nil, badRequest("wrong parameter action in request")
	}
	return true, nil
}

// ChatIDs lists the chats in which the bot has sent messages, sorted.
func (s *Server) ChatIDs() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]int64, 0, len(s.msgs))
	for id := range s.msgs {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
