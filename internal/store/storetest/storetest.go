// Package storetest is the conformance suite every store.Backend must pass: values, expiry,
// take-once, key listing, locks (exclusion, expiry, cancellation), leases and concurrent use.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"plumebot/internal/store"
)

// Factory returns a fresh, empty backend for one subtest. Run closes it when the subtest
// ends; the factory may register cleanups for state outside the process (Redis keys).
type Factory func(t *testing.T) store.Backend

// waitLimit bounds every wait in the suite: generous, so a loaded machine does not flake.
const waitLimit = 10 * time.Second

// Run runs the conformance suite against backends made by newBackend.
func Run(t *testing.T, newBackend Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b store.Backend)
	}{
		{"GetPutDelete", testGetPutDelete},
		{"Overwrite", testOverwrite},
		{"Values", testValues},
		{"Copies", testCopies},
		{"Expiry", testExpiry},
		{"OverwriteClearsExpiry", testOverwriteClearsExpiry},
		{"NegativeTTL", testNegativeTTL},
		{"CompareAndSwap", testCompareAndSwap},
		{"CompareAndSwapKeepsExpiry", testCompareAndSwapKeepsExpiry},
		{"CompareAndSwapRace", testCompareAndSwapRace},
		{"LockExclusion", testLockExclusion},
		{"LockContention", testLockContention},
		{"LockExpiry", testLockExpiry},
		{"LockCancel", testLockCancel},
		{"LockIndependentKeys", testLockIndependentKeys},
		{"Concurrent", testConcurrent},
		{"Take", testTake},
		{"TakeOnce", testTakeOnce},
		{"Keys", testKeys},
		{"KeysExpiry", testKeysExpiry},
		{"Lease", testLease},
		{"LeaseExpiry", testLeaseExpiry},
		{"LeaseContention", testLeaseContention},
		{"LeaseArgs", testLeaseArgs},
		{"Ping", testPing},
		{"UnavailableWhenClosed", testUnavailableWhenClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBackend(t)
			t.Cleanup(func() {
				if err := b.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, b)
		})
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

func mustPut(t *testing.T, b store.Backend, key string, val []byte, ttl time.Duration) {
	t.Helper()
	if err := b.Put(ctxT(t), key, val, ttl); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func mustGet(t *testing.T, b store.Backend, key string, want []byte) {
	t.Helper()
	got, err := b.Get(ctxT(t), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %d bytes %.40q, want %d bytes %.40q", key, len(got), got, len(want), want)
	}
}

func mustMiss(t *testing.T, b store.Backend, key string) {
	t.Helper()
	got, err := b.Get(ctxT(t), key)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%q) = %q, %v; want ErrNotFound", key, got, err)
	}
}

func testGetPutDelete(t *testing.T, b store.Backend) {
	ctx := ctxT(t)
	mustMiss(t, b, "absent")
	mustPut(t, b, "k", []byte("v1"), 0)
	mustGet(t, b, "k", []byte("v1"))
	mustMiss(t, b, "k2") // a neighbour key is not affected
	if err := b.Delete(ctx, "k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	mustMiss(t, b, "k")
	if err := b.Delete(ctx, "k"); err != nil {
		t.Fatalf("Delete of an absent key: %v", err)
	}
}

func testOverwrite(t *testing.T, b store.Backend) {
	mustPut(t, b, "k", []byte("first value, longer"), 0)
	mustPut(t, b, "k", []byte("second"), 0)
	mustGet(t, b, "k", []byte("second"))
}

func testValues(t *testing.T, b store.Backend) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	large := make([]byte, 1<<20)
	for i := range large {
		large[i] = byte(rand.Uint32())
	}
	tests := []struct {
		name, key string
		val       []byte
	}{
		{"every byte", "bin", all},
		{"empty", "empty", []byte{}},
		{"1 MiB", "large", large},
		{"odd key", "user:42:a|b/c d\x00é✓", []byte("odd")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mustPut(t, b, tc.key, tc.val, 0)
			mustGet(t, b, tc.key, tc.val)
		})
	}
}

