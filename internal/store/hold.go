package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"time"
)

// holdPrefix puts HoldLock's leases in a namespace of their own among the backend's leases.
const holdPrefix = "hold/"

// Waiting for a held lock: a waiter in the same process wakes when the holder releases it;
// one in another replica polls, from holdPollMin doubling to holdPollMax.
const (
	holdPollMin = 2 * time.Millisecond
	holdPollMax = 50 * time.Millisecond
	// holdReleaseTimeout bounds the release: the lease's expiry covers one that fails.
	holdReleaseTimeout = 5 * time.Second
)

// HoldLock serialises work on key across goroutines and replicas for as long as the work
// runs: it takes the backend's lease on key (AcquireLease) under a holder ID of its own,
// waiting until the lease is free or ctx ends, and renews it every ttl/3 until release. A
// holder that dies (a killed replica) or cannot reach the backend loses the lock within ttl:
// ttl is how long others wait after such a failure, not a bound on the work, so keep it to
// seconds. release is idempotent: it stops the renewal and frees the lease if this holder
// still has it. Backend errors wrap ErrUnavailable; waiting ends with ctx's error.
//
// Lock is the other lock: it expires after its ttl whatever the work, for short critical
// sections (a record's read-modify-write).
func (s *Store) HoldLock(ctx context.Context, key string, ttl time.Duration) (release func(), err error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("store: hold %q: ttl must be positive", key)
	}
	var id [16]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	holder, name := hex.EncodeToString(id[:]), holdPrefix+key
	wait := holdPollMin
	for {
		released := s.holds.waitFor(name)
		ok, err := s.b.AcquireLease(ctx, name, holder, ttl)
		if err != nil {
			return nil, fmt.Errorf("store: hold %q: %w", key, err)
		}
		if ok {
			return s.keep(key, name, holder, ttl), nil
		}
		t := time.NewTimer(wait/2 + mrand.N(wait/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("store: hold %q: %w", key, ctx.Err())
		case <-released:
		case <-t.C:
		}
		t.Stop()
		wait = min(2*wait, holdPollMax)
	}
}

// keep renews a held lease until the returned release is called.
func (s *Store) keep(key, name, holder string, ttl time.Duration) func() {
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), ttl/3)
			err := s.b.RenewLease(ctx, name, holder, ttl)
			cancel()
			switch {
			case errors.Is(err, ErrLeaseLost):
				// It expired (the backend was out of reach for longer than ttl) and another
				// holder may have it: renewing would not give it back.
				slog.Warn("store: a held lock expired while its work ran", "lock", key)
				return
			case err != nil:
				// The next tick tries again; the lease expires if the backend stays away.
				slog.Debug("store: renewing a held lock failed", "lock", key, "err", err)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			ctx, cancel := context.WithTimeout(context.Background(), holdReleaseTimeout)
			defer cancel()
			if err := s.b.ReleaseLease(ctx, name, holder); err != nil {
				slog.Warn("store: releasing a held lock failed; it expires by itself", "lock", key, "err", err)
			}
			s.holds.wake(name)
		})
	}
}

// holdWaiters wakes this process's waiters for a lock when this process releases it.
type holdWaiters struct {
	mu sync.Mutex
	ch map[string]chan struct{}
}

// waitFor returns a channel closed at the next release of name in this process. It is taken
// before each try, so a release between a failed try and the wait is not missed.
func (w *holdWaiters) waitFor(name string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = map[string]chan struct{}{}
	}
	c, ok := w.ch[name]
	if !ok {
		c = make(chan struct{})
		w.ch[name] = c
	}
	return c
}

func (w *holdWaiters) wake(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.ch[name]; ok {
		close(c)
		delete(w.ch, name)
	}
}
