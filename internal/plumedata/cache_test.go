package plumedata

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// len is the number of entries held (tests only).
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func TestCacheBoundedAndErrorsNotCached(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	c := newCache(clock.Now, 10)
	ctx := context.Background()
	for i := range 25 {
		if _, _, _, err := c.get(ctx, fmt.Sprint(i), time.Minute, false, func(context.Context) (any, time.Time, error) { return i, time.Time{}, nil }); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.len(); n > 10 {
		t.Errorf("cache holds %d entries, cap 10", n)
	}
	calls := 0
	fail := func(context.Context) (any, time.Time, error) { calls++; return nil, time.Time{}, errors.New("x") }
	for range 2 {
		if _, _, _, err := c.get(ctx, "err", time.Minute, false, fail); err == nil {
			t.Fatal("no error")
		}
	}
	if calls != 2 {
		t.Errorf("error cached: %d calls", calls)
	}
	v, _, hit, _ := c.get(ctx, "24", time.Minute, false, fail)
	if !hit || v != 24 {
		t.Errorf("newest entry evicted: %v %v", v, hit)
	}
	clock.Advance(time.Minute)
	if _, _, hit, _ := c.get(ctx, "24", time.Minute, false, func(context.Context) (any, time.Time, error) { return 1, time.Time{}, nil }); hit {
		t.Error("expired entry served")
	}
}
