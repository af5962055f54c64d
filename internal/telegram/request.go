package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"plumebot/internal/bot"
)

// Retries: Telegram's flood control asks us to wait (429 with retry_after, honoured whole);
// a 5xx or a connection lost on the way is usually gone a moment later. Both are retried a
// few times, the caller holding its chat's place, so a chat's messages stay in order.
const (
	maxRetries429       = 3
	maxRetriesTransient = 3
	// After a 429 the whole sender runs at half the overall rate for this long.
	slowDownFor = time.Minute
)

// Outcomes of a Bot API call, as Metrics.Sent receives them.
const (
	OutcomeOK          = "ok"
	OutcomeUnreachable = "unreachable" // a lasting refusal: bot.ErrChatUnreachable
	OutcomeError       = "error"
)

func outcome(err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, bot.ErrChatUnreachable):
		return OutcomeUnreachable
	}
	return OutcomeError
}

// call makes one Bot API request; every error it returns is token-free.
func (a *Adapter) call(ctx context.Context, method string, params map[string]any, timeout time.Duration) (json.RawMessage, error) {
	if timeout == 0 {
		timeout = requestTimeout
	}
	raw, err := a.bot.RequestWithContext(ctx, method, params, &gotgbot.RequestOpts{Timeout: timeout, APIURL: a.apiURL})
	err = a.wrapErr(method, params, err)
	a.metrics.Sent(method, outcome(err))
	return raw, err
}

// retry runs attempt until it succeeds, fails for good, or ctx ends: a 429 is waited out (the
// whole retry_after) at most maxRetries429 times and slows the whole sender; a transient
// failure is retried with a doubling backoff at most maxRetriesTransient times.
func (a *Adapter) retry(ctx context.Context, method string, attempt func() (json.RawMessage, error)) (json.RawMessage, error) {
	n429, nTransient, backoff := 0, 0, a.retryMin
	for {
		raw, err := attempt()
		if err == nil || ctx.Err() != nil {
			return raw, err
		}
		var wait time.Duration
		var ae *APIError
		switch {
		case errors.As(err, &ae) && ae.Code == http.StatusTooManyRequests && n429 < maxRetries429:
			n429++
			wait = max(ae.RetryAfter, time.Second)
			a.metrics.RateLimited(method, wait)
			a.global.slowDown(time.Now().Add(wait + slowDownFor))
			a.log.Warn("telegram flood control: waiting before retrying", "method", method, "retry_after", wait, "attempt", n429)
		case transient(err) && nTransient < maxRetriesTransient:
			nTransient++
			wait, backoff = backoff, min(2*backoff, a.retryMax)
			a.log.Warn("telegram call failed, retrying", "method", method, "err", err, "retry_in", wait, "attempt", nTransient)
		default:
			return raw, err
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return nil, fmt.Errorf("telegram %s: waiting to retry: %w", method, err)
		}
	}
}

// callRetry is call with retries, for calls that are not paced (no chat's message).
func (a *Adapter) callRetry(ctx context.Context, method string, params map[string]any) (json.RawMessage, error) {
	return a.retry(ctx, method, func() (json.RawMessage, error) { return a.call(ctx, method, params, 0) })
}

// paced reports whether method sends a message that counts against Telegram's rate limits.
func paced(method string) bool {
	switch method {
	case "sendChatAction":
		return false
	case "editMessageText", "editMessageCaption", "editMessageMedia":
		return true
	}
	return len(method) > 4 && method[:4] == "send"
}
