package telegram

import (
	"context"
	"sync"
	"time"
)

// Pacing holds the sender exactly to Telegram's limits (Bot FAQ, "My bot is hitting limits"):
// at most 30 messages in any one second overall, in one chat a burst of 3 then one per second,
// and at most 20 in any minute in one group. The windows are sliding windows, not token
// buckets: a bucket of 30 at 30/s lets 60 through in the first second, and a smaller bucket
// (the old burst of 10) makes the 11th of 50 simultaneous answers wait for no reason.
//
// The sender cannot see when Telegram counts a message, only that it happens between the
// request and its reply. So a message holds its place in a window from its request until one
// window length after its reply: whatever the network's jitter, Telegram never sees more than
// the limit in any window, and the price is one round trip per window, no more.

// window admits at most n sends in any span of per. Waiters are served in arrival order.
// A nil window admits everything.
type window struct {
	n    int
	per  time.Duration
	turn chan struct{} // held by the waiter at the head; the others queue on it, first come first served

	mu        sync.Mutex
	busy      int           // sends issued and not answered yet
	ends      []time.Time   // answer times of the sends that are still within per, oldest first
	answered  chan struct{} // closed and replaced when a send is answered
	slowUntil time.Time     // until then the window admits half as many (after a 429)
}

// newWindow returns a window of n sends per span, or nil (no limit) for n <= 0.
func newWindow(n int, per time.Duration) *window {
	if n <= 0 {
		return nil
	}
	return &window{n: n, per: per, turn: make(chan struct{}, 1), answered: make(chan struct{})}
}

// acquire waits for room for one send and returns the function to call once it is answered
// (or failed).
func (w *window) acquire(ctx context.Context) (answered func(), err error) {
	if w == nil {
		return func() {}, nil
	}
	select {
	case w.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-w.turn }()
	for {
		w.mu.Lock()
		now := time.Now()
		for len(w.ends) > 0 && !now.Before(w.ends[0].Add(w.per)) {
			w.ends = w.ends[1:]
		}
		limit := w.n
		if now.Before(w.slowUntil) {
			limit = max(1, w.n/2)
		}
		used := w.busy + len(w.ends)
		if used < limit {
			w.busy++
			w.mu.Unlock()
			var once sync.Once
			return func() { once.Do(w.answer) }, nil
		}
		// Room comes when enough answered sends leave the window, when the slow-down ends,
		// or, if not enough were answered yet, when one is.
		var wake time.Time
		if i := used - limit; i < len(w.ends) {
			wake = w.ends[i].Add(w.per)
		}
		if now.Before(w.slowUntil) && (wake.IsZero() || w.slowUntil.Before(wake)) {
			wake = w.slowUntil
		}
		answered := w.answered
		w.mu.Unlock()
		if err := waitWake(ctx, wake.Sub(now), !wake.IsZero(), answered); err != nil {
			return nil, err
		}
	}
}

// waitWake waits for d (if timed), for answered, or for ctx.
func waitWake(ctx context.Context, d time.Duration, timed bool, answered <-chan struct{}) error {
	var timer <-chan time.Time
	if timed {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
	case <-answered:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

func (w *window) answer() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.busy--
	w.ends = append(w.ends, time.Now())
	close(w.answered)
	w.answered = make(chan struct{})
}

// slowDown halves the window until until: Telegram answered 429, so its real limit for this
// bot is lower than the documented one (another process using the token, or a stricter rule).
func (w *window) slowDown(until time.Time) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if until.After(w.slowUntil) {
		w.slowUntil = until
	}
}

// burst paces one chat: burst sends at once, then one per interval. It is the token bucket
// written as GCRA (tat: the theoretical time of the next send), measured from answers as the
// windows are. Only the holder of the chat's lock uses it. interval <= 0 admits everything.
type burst struct {
	n        int
	interval time.Duration
	tat      time.Time
}

// wait waits until the chat may send.
func (b *burst) wait(ctx context.Context) error {
	if b.interval <= 0 {
		return nil
	}
	return sleepCtx(ctx, time.Until(b.tat.Add(-time.Duration(b.n-1)*b.interval)))
}

// sent records a send answered now.
func (b *burst) sent() {
	if b.interval <= 0 {
		return
	}
	b.tat = later(b.tat, time.Now()).Add(b.interval)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// sleepCtx waits d (nothing if d <= 0) or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
