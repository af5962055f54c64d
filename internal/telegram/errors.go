package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"plumebot/internal/bot"
)

// APIError is an error reply of the Bot API. A reply that was not the API's JSON (a proxy's
// HTML error page, an empty 502) is one too, with its HTTP status as Code.
type APIError struct {
	Method          string
	Code            int // error_code, e.g. 400, 403, 409, 429, 502
	Description     string
	RetryAfter      time.Duration // parameters.retry_after on 429
	MigrateToChatID int64         // parameters.migrate_to_chat_id: the group became this supergroup

	refusal bool // a lasting refusal to deliver to the chat named in the call (see refused)
}

func (e *APIError) Error() string {
	return fmt.Sprintf("telegram %s: %d %s", e.Method, e.Code, e.Description)
}

// Unwrap makes Telegram's lasting refusals to deliver to a chat bot.ErrChatUnreachable (and
// an upgraded group a *bot.ChatMigratedError), so the core can tell them from failures.
func (e *APIError) Unwrap() error {
	switch {
	case e.MigrateToChatID != 0:
		return &bot.ChatMigratedError{NewChatID: e.MigrateToChatID}
	case e.refusal:
		return bot.ErrChatUnreachable
	}
	return nil
}

// refusalTexts are the 400 descriptions with which Telegram refuses a chat for good (as seen in
// the Bot API's replies and in public bug trackers); every 403 on a call naming a chat is one.
var refusalTexts = []string{
	"chat not found",
	"have no rights to send",
	"not enough rights to send",
	"need administrator rights",
	"chat_write_forbidden",
	"chat_restricted",
	"peer_id_invalid",
	"user is deactivated",
	"bot was blocked",
	"bot was kicked",
	"bot is not a member",
	"group chat was upgraded to a supergroup",
	"group chat was deactivated",
}

// refused reports whether Telegram's answer to a call naming a chat says the chat is out of
// reach (the user blocked the bot, the bot was removed, the chat is gone): sending again
// will not help.
func refused(code int, description string) bool {
	if code == http.StatusForbidden {
		return true
	}
	if code != http.StatusBadRequest {
		return false
	}
	d := strings.ToLower(description)
	for _, t := range refusalTexts {
		if strings.Contains(d, t) {
			return true
		}
	}
	return false
}

// notModified reports Telegram's "message is not modified", which is success for an edit.
func notModified(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == http.StatusBadRequest && strings.Contains(ae.Description, "message is not modified")
}

// transient reports an error that a later attempt may not meet: a 5xx, or a request that
// failed on the way (connection refused or reset, a reply cut short, our request timeout).
func transient(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code >= http.StatusInternalServerError
	}
	var re *redactedError
	return errors.As(err, &re) && re.network
}

// redactedError hides the token: errors from the HTTP client may carry the request URL,
// which contains it. Only context errors stay reachable through Unwrap.
type redactedError struct {
	msg     string
	err     error
	network bool // the request failed on the way (see transient)
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (a *Adapter) redact(s string) string {
	s = strings.ReplaceAll(s, a.token, "<token>")
	return strings.ReplaceAll(s, url.PathEscape(a.token), "<token>")
}

// wrapErr turns the library's error for method into ours: an *APIError for a Bot API error
// reply, else a token-free redactedError. params tell whether the call named a chat.
func (a *Adapter) wrapErr(method string, params map[string]any, err error) error {
	if err == nil {
		return nil
	}
	var te *gotgbot.TelegramError
	if errors.As(err, &te) {
		ae := &APIError{Method: method, Code: te.Code, Description: a.redact(te.Description)}
		if p := te.ResponseParams; p != nil {
			ae.RetryAfter = time.Duration(p.RetryAfter) * time.Second
			ae.MigrateToChatID = p.MigrateToChatId
		}
		if _, names := params["chat_id"]; names {
			ae.refusal = refused(ae.Code, ae.Description)
		}
		return ae
	}
	var inner error
	switch {
	case errors.Is(err, context.Canceled):
		inner = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		inner = context.DeadlineExceeded
	}
	// The HTTP client reports every failure on the way as a *url.Error; a reply that came
	// but did not decode is not one, and retrying would not change it.
	var ue *url.Error
	return &redactedError{msg: a.redact(fmt.Sprintf("telegram %s: %v", method, err)), err: inner, network: errors.As(err, &ue)}
}

// jsonErrors turns an error reply that is not the Bot API's JSON (a proxy's HTML page, an
// empty 502) into the JSON error the library decodes, so it reaches us as an *APIError with
// its HTTP status instead of a decoding failure that hides whether a retry may help.
type jsonErrors struct{ next http.RoundTripper }

func (t jsonErrors) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil || resp.StatusCode < http.StatusBadRequest {
		return resp, err
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "application/json" {
		return resp, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	resp.Body.Close()
	body, _ := json.Marshal(map[string]any{"ok": false, "error_code": resp.StatusCode,
		"description": fmt.Sprintf("%s (the reply was not the Bot API's JSON)", http.StatusText(resp.StatusCode))})
	resp.Header = resp.Header.Clone()
	resp.Header.Set("Content-Type", "application/json")
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	return resp, nil
}
