package telegram

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"plumebot/internal/bot"
)

const maxWebhookBody = 1 << 20

type job struct {
	u bot.Update
	h Handler
}

// userQueue holds the updates of one user waiting behind the one being handled.
type userQueue struct{ pending []job }

// dispatch queues u; updates of one user run one at a time in order, different users in
// parallel, at most MaxWorkers at once. It blocks only when too many updates are queued.
func (a *Adapter) dispatch(ctx context.Context, u bot.Update, h Handler) error {
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	a.usersMu.Lock()
	if q, busy := a.users[u.UserID]; busy {
		q.pending = append(q.pending, job{u, h})
		a.usersMu.Unlock()
		return nil
	}
	q := &userQueue{}
	a.users[u.UserID] = q
	a.wg.Add(1)
	a.usersMu.Unlock()
	go a.run(u.UserID, q, job{u, h})
	return nil
}

func (a *Adapter) run(userID int64, q *userQueue, j job) {
	defer a.wg.Done()
	for {
		a.workers <- struct{}{}
		a.handle(j)
		<-a.workers
		<-a.slots
		a.usersMu.Lock()
		if len(q.pending) == 0 {
			delete(a.users, userID)
			a.usersMu.Unlock()
			return
		}
		j, q.pending = q.pending[0], q.pending[1:]
		a.usersMu.Unlock()
	}
}

// handle runs one handler with its own deadline; a panic is logged, not fatal.
func (a *Adapter) handle(j job) {
	ctx, cancel := context.WithTimeout(context.Background(), a.opts.HandleTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("update handler panicked", "update_id", j.u.ID, "user_id", j.u.UserID,
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	j.h.Handle(ctx, j.u)
}

// Wait blocks until every queued and running handler has finished.
func (a *Adapter) Wait() { a.wg.Wait() }

// waitBounded waits for handlers at most d.
func (a *Adapter) waitBounded(d time.Duration) bool {
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// accept counts and dispatches one update; ignored kinds are dropped (a stray callback is
// answered so that the user's client stops its spinner).
func (a *Adapter) accept(ctx context.Context, up *gotgbot.Update, h Handler) error {
	u, kind, ok := a.convert(up)
	if !ok {
		a.metrics.UpdateReceived("other")
		if up.CallbackQuery != nil {
			id := up.CallbackQuery.Id
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
				defer cancel()
				_ = a.Chat().AnswerCallback(ctx, id, "")
			}()
		}
		return nil
	}
	a.metrics.UpdateReceived(kind)
	acknowledge(ctx, &u, h)
	return a.dispatch(ctx, u, h)
}

// WebhookHandler serves Telegram's webhook deliveries: 401 without the right secret, 400 on
// a malformed body, else 200 at once while the update is handled by the worker pool.
func (a *Adapter) WebhookHandler(secret string, h Handler) http.Handler {
	valid := ValidWebhookSecret(secret)
	want := sha256.Sum256([]byte(secret))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		// Hashing first makes the comparison constant-time in the length as well.
		got := sha256.Sum256([]byte(r.Header.Get("X-Telegram-Bot-Api-Secret-Token")))
		if !valid || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var up gotgbot.Update
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxWebhookBody)).Decode(&up); err != nil {
			http.Error(w, "bad update", http.StatusBadRequest)
			return
		}
		if err := a.accept(r.Context(), &up, h); err != nil {
			// Telegram redelivers on a non-2xx reply: this is back-pressure, nothing is lost.
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// Poll receives updates by long polling until ctx is done, then waits (bounded) for running
// handlers and returns nil. It deletes any webhook first.
func (a *Adapter) Poll(ctx context.Context, h Handler) error {
	if h == nil {
		return errors.New("telegram: Poll needs a handler")
	}
	backoff := a.backoffMin
	for {
		_, err := a.call(ctx, "deleteWebhook", map[string]any{}, 0)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		a.log.Warn("telegram deleteWebhook failed, retrying", "err", err, "retry_in", backoff)
		if sleepCtx(ctx, backoff) != nil {
			return nil
		}
		backoff = min(2*backoff, a.backoffMax)
	}
	a.log.Info("telegram long polling started")

	var offset int64
	backoff = a.backoffMin
poll:
	for ctx.Err() == nil {
		params := map[string]any{
			"timeout":         int64(a.opts.PollTimeout / time.Second),
			"allowed_updates": allowedUpdates,
		}
		if offset > 0 {
			params["offset"] = offset
		}
		raw, err := a.call(ctx, "getUpdates", params, a.opts.PollTimeout+pollHTTPMargin)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			wait := backoff
			backoff = min(2*backoff, a.backoffMax)
			var ae *APIError
			switch {
			case errors.As(err, &ae) && ae.Code == http.StatusConflict:
				a.log.Error("telegram getUpdates conflict: another instance is polling with this token, or a webhook is set; retrying",
					"retry_in", wait)
			case errors.As(err, &ae) && ae.Code == http.StatusTooManyRequests:
				wait = max(wait, ae.RetryAfter)
				a.metrics.RateLimited("getUpdates", wait)
				a.log.Warn("telegram getUpdates rate limited", "retry_in", wait)
			case errors.As(err, &ae) && (ae.Code == http.StatusUnauthorized || ae.Code == http.StatusNotFound):
				a.log.Error("telegram rejected the bot token (check TELEGRAM_BOT_TOKEN); retrying", "err", err, "retry_in", wait)
			default:
				a.log.Warn("telegram getUpdates failed, retrying", "err", err, "retry_in", wait)
			}
			if sleepCtx(ctx, wait) != nil {
				break
			}
			continue
		}
		backoff = a.backoffMin
		var batch []json.RawMessage
		if err := json.Unmarshal(raw, &batch); err != nil {
			a.log.Error("telegram getUpdates: undecodable reply", "err", err)
			continue
		}
		for _, r := range batch {
			var up gotgbot.Update
			if err := json.Unmarshal(r, &up); err != nil {
				// Skip it, or it would come back forever.
				var id struct {
					UpdateID int64 `json:"update_id"`
				}
				_ = json.Unmarshal(r, &id)
				a.log.Error("telegram: skipping undecodable update", "update_id", id.UpdateID, "err", err)
				offset = max(offset, id.UpdateID+1)
				continue
			}
			if err := a.accept(ctx, &up, h); err != nil {
				break poll // not confirmed: Telegram will deliver it again
			}
			offset = max(offset, up.UpdateId+1)
		}
	}

	// Confirm what was accepted, so that the next start does not handle it again.
	if offset > 0 {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_, err := a.call(cctx, "getUpdates", map[string]any{"offset": offset, "timeout": 0, "limit": 1}, 5*time.Second)
		cancel()
		if err != nil {
			a.log.Warn("telegram: confirming the last updates failed; some may be delivered again", "err", err)
		}
	}
	if !a.waitBounded(a.opts.HandleTimeout) {
		a.log.Warn("telegram: handlers still running at shutdown")
	}
	a.log.Info("telegram long polling stopped")
	return nil
}
