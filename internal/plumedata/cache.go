package plumedata

import (
	"context"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Cache TTLs per endpoint, from the seed design: Plume's WAF allows ~6 requests/s per IP and a
// busy team asks about the same location repeatedly. Location and QoE change fastest (online
// state, the current QoE window); equipment lists and reports are slower.
const (
	ttlLocation = 30 * time.Second
	ttlQoE      = 30 * time.Second
	ttlNodes    = 60 * time.Second
	ttlDevices  = 60 * time.Second
	ttlOther    = 60 * time.Second
)

// The cache is bounded by bytes: one large location's device list is 243 KiB, so a bound by
// entries alone (10,000 before) let a busy cache reach gigabytes.
const (
	// DefaultCacheBytes is the in-process cache's budget when Config.CacheBytes is 0: room
	// for a few hundred large locations, or thousands of ordinary ones.
	DefaultCacheBytes = 64 << 20
	// entryOverhead is added to every entry's body length: its key, map slot and the decoded
	// value's headers, so thousands of tiny answers (an empty search) still count.
	entryOverhead = 512
	// sweepEvery spaces the removal of expired entries, so none outlives its TTL by more.
	sweepEvery = time.Minute
)

// cache holds Plume results per (credentials fingerprint, IDs, endpoint) with a singleflight so
// identical concurrent requests make one upstream call. Errors are not cached. An entry weighs
// the length of the body it was decoded from plus entryOverhead; the sum stays within
// maxBytes.
type cache struct {
	now      func() time.Time
	maxBytes int64

	mu        sync.Mutex
	entries   map[string]cacheEntry
	bytes     int64     // the entries' weight
	nextSweep time.Time // when put next drops expired entries
	flight    singleflight.Group
}

type cacheEntry struct {
	val       any
	fetchedAt time.Time
	expires   time.Time
	size      int64
}

func newCache(now func() time.Time, maxBytes int64) *cache {
	return &cache{now: now, maxBytes: maxBytes, entries: map[string]cacheEntry{}}
}

type flightResult struct {
	val       any
	fetchedAt time.Time
}

// fetchFunc fetches a value: it returns when Plume sent it (zero: now) and the length of the
// body it was decoded from, the entry's weight.
type fetchFunc func(context.Context) (val any, fetchedAt time.Time, size int64, err error)

// get returns the cached value of key, or calls fn once for all concurrent callers of key.
// fresh skips the cached value (the Refresh button). hit reports a cached answer. fn returns
// when its value was fetched from Plume (zero: now), so a value another replica fetched
// earlier keeps its age.
func (c *cache) get(ctx context.Context, key string, ttl time.Duration, fresh bool, fn fetchFunc) (val any, fetchedAt time.Time, hit bool, err error) {
	now := c.now()
	if !fresh {
		if e, ok := c.lookup(key, now); ok {
			return e.val, e.fetchedAt, true, nil
		}
	}
	ch := c.flight.DoChan(key, func() (any, error) {
		// The flight outlives any one caller: a caller giving up must not fail the others.
		v, at, size, err := fn(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		if at.IsZero() {
			at = c.now()
		}
		c.put(key, cacheEntry{val: v, fetchedAt: at, expires: at.Add(ttl), size: size + entryOverhead})
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

// lookup returns key's entry if it has not expired, and drops it if it has.
func (c *cache) lookup(key string, now time.Time) (cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return cacheEntry{}, false
	}
	if !now.Before(e.expires) {
		c.remove(key)
		return cacheEntry{}, false
	}
	return e, true
}

// put stores an entry within the budget. Expired entries go first (and once per sweepEvery
// anyway); if that is not enough, the entries closest to expiry go until the cache is at 90%
// of its budget, so a full cache evicts once per tenth of its budget rather than on every
// put. An entry over a quarter of the budget is not kept: it would evict most of the others.
func (c *cache) put(key string, e cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remove(key)
	if e.size > c.maxBytes/4 {
		return
	}
	now := c.now()
	if c.bytes+e.size > c.maxBytes || !now.Before(c.nextSweep) {
		for k, old := range c.entries {
			if !now.Before(old.expires) {
				c.remove(k)
			}
		}
		c.nextSweep = now.Add(sweepEvery)
	}
	if c.bytes+e.size > c.maxBytes {
		keys := make([]string, 0, len(c.entries))
		for k := range c.entries {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int { return c.entries[a].expires.Compare(c.entries[b].expires) })
		for _, k := range keys {
			if c.bytes+e.size <= c.maxBytes-c.maxBytes/10 {
				break
			}
			c.remove(k)
		}
	}
	c.entries[key] = e
	c.bytes += e.size
}

// remove drops key's entry if there is one; c.mu is held.
func (c *cache) remove(key string) {
	if old, ok := c.entries[key]; ok {
		c.bytes -= old.size
		delete(c.entries, key)
	}
}
