package plumedata

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Cache TTLs per endpoint, from the seed design: Plume's WAF allows ~6 requests/s per IP and a
// busy team asks about the same location repeatedly. Location and QoE change fastest (online
// state, the current QoE window); equipment lists and reports are slower.
const (
	ttlLocation     = 30 * time.Second
	ttlQoE          = 30 * time.Second
	ttlNodes        = 60 * time.Second
	ttlDevices      = 60 * time.Second
	ttlOther        = 60 * time.Second
	maxCacheEntries = 10000
)

// cache holds Plume results per (credentials fingerprint, IDs, endpoint) with a singleflight so
// identical concurrent requests make one upstream call. Errors are not cached.
type cache struct {
	now func() time.Time
	max int

	mu      sync.Mutex
	entries map[string]cacheEntry
	flight  singleflight.Group
}

type cacheEntry struct {
	val       any
	fetchedAt time.Time
	expires   time.Time
}

func newCache(now func() time.Time, max int) *cache {
	return &cache{now: now, max: max, entries: map[string]cacheEntry{}}
}

type flightResult struct {
	val       any
	fetchedAt time.Time
}

// get returns the cached value of key, or calls fn once for all concurrent callers of key.
// fresh skips the cached value (the Refresh button). hit reports a cached answer. fn returns
// when its value was fetched from Plume (zero: now), so a value another replica fetched
// earlier keeps its age.
func (c *cache) get(ctx context.Context, key string, ttl time.Duration, fresh bool,
	fn func(context.Context) (any, time.Time, error)) (val any, fetchedAt time.Time, hit bool, err error) {
	now := c.now()
	if !fresh {
		c.mu.Lock()
		e, ok := c.entries[key]
		c.mu.Unlock()
		if ok && now.Before(e.expires) {
			return e.val, e.fetchedAt, true, nil
		}
	}
	ch := c.flight.DoChan(key, func() (any, error) {
		// The flight outlives any one caller: a caller giving up must not fail the others.
		v, at, err := fn(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		if at.IsZero() {
			at = c.now()
		}
		c.put(key, cacheEntry{val: v, fetchedAt: at, expires: at.Add(ttl)})
		return flightResult{val: v, fetchedAt: at}, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, time.Time{}, false, res.Err
		}
		fr := res.Val.(flightResult)
		return fr.val, fr.fetchedAt, false, nil
	case <-ctx.Done():
		return nil, time.Time{}, false, ctx.Err()
	}
}

// put stores an entry, keeping the map bounded. When full it drops expired entries and then
// arbitrary ones down to 90% of the cap, so a full cache sweeps once per max/10 puts rather
// than on every put.
func (c *cache) put(key string, e cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		now := c.now()
		for k, old := range c.entries {
			if !now.Before(old.expires) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < c.max-c.max/10 {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[key] = e
}
