package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// While updates wait in the queue, getUpdates (whose offset must stay below them) returns them
// again at once; the poller then waits this long, or until the oldest of them starts, before
// asking again, rather than spinning.
const pollStallWait = 250 * time.Millisecond

// getUpdates returns at most 100 updates from the offset. The offset lags the newest update
// taken by at most this many, so that every batch has room for new ones: an update waiting
// behind more than maxConfirmLag newer ones is confirmed before it starts (and lost if the
// process then stops before starting it, which the drain logs).
const maxConfirmLag = 50

// Poll receives updates by long polling until ctx is done, then drains (see Drain) and returns
// nil. It deletes any webhook first.
//
// getUpdates' offset confirms every update below it, for good. Poll confirms updates once they
// were started, dropped or skipped, not before: the offset stays at the oldest update still
// waiting in the queue (up to maxConfirmLag behind the newest), so an update not handled when
// the process stops is fetched again on the next start. Updates above it that were handled
// are fetched again too, and skipped as duplicates (Seen).
func (a *Adapter) Poll(ctx context.Context, h Handler) error {
	if h == nil {
		return errors.New("telegram: Poll needs a handler")
	}
	if !a.deleteWebhook(ctx) {
		a.Drain()
		return nil
	}
	a.log.Info("telegram long polling started")

	var next int64      // one past the newest update taken
	var confirmed int64 // the highest offset Telegram accepted: it holds nothing below it
	offsetFor := func() int64 { return max(a.queue.lowWater(next), next-maxConfirmLag) }
	backoff := a.backoffMin
	stalled := false
poll:
	for ctx.Err() == nil {
		offset := offsetFor()
		if stalled && offset < next {
			if a.waitLowWater(ctx, offset, offsetFor) != nil {
				break
			}
			offset = offsetFor()
		}
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
		confirmed = max(confirmed, offset)
		var batch []json.RawMessage
		if err := json.Unmarshal(raw, &batch); err != nil {
			a.log.Error("telegram getUpdates: undecodable reply", "err", err)
			continue
		}
		stalled = true
		for _, r := range batch {
			var head struct {
				UpdateID int64 `json:"update_id"`
			}
			_ = json.Unmarshal(r, &head)
			if head.UpdateID < next {
				continue // taken already: it waits in the queue, or was handled
			}
			stalled = false
			if err := a.accept(ctx, r, h); err != nil {
				break poll // not taken: the next start fetches it again
			}
			next = head.UpdateID + 1
		}
	}

	a.Drain()
	// Confirm what was handled, and nothing that was not.
	if offset := a.queue.lowWater(next); offset > 0 {
		if lost := a.queue.waitingBelow(confirmed); lost > 0 {
			a.log.Warn("telegram: updates confirmed while waiting were not handled and will not come back", "count", lost)
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_, err := a.call(cctx, "getUpdates", map[string]any{"offset": offset, "timeout": 0, "limit": 1}, 5*time.Second)
		cancel()
		if err != nil {
			a.log.Warn("telegram: confirming the handled updates failed; they will be delivered again and skipped", "err", err)
		}
	}
	a.log.Info("telegram long polling stopped")
	return nil
}

// deleteWebhook removes any webhook (polling and a webhook exclude each other), retrying
// until it succeeds or ctx ends (false).
func (a *Adapter) deleteWebhook(ctx context.Context) bool {
	backoff := a.backoffMin
	for {
		_, err := a.call(ctx, "deleteWebhook", map[string]any{}, 0)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		a.log.Warn("telegram deleteWebhook failed, retrying", "err", err, "retry_in", backoff)
		if sleepCtx(ctx, backoff) != nil {
			return false
		}
		backoff = min(2*backoff, a.backoffMax)
	}
}

// waitLowWater waits until the offset moves from offset (the oldest waiting update started),
// at most pollStallWait, or until ctx ends.
func (a *Adapter) waitLowWater(ctx context.Context, offset int64, offsetFor func() int64) error {
	t := time.NewTimer(pollStallWait)
	defer t.Stop()
	for {
		freed := a.queue.started()
		if offsetFor() != offset {
			return nil
		}
		select {
		case <-freed:
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
