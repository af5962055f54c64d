package store_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"plumebot/internal/store"
)

// testBackends are the backends the store's own operations (HoldLock, Rekey) are tested on;
// Redis when PLUMEBOT_TEST_REDIS_URL is set. Two stores on one backend are two replicas.
func testBackends(t *testing.T) map[string]func(t *testing.T) store.Backend {
	m := map[string]func(t *testing.T) store.Backend{
		"memory": func(*testing.T) store.Backend { return store.NewMemory() },
		"bolt": func(t *testing.T) store.Backend {
			b, err := store.OpenBolt(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
	}
	if url := os.Getenv("PLUMEBOT_TEST_REDIS_URL"); url != "" {
		m["redis"] = func(t *testing.T) store.Backend { return openTestRedis(t, url) }
	}
	return m
}

func forEachBackend(t *testing.T, fn func(t *testing.T, a, b *store.Store, raw store.Backend)) {
	for name, open := range testBackends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw := open(t)
			t.Cleanup(func() { raw.Close() })
			ctx := context.Background()
			a, err := store.New(ctx, raw, mustKeyringT(t))
			if err != nil {
				t.Fatal(err)
			}
			b, err := store.New(ctx, raw, mustKeyringT(t))
			if err != nil {
				t.Fatal(err)
			}
			fn(t, a, b, raw)
		})
	}
}

// holdFails asserts that key stays held for a short wait.
func holdFails(t *testing.T, s *store.Store, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	release, err := s.HoldLock(ctx, key, time.Second)
	if err == nil {
		release()
		t.Fatalf("HoldLock(%q) succeeded while another holder had it", key)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("HoldLock(%q) while held: %v, want context.DeadlineExceeded", key, err)
	}
}

func mustHold(t *testing.T, s *store.Store, key string, ttl time.Duration) func() {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	release, err := s.HoldLock(ctx, key, ttl)
	if err != nil {
		t.Fatalf("HoldLock(%q): %v", key, err)
	}
	return release
}

// TestHoldLockOutlivesItsTTL: a live holder keeps the lock for as long as its work runs, far
// past the ttl, and the next one gets it when it is released.
func TestHoldLockOutlivesItsTTL(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a, b *store.Store, _ store.Backend) {
		release := mustHold(t, a, "user:1", 150*time.Millisecond)
		for range 6 { // 600 ms: four times the ttl
			holdFails(t, b, "user:1")
		}
		mustHold(t, b, "user:2", time.Second)() // another key is free
		got := make(chan func(), 1)
		go func() { got <- mustHold(t, b, "user:1", time.Second) }()
		release()
		release() // idempotent
		select {
		case r := <-got:
			r()
		case <-time.After(10 * time.Second):
			t.Fatal("the waiter never got the lock after release")
		}
	})
}

// TestHoldLockDeadHolder: a holder that stops renewing (a killed replica: its lease taken and
// never renewed) loses the lock within the ttl.
func TestHoldLockDeadHolder(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a, _ *store.Store, raw store.Backend) {
		ctx := context.Background()
		if ok, err := raw.AcquireLease(ctx, "hold/user:9", "killed-replica", 300*time.Millisecond); !ok || err != nil {
			t.Fatalf("AcquireLease = %v, %v", ok, err)
		}
		start := time.Now()
		mustHold(t, a, "user:9", time.Second)()
		if waited := time.Since(start); waited > 5*time.Second {
			t.Errorf("waited %v for a dead holder's 300 ms lock", waited)
		}
	})
}

// TestHoldLockContention: many holders on two stores, each section runs alone.
func TestHoldLockContention(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a, b *store.Store, _ store.Backend) {
		const workers, rounds = 6, 8
		var inside, total atomic.Int32
		var wg sync.WaitGroup
		for w := range workers {
			s := a
			if w%2 == 1 {
				s = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range rounds {
					release := mustHold(t, s, "C", time.Second)
					if n := inside.Add(1); n != 1 {
						t.Errorf("%d holders inside the lock at once", n)
					}
					total.Add(1)
					inside.Add(-1)
					release()
				}
			}()
		}
		wg.Wait()
		if got := total.Load(); got != workers*rounds {
			t.Errorf("%d sections ran, want %d", got, workers*rounds)
		}
	})
}

// TestHoldLockErrors: a cancelled wait and a bad ttl are errors (TestRedisGoneAndBack: an
// unreachable Redis is ErrUnavailable).
func TestHoldLockErrors(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, a, b *store.Store, _ store.Backend) {
		release := mustHold(t, a, "X", time.Second)
		ctx, cancel := context.WithCancel(context.Background())
		got := make(chan error, 1)
		go func() {
			r, err := b.HoldLock(ctx, "X", time.Second)
			if err == nil {
				r()
			}
			got <- err
		}()
		cancel()
		if err := <-got; !errors.Is(err, context.Canceled) {
			t.Errorf("HoldLock after cancel: %v, want context.Canceled", err)
		}
		release()
		if _, err := a.HoldLock(context.Background(), "Y", 0); err == nil {
			t.Error("HoldLock with ttl 0 succeeded")
		}
	})
}
