package plumedata

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// state is the number of entries held and their weight (tests only).
func (c *cache) state() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sum int64
	for _, e := range c.entries {
		sum += e.size
	}
	if sum != c.bytes {
		panic(fmt.Sprintf("cache weight %d, entries weigh %d", c.bytes, sum))
	}
	return len(c.entries), c.bytes
}

// sized is a fetch of a value whose body was size bytes long.
func sized(v any, size int64) fetchFunc {
	return func(context.Context) (any, time.Time, int64, error) { return v, time.Time{}, size, nil }
}

func TestCacheErrorsNotCachedAndExpiry(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	c := newCache(clock.Now, 1<<20)
	ctx := context.Background()
	calls := 0
	fail := func(context.Context) (any, time.Time, int64, error) {
		calls++
		return nil, time.Time{}, 0, errors.New("x")
	}
	for range 2 {
		if _, _, _, err := c.get(ctx, "err", time.Minute, false, fail); err == nil {
			t.Fatal("no error")
		}
	}
	if calls != 2 {
		t.Errorf("error cached: %d calls", calls)
	}
	if _, _, _, err := c.get(ctx, "k", time.Minute, false, sized(24, 100)); err != nil {
		t.Fatal(err)
	}
	v, _, hit, _ := c.get(ctx, "k", time.Minute, false, fail)
	if !hit || v != 24 {
		t.Errorf("cached entry: %v %v", v, hit)
	}
	clock.Advance(time.Minute)
	if _, _, hit, _ := c.get(ctx, "k", time.Minute, false, sized(1, 100)); hit {
		t.Error("expired entry served")
	}
}

// TestCacheBoundedByBytes: however many large answers arrive, the cache's weight stays within
// its budget, the newest answer is kept, and an answer too large for it is served uncached.
func TestCacheBoundedByBytes(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	const budget = 2 << 20
	c := newCache(clock.Now, budget)
	ctx := context.Background()
	const devices = 243 << 10 // one large location's device list
	for i := range 100 {
		if _, _, _, err := c.get(ctx, fmt.Sprint(i), time.Minute, false, sized(i, devices)); err != nil {
			t.Fatal(err)
		}
		if n, w := c.state(); w > budget {
			t.Fatalf("after %d puts: %d entries weigh %d bytes, budget %d", i+1, n, w, budget)
		}
	}
	if v, _, hit, _ := c.get(ctx, "99", time.Minute, false, sized(-1, 0)); !hit || v != 99 {
		t.Errorf("newest entry evicted: %v %v", v, hit)
	}
	if n, _ := c.state(); n < 5 {
		t.Errorf("only %d entries of %d bytes kept in %d bytes", n, devices, budget)
	}
	// Too big for the budget: served, not kept (it would evict most of the others).
	v, _, _, err := c.get(ctx, "huge", time.Minute, false, sized("huge", budget/2))
	if err != nil || v != "huge" {
		t.Fatalf("oversized answer = %v, %v", v, err)
	}
	if _, _, hit, _ := c.get(ctx, "huge", time.Minute, false, sized("again", 1)); hit {
		t.Error("an answer over a quarter of the budget was cached")
	}
}

// TestCacheDropsExpired: expired entries leave the cache without waiting for it to fill.
func TestCacheDropsExpired(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	c := newCache(clock.Now, 64<<20)
	ctx := context.Background()
	for i := range 50 {
		if _, _, _, err := c.get(ctx, fmt.Sprint(i), 30*time.Second, false, sized(i, 1000)); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(sweepEvery)
	if _, _, _, err := c.get(ctx, "new", time.Minute, false, sized("new", 1000)); err != nil {
		t.Fatal(err)
	}
	if n, w := c.state(); n != 1 || w != 1000+entryOverhead {
		t.Errorf("after the sweep: %d entries weigh %d bytes, want only the new one", n, w)
	}
}

// TestCacheWeighsTheBody: through the Source, an entry weighs the body Plume sent, so the
// hotel's 320 devices count for what they are, and a Source's budget holds.
func TestCacheWeighsTheBody(t *testing.T) {
	f := setup(t)
	src := f.source(func(c *Config) { c.CacheBytes = 1 << 20 })
	s := f.session(src)
	huge := f.info.Locations["huge"]
	if _, err := s.Devices(f.ctx, huge.CustomerID, huge.LocationID, false); err != nil {
		t.Fatal(err)
	}
	n, w := src.cache.state()
	if n != 1 || w < 64<<10 || w > 1<<20 {
		t.Fatalf("after the hotel's device list: %d entries weigh %d bytes, want one of its body's length (tens of KiB)", n, w)
	}
	for _, l := range f.info.Locations {
		if _, err := s.Snapshot(f.ctx, l.CustomerID, l.LocationID, AllParts, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, w := src.cache.state(); w > 1<<20 {
		t.Errorf("the cache weighs %d bytes, budget %d", w, 1<<20)
	}
}
