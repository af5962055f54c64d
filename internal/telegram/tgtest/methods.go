package tgtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Long polls are capped so that a test never waits long for an empty getUpdates.
const maxPollWait = 2 * time.Second

// apiError is an {"ok":false} reply.
type apiError struct {
	status     int
	desc       string
	retryAfter int
	migrateTo  int64 // parameters.migrate_to_chat_id
	html       bool  // answered with an HTML page instead of JSON (a proxy's error page)
	reset      bool  // answered by resetting the connection
}

// badRequest is Telegram's 400 reply, whose description starts "Bad Request: ".
func badRequest(format string, a ...any) *apiError {
	return &apiError{status: 400, desc: "Bad Request: " + fmt.Sprintf(format, a...)}
}

type methodFunc func(s *Server, r *http.Request, p map[string]any) (any, *apiError)

// methods are the Bot API methods the fake serves, by name as recorded in Call.Method.
var methods = map[string]methodFunc{
	"getMe":               (*Server).getMe,
	"getUpdates":          (*Server).getUpdates,
	"deleteWebhook":       (*Server).deleteWebhook,
	"setWebhook":          (*Server).setWebhook,
	"setMyCommands":       (*Server).setMyCommands,
	"sendMessage":         (*Server).sendMessage,
	"editMessageText":     (*Server).editMessageText,
	"deleteMessage":       (*Server).deleteMessage,
	"answerCallbackQuery": (*Server).answerCallbackQuery,
	"sendChatAction":      (*Server).sendChatAction,
}

// canonical spells a method name as methods does: Telegram matches names case-insensitively.
var canonical = map[string]string{}

func init() {
	for name := range methods {
		canonical[strings.ToLower(name)] = name
	}
}

// serve answers one Bot API request and records it as a Call, whatever its outcome.
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
	case methods[method] == nil:
		aerr = &apiError{status: 404, desc: "Not Found"}
	case perr != nil:
		aerr = badRequest("%v", perr)
	default:
		aerr = s.fault(r.Context(), method)
		if aerr == nil {
			result, aerr = methods[method](s, r, params)
		}
	}
	call := Call{Method: method, Params: params, Status: http.StatusOK, At: at}
	switch {
	case aerr != nil && aerr.reset:
		call.Status, call.Err = 0, "connection reset"
		s.record(call)
		resetConnection(w)
		return
	case aerr != nil && aerr.html:
		call.Status, call.Err = aerr.status, aerr.desc
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(aerr.status)
		fmt.Fprintf(w, "<html><head><title>%[1]d %[2]s</title></head><body><center><h1>%[1]d %[2]s</h1></center><hr><center>nginx</center></body></html>\n",
			aerr.status, http.StatusText(aerr.status))
	case aerr != nil:
		call.Status, call.Err = aerr.status, aerr.desc
		body := map[string]any{"ok": false, "error_code": aerr.status, "description": aerr.desc}
		switch {
		case aerr.retryAfter > 0:
			body["parameters"] = map[string]any{"retry_after": aerr.retryAfter}
		case aerr.migrateTo != 0:
			body["parameters"] = map[string]any{"migrate_to_chat_id": aerr.migrateTo}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(aerr.status)
		_ = json.NewEncoder(w).Encode(body)
	default:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
	}
	s.record(call)
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.notifyLocked()
	s.mu.Unlock()
}

// errReset unwinds an in-process request whose connection a fault resets.
var errReset = errors.New("tgtest: connection reset by peer")

// resetConnection drops the client's connection with a TCP reset, as a crashing proxy does.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(errReset) // in-process: RoundTrip turns it into the client's error
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // close with RST, not FIN
	}
	_ = conn.Close()
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
	if f.Reset {
		return &apiError{reset: true}
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
	return &apiError{status: f.Status, desc: desc, retryAfter: f.RetryAfter, html: f.HTML}
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

func (s *Server) sendMessage(_ *http.Request, p map[string]any) (any, *apiError) {
	chatID, plain, kb, aerr := textParams(p)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if aerr := s.refusalLocked(chatID); aerr != nil {
		return nil, aerr
	}
	thread, replyTo, aerr := s.placementLocked(chatID, p)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.rateLocked(chatID); aerr != nil {
		return nil, aerr
	}
	m := &Message{ID: s.newMessageIDLocked(chatID), ChatID: chatID, ThreadID: thread, ReplyTo: replyTo,
		Text: str(p, "text"), Keyboard: kb}
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
	if aerr := s.refusalLocked(chatID); aerr != nil {
		return nil, aerr
	}
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
	if aerr := s.refusalLocked(chatID); aerr != nil {
		return nil, aerr
	}
	if m := s.byKey[k]; m != nil && !m.Deleted {
		m.Deleted = true
		return true, nil
	}
	if deleted, ok := s.incoming[k]; ok && !deleted {
		// Bot API deleteMessage: a bot deletes incoming messages in private chats; in a group
		// only as an administrator with can_delete_messages.
		if s.chatTypes[chatID] != "private" && !s.canDelete[chatID] {
			return nil, badRequest("message can't be deleted")
		}
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
	if !ok || answered || s.tooOldLocked(id, time.Now()) {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	s.callbacks[id] = true
	return true, nil
}

func (s *Server) sendChatAction(_ *http.Request, p map[string]any) (any, *apiError) {
	chatID, aerr := chatParam(p)
	if aerr != nil {
		return nil, aerr
	}
	if !chatActions[str(p, "action")] {
		return nil, badRequest("wrong parameter action in request")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if aerr := s.refusalLocked(chatID); aerr != nil {
		return nil, aerr
	}
	return true, nil
}