// testCopies: neither the caller's slice nor the returned one aliases stored data.
func testCopies(t *testing.T, b store.Backend) {
	in := []byte("original")
	mustPut(t, b, "k", in, 0)
	in[0] = 'X'
	mustGet(t, b, "k", []byte("original"))
	got, err := b.Get(ctxT(t), "k")
	if err != nil {
		t.Fatal(err)
	}
	got[0] = 'Y'
	mustGet(t, b, "k", []byte("original"))
}

// waitGone polls until key is absent; it never asserts how long that took.
func waitGone(t *testing.T, b store.Backend, key string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		_, err := b.Get(ctxT(t), key)
		if errors.Is(err, store.ErrNotFound) {
			return
		}
		if err != nil {
			t.Fatalf("Get(%q): %v", key, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q did not expire within %v", key, waitLimit)
		}
		time.Sleep(10 * time.Millisecond) // poll interval, not a timing assumption
	}
}

func testExpiry(t *testing.T, b store.Backend) {
	mustPut(t, b, "long", []byte("stays"), time.Hour)
	mustPut(t, b, "short", []byte("goes"), 100*time.Millisecond)
	mustPut(t, b, "forever", []byte("stays"), 0)
	waitGone(t, b, "short")
	mustGet(t, b, "long", []byte("stays"))
	mustGet(t, b, "forever", []byte("stays"))
	// An expired key can be written again.
	mustPut(t, b, "short", []byte("again"), time.Hour)
	mustGet(t, b, "short", []byte("again"))
}

// testOverwriteClearsExpiry: a Put with ttl 0 replaces an earlier expiry. A control key with
// the same short TTL marks when the first expiry would have struck.
func testOverwriteClearsExpiry(t *testing.T, b store.Backend) {
	mustPut(t, b, "k", []byte("v1"), 100*time.Millisecond)
	mustPut(t, b, "control", []byte("c"), 100*time.Millisecond)
	mustPut(t, b, "k", []byte("v2"), 0)
	waitGone(t, b, "control")
	mustGet(t, b, "k", []byte("v2"))
}

func testNegativeTTL(t *testing.T, b store.Backend) {
	if err := b.Put(ctxT(t), "k", []byte("v"), -time.Second); err == nil {
		t.Fatal("Put with a negative ttl succeeded")
	}
	if _, err := b.Lock(ctxT(t), "k", 0); err == nil {
		t.Fatal("Lock with ttl 0 succeeded")
	}
}

func mustLock(t *testing.T, b store.Backend, key string, ttl time.Duration) func() {
	t.Helper()
	unlock, err := b.Lock(ctxT(t), key, ttl)
	if err != nil {
		t.Fatalf("Lock(%q): %v", key, err)
	}
	return unlock
}

// lockFails asserts that key stays locked for a short wait: the wait ends by ctx deadline.
func lockFails(t *testing.T, b store.Backend, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	unlock, err := b.Lock(ctx, key, time.Minute)
	if err == nil {
		unlock()
		t.Fatalf("Lock(%q) succeeded while another holder had it", key)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock(%q) while held: %v, want context.DeadlineExceeded", key, err)
	}
}

func testLockExclusion(t *testing.T, b store.Backend) {
	unlockA := mustLock(t, b, "L", time.Minute)
	var released atomic.Bool
	got := make(chan error, 1)
	go func() {
		unlockB, err := b.Lock(ctxT(t), "L", time.Minute)
		if err != nil {
			got <- err
			return
		}
		defer unlockB()
		if !released.Load() {
			got <- errors.New("second holder got the lock before the first released it")
			return
		}
		got <- nil
	}()
	lockFails(t, b, "L") // a third contender also waits while A holds it
	released.Store(true)
	unlockA()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitLimit):
		t.Fatal("the waiting holder never got the lock after unlock")
	}
	unlockA() // idempotent; must not release anything now
	unlockC := mustLock(t, b, "L", time.Minute)
	unlockA()
	lockFails(t, b, "L")
	unlockC()
}

