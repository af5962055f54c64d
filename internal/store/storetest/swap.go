package storetest

// The conformance tests of compare-and-swap and of an unavailable backend (issue 12), beside
// storetest.go's values, expiry, locks, take, keys and leases.

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"plumebot/internal/store"
)

// testUnavailableWhenClosed: a backend that cannot serve says so with ErrUnavailable (the bot
// tells the user "try again in a moment"), never ErrNotFound, which would read as "no record".
func testUnavailableWhenClosed(t *testing.T, b store.Backend) {
	mustPut(t, b, "k", []byte("v"), 0)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := ctxT(t)
	_, getErr := b.Get(ctx, "k")
	for op, err := range map[string]error{
		"Get":    getErr,
		"Put":    b.Put(ctx, "k", []byte("w"), 0),
		"Delete": b.Delete(ctx, "k"),
		"Ping":   b.Ping(ctx),
	} {
		if !errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s after Close: %v, want store.ErrUnavailable", op, err)
		}
	}
}

func mustSwap(t *testing.T, b store.Backend, key string, old, new []byte, want bool) {
	t.Helper()
	got, err := b.CompareAndSwap(ctxT(t), key, old, new)
	if err != nil || got != want {
		t.Fatalf("CompareAndSwap(%q, %q → %q) = %v, %v; want %v", key, old, new, got, err, want)
	}
}

func testCompareAndSwap(t *testing.T, b store.Backend) {
	mustPut(t, b, "k", []byte("v1"), 0)
	mustSwap(t, b, "k", []byte("v1"), []byte("v2"), true)
	mustGet(t, b, "k", []byte("v2"))
	mustSwap(t, b, "k", []byte("v1"), []byte("v3"), false) // someone else wrote v2 meanwhile
	mustGet(t, b, "k", []byte("v2"))
	mustSwap(t, b, "k", []byte("v2"), []byte{}, true)
	mustGet(t, b, "k", []byte{})
	mustSwap(t, b, "absent", []byte{}, []byte("x"), false) // never creates a record
	mustMiss(t, b, "absent")
}

// testCompareAndSwapKeepsExpiry: a swapped record expires when the original would have, and
// one with no expiry gets none.
func testCompareAndSwapKeepsExpiry(t *testing.T, b store.Backend) {
	mustPut(t, b, "e", []byte("v1"), 300*time.Millisecond)
	mustPut(t, b, "forever", []byte("v1"), 0)
	mustSwap(t, b, "e", []byte("v1"), []byte("v2"), true)
	mustSwap(t, b, "forever", []byte("v1"), []byte("v2"), true)
	waitGone(t, b, "e")
	mustSwap(t, b, "e", []byte("v2"), []byte("v3"), false) // expired: absent
	mustGet(t, b, "forever", []byte("v2"))
}

// testCompareAndSwapRace: of many swaps from one value, exactly one wins.
func testCompareAndSwapRace(t *testing.T, b store.Backend) {
	mustPut(t, b, "r", []byte("start"), time.Hour)
	const n = 16
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := b.CompareAndSwap(ctxT(t), "r", []byte("start"), fmt.Appendf(nil, "w%d", i))
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := wins.Load(); got != 1 {
		t.Fatalf("%d of %d concurrent swaps from one value won, want exactly 1", got, n)
	}
}
