package telegram

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Readiness probes may come from every replica's orchestrator, several per second: the answer
// to "does Telegram answer?" is kept this long, and probes that arrive together share one getMe.
const readyTTL = 5 * time.Second

type readiness struct {
	g   singleflight.Group
	mu  sync.Mutex
	at  time.Time // when err was learnt
	err error
}

// Reachable reports whether the Bot API answers getMe with our token. However many callers
// ask, it calls getMe at most once per readyTTL (a failure is kept as long, so a probe storm
// does not hammer an unreachable API either).
func (a *Adapter) Reachable(ctx context.Context) error {
	r := &a.ready
	r.mu.Lock()
	if !r.at.IsZero() && time.Since(r.at) < readyTTL {
		err := r.err
		r.mu.Unlock()
		return err
	}
	r.mu.Unlock()
	ch := r.g.DoChan("getMe", func() (any, error) {
		// Not the caller's context: one probe giving up must not fail those sharing the call.
		cctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		_, err := a.Me(cctx)
		r.mu.Lock()
		r.at, r.err = time.Now(), err
		r.mu.Unlock()
		return nil, err
	})
	select {
	case res := <-ch:
		return res.Err
	case <-ctx.Done():
		return ctx.Err()
	}
}