// testLockContention: many goroutines, each section must run alone.
func testLockContention(t *testing.T, b store.Backend) {
	const workers, rounds = 6, 8
	var inside, total atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				unlock, err := b.Lock(ctxT(t), "C", time.Minute)
				if err != nil {
					errs <- err
					return
				}
				if n := inside.Add(1); n != 1 {
					errs <- fmt.Errorf("%d holders inside the lock at once", n)
				}
				total.Add(1)
				inside.Add(-1)
				unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := total.Load(); got != workers*rounds {
		t.Errorf("%d sections ran, want %d", got, workers*rounds)
	}
}

func testLockExpiry(t *testing.T, b store.Backend) {
	staleUnlock := mustLock(t, b, "E", 100*time.Millisecond) // a "crashed" holder
	unlockNew := mustLock(t, b, "E", time.Minute)            // waits for the expiry
	staleUnlock()                                            // must not release the new holder's lock
	lockFails(t, b, "E")
	unlockNew()
	mustLock(t, b, "E", time.Minute)()
}

func testLockCancel(t *testing.T, b store.Backend) {
	unlock := mustLock(t, b, "X", time.Minute)
	defer unlock()
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan error, 1)
	go func() {
		u, err := b.Lock(ctx, "X", time.Minute)
		if err == nil {
			u()
		}
		got <- err
	}()
	cancel()
	select {
	case err := <-got:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Lock after cancel: %v, want context.Canceled", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Lock kept waiting after its context was cancelled")
	}
	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	if u, err := b.Lock(done, "free", time.Minute); err == nil {
		u()
		t.Fatal("Lock with an already cancelled context succeeded")
	}
}

func testLockIndependentKeys(t *testing.T, b store.Backend) {
	unlock := mustLock(t, b, "A", time.Minute)
	defer unlock()
	mustLock(t, b, "B", time.Minute)() // another key is free
	// Locks do not touch data with the same name.
	mustMiss(t, b, "A")
	mustPut(t, b, "A", []byte("data"), 0)
	mustGet(t, b, "A", []byte("data"))
	if err := b.Delete(ctxT(t), "A"); err != nil {
		t.Fatal(err)
	}
	lockFails(t, b, "A")
}

