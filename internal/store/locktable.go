package store

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// lockTable is the in-process Lock of the memory and bolt backends: expiring locks whose
// waiters wake on release or expiry, without polling.
type lockTable struct {
	mu    sync.Mutex
	locks map[string]*heldLock
}

type heldLock struct {
	expires  time.Time
	released chan struct{} // closed when unlocked or taken over after expiry
}

func (lt *lockTable) lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("store: lock %q: ttl must be positive", key)
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("store: lock %q: %w", key, err)
		}
		lt.mu.Lock()
		if lt.locks == nil {
			lt.locks = make(map[string]*heldLock)
		}
		now := time.Now()
		h := lt.locks[key]
		if h == nil || !now.Before(h.expires) {
			if h != nil {
				close(h.released) // expired holder: its unlock becomes a no-op
			}
			nh := &heldLock{expires: now.Add(ttl), released: make(chan struct{})}
			lt.locks[key] = nh
			lt.mu.Unlock()
			var once sync.Once
			return func() { once.Do(func() { lt.unlock(key, nh) }) }, nil
		}
		wait, ch := h.expires.Sub(now), h.released
		lt.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
}

func (lt *lockTable) unlock(key string, h *heldLock) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if lt.locks[key] == h {
		delete(lt.locks, key)
		close(h.released)
	}
}