func testConcurrent(t *testing.T, b store.Backend) {
	const workers, ops = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := ctxT(t)
			own := fmt.Sprintf("own-%d", w)
			for i := range ops {
				val := fmt.Appendf(nil, "%d-%d", w, i)
				if err := b.Put(ctx, own, val, time.Hour); err != nil {
					errs <- err
					return
				}
				got, err := b.Get(ctx, own)
				if err != nil || !bytes.Equal(got, val) {
					errs <- fmt.Errorf("worker %d: Get(own) = %q, %v; want %q", w, got, err, val)
					return
				}
				// A shared key: any writer's value, or absent after a delete.
				if err := b.Put(ctx, "shared", val, 0); err != nil {
					errs <- err
					return
				}
				if _, err := b.Get(ctx, "shared"); err != nil && !errors.Is(err, store.ErrNotFound) {
					errs <- err
					return
				}
				if i%5 == 0 {
					if err := b.Delete(ctx, "shared"); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testPing(t *testing.T, b store.Backend) {
	if err := b.Ping(ctxT(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testTake(t *testing.T, b store.Backend) {
	ctx := ctxT(t)
	mustPut(t, b, "k", []byte("once"), time.Hour)
	got, err := b.Take(ctx, "k")
	if err != nil || string(got) != "once" {
		t.Fatalf("Take = %q, %v; want \"once\"", got, err)
	}
	mustMiss(t, b, "k")
	if got, err := b.Take(ctx, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second Take = %q, %v; want ErrNotFound", got, err)
	}
	if got, err := b.Take(ctx, "absent"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Take(absent) = %q, %v; want ErrNotFound", got, err)
	}
	mustPut(t, b, "empty", []byte{}, 0)
	if got, err := b.Take(ctx, "empty"); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("Take(empty value) = %#v, %v; want an empty, non-nil value", got, err)
	}
	// An expired value cannot be taken: the control key, written after it with the same
	// TTL, marks when it has expired.
	mustPut(t, b, "short", []byte("gone"), 100*time.Millisecond)
	mustPut(t, b, "control", []byte("c"), 100*time.Millisecond)
	waitGone(t, b, "control")
	if got, err := b.Take(ctx, "short"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Take(expired) = %q, %v; want ErrNotFound", got, err)
	}
}

// testTakeOnce: of many concurrent Takes of one key exactly one gets the value.
func testTakeOnce(t *testing.T, b store.Backend) {
	const keys, takers = 5, 8
	for k := range keys {
		key := fmt.Sprintf("token-%d", k)
		mustPut(t, b, key, []byte(key), time.Hour)
		var wins atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, takers)
		for range takers {
			wg.Go(func() {
				got, err := b.Take(ctxT(t), key)
				switch {
				case err == nil && string(got) == key:
					wins.Add(1)
				case errors.Is(err, store.ErrNotFound):
				default:
					errs <- fmt.Errorf("Take(%s) = %q, %v", key, got, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n := wins.Load(); n != 1 {
			t.Fatalf("%d of %d concurrent Takes of %s got the value, want exactly 1", n, takers, key)
		}
	}
}

func mustKeys(t *testing.T, b store.Backend, prefix string, want ...string) {
	t.Helper()
	got, err := b.Keys(ctxT(t), prefix)
	if err != nil {
		t.Fatalf("Keys(%q): %v", prefix, err)
	}
	if want == nil {
		want = []string{}
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Fatalf("Keys(%q) = %q, want %q", prefix, got, want)
	}
}

func testKeys(t *testing.T, b store.Backend) {
	for _, k := range []string{"w:1:b", "w:1:a", "w:10:a", "w:2:a", "x", `g*[x]?\`, "g*other", "gx"} {
		mustPut(t, b, k, []byte("v"), 0)
	}
	mustKeys(t, b, "w:1:", "w:1:a", "w:1:b")
	mustKeys(t, b, "w:", "w:10:a", "w:1:a", "w:1:b", "w:2:a") // bytewise: "0" < ":"
	mustKeys(t, b, "w:3:")
	// Glob characters in a prefix are literal.
	mustKeys(t, b, "g*[", `g*[x]?\`)
	mustKeys(t, b, "g*", `g*[x]?\`, "g*other")
	mustKeys(t, b, "g?")
	// Locks and leases are not data keys, even under the same names.
	unlock := mustLock(t, b, "w:1:c", time.Minute)
	defer unlock()
	if ok, err := b.AcquireLease(ctxT(t), "w:1:d", "A", time.Minute); !ok || err != nil {
		t.Fatalf("AcquireLease = %v, %v", ok, err)
	}
	mustKeys(t, b, "w:1:", "w:1:a", "w:1:b")
	mustKeys(t, b, "", `g*[x]?\`, "g*other", "gx", "w:10:a", "w:1:a", "w:1:b", "w:2:a", "x")
	if err := b.Delete(ctxT(t), "w:1:a"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Take(ctxT(t), "w:1:b"); err != nil {
		t.Fatal(err)
	}
	mustKeys(t, b, "w:1:")
}

func testKeysExpiry(t *testing.T, b store.Backend) {
	mustPut(t, b, "e:short", []byte("v"), 100*time.Millisecond)
	mustPut(t, b, "e:long", []byte("v"), time.Hour)
	mustPut(t, b, "control", []byte("c"), 100*time.Millisecond)
	waitGone(t, b, "control")
	mustKeys(t, b, "e:", "e:long")
}

func mustAcquire(t *testing.T, b store.Backend, key, holder string, ttl time.Duration, want bool) {
	t.Helper()
	ok, err := b.AcquireLease(ctxT(t), key, holder, ttl)
	if err != nil {
		t.Fatalf("AcquireLease(%s, %s): %v", key, holder, err)
	}
	if ok != want {
		t.Fatalf("AcquireLease(%s, %s) = %v, want %v", key, holder, ok, want)
	}
}

func mustLoseRenew(t *testing.T, b store.Backend, key, holder string) {
	t.Helper()
	if err := b.RenewLease(ctxT(t), key, holder, time.Minute); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("RenewLease(%s, %s) = %v, want ErrLeaseLost", key, holder, err)
	}
}

func testLease(t *testing.T, b store.Backend) {
	ctx := ctxT(t)
	mustAcquire(t, b, "L", "A", time.Minute, true)
	mustAcquire(t, b, "L", "B", time.Minute, false)
	mustAcquire(t, b, "L", "A", time.Minute, true) // the holder again: renewed, not refused
	if err := b.RenewLease(ctx, "L", "A", time.Minute); err != nil {
		t.Fatalf("RenewLease by the holder: %v", err)
	}
	mustLoseRenew(t, b, "L", "B")
	if err := b.ReleaseLease(ctx, "L", "B"); err != nil { // not the holder: nothing happens
		t.Fatalf("ReleaseLease by another: %v", err)
	}
	mustAcquire(t, b, "L", "B", time.Minute, false)
	// Another key, a data key and a lock of the same name are independent of the lease.
	mustAcquire(t, b, "L2", "B", time.Minute, true)
	mustMiss(t, b, "L")
	mustLock(t, b, "L", time.Minute)()
	if err := b.ReleaseLease(ctx, "L", "A"); err != nil {
		t.Fatalf("ReleaseLease by the holder: %v", err)
	}
	mustLoseRenew(t, b, "L", "A")
	mustAcquire(t, b, "L", "B", time.Minute, true)
	if err := b.ReleaseLease(ctx, "L", "A"); err != nil { // a late release by the old holder
		t.Fatal(err)
	}
	mustAcquire(t, b, "L", "A", time.Minute, false)
	if err := b.RenewLease(ctx, "L", "B", time.Minute); err != nil {
		t.Fatalf("RenewLease by the new holder: %v", err)
	}
}

// testLeaseExpiry: an unrenewed lease expires; its old holder cannot renew it, even before
// another takes it, and another takes it without anyone releasing it (a crashed holder).
func testLeaseExpiry(t *testing.T, b store.Backend) {
	mustAcquire(t, b, "E", "A", 100*time.Millisecond, true)
	mustPut(t, b, "control", []byte("c"), 100*time.Millisecond)
	waitGone(t, b, "control")
	mustLoseRenew(t, b, "E", "A")
	mustAcquire(t, b, "E", "B", time.Minute, true)
	mustLoseRenew(t, b, "E", "A")
	mustAcquire(t, b, "E", "A", time.Minute, false)

	// Renewal keeps a short lease alive past its first expiry.
	mustAcquire(t, b, "R", "A", 300*time.Millisecond, true)
	if err := b.RenewLease(ctxT(t), "R", "A", time.Minute); err != nil {
		t.Fatal(err)
	}
	mustPut(t, b, "control2", []byte("c"), 300*time.Millisecond)
	waitGone(t, b, "control2")
	mustAcquire(t, b, "R", "B", time.Minute, false)
}

func testLeaseContention(t *testing.T, b store.Backend) {
	const contenders = 8
	var wins atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, contenders)
	for i := range contenders {
		wg.Go(func() {
			ok, err := b.AcquireLease(ctxT(t), "C", fmt.Sprintf("holder-%d", i), time.Minute)
			if err != nil {
				errs <- err
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := wins.Load(); n != 1 {
		t.Fatalf("%d of %d contenders acquired the lease, want exactly 1", n, contenders)
	}
}

func testLeaseArgs(t *testing.T, b store.Backend) {
	ctx := ctxT(t)
	if _, err := b.AcquireLease(ctx, "A", "", time.Minute); err == nil {
		t.Error("AcquireLease with an empty holder succeeded")
	}
	if _, err := b.AcquireLease(ctx, "A", "h", 0); err == nil {
		t.Error("AcquireLease with ttl 0 succeeded")
	}
	if err := b.RenewLease(ctx, "A", "h", -time.Second); err == nil || errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("RenewLease with a negative ttl = %v, want an argument error", err)
	}
	if err := b.ReleaseLease(ctx, "A", ""); err == nil {
		t.Error("ReleaseLease with an empty holder succeeded")
	}
}
