package bot

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"plumebot/internal/health"
	"plumebot/internal/plume"
	"plumebot/internal/store"
)

// fetched is a cached Plume result and when it was fetched from Plume.
type fetched[T any] struct {
	val       T
	fetchedAt time.Time
	hit       bool
}

// fetch reads one endpoint through the cache. The key starts with the credentials'
// fingerprint, so one partner's data is never served to another's credentials. With
// Config.SharedCache the store is a second tier that replicas share.
func fetch[T any](ctx context.Context, b *Bot, s *session, endpoint string, ttl time.Duration, fresh bool,
	fn func(context.Context) (T, error), ids ...string) (fetched[T], error) {
	key := s.fp + "|" + endpoint + "|" + strings.Join(ids, "|")
	start := b.now()
	v, at, hit, err := b.cache.get(ctx, key, ttl, fresh, func(ctx context.Context) (any, time.Time, error) {
		if b.cfg.SharedCache && !fresh {
			if v, at, ok := sharedGet[T](ctx, b, key, ttl); ok {
				return v, at, nil
			}
		}
		v, err := fn(ctx)
		if err != nil {
			return nil, time.Time{}, err
		}
		at := b.now()
		if b.cfg.SharedCache {
			sharedPut(ctx, b, key, v, at, ttl)
		}
		return v, at, nil
	})
	// A value fetched before this call started came from another replica's fetch.
	hit = hit || (err == nil && at.Before(start))
	b.metrics.CacheResult(endpoint, hit)
	if err != nil {
		var zero fetched[T]
		return zero, err
	}
	return fetched[T]{val: v.(T), fetchedAt: at, hit: hit}, nil
}

// sharedEntry is a cached Plume result as replicas share it through the store. It is sealed
// like everything else there: it names customers and their devices.
type sharedEntry[T any] struct {
	At  time.Time `json:"at"`
	Val T         `json:"val"`
}

// sharedUser is the user ID the shared cache is sealed under: no Telegram user has ID 0.
const sharedUser = 0

func sharedGet[T any](ctx context.Context, b *Bot, key string, ttl time.Duration) (T, time.Time, bool) {
	var zero T
	raw, err := b.st.GetSealedTemp(ctx, sharedUser, "cache:"+key)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			b.log.Warn("shared cache read failed", "err", err)
		}
		return zero, time.Time{}, false
	}
	var e sharedEntry[T]
	if err := json.Unmarshal(raw, &e); err != nil || !b.now().Before(e.At.Add(ttl)) {
		return zero, time.Time{}, false
	}
	return e.Val, e.At, true
}

func sharedPut[T any](ctx context.Context, b *Bot, key string, v T, at time.Time, ttl time.Duration) {
	raw, err := json.Marshal(sharedEntry[T]{At: at, Val: v})
	if err == nil {
		err = b.st.PutSealedTemp(ctx, sharedUser, "cache:"+key, raw, ttl)
	}
	if err != nil {
		b.log.Warn("shared cache write failed", "err", err)
	}
}

func (b *Bot) location(ctx context.Context, s *session, cid, lid string, fresh bool) (fetched[*plume.Location], error) {
	return fetch(ctx, b, s, "location", ttlLocation, fresh, func(ctx context.Context) (*plume.Location, error) {
		return s.client.Location(ctx, cid, lid)
	}, cid, lid)
}

func (b *Bot) nodes(ctx context.Context, s *session, cid, lid string, fresh bool) (fetched[[]plume.Node], error) {
	return fetch(ctx, b, s, "nodes", ttlNodes, fresh, func(ctx context.Context) ([]plume.Node, error) {
		return s.client.Nodes(ctx, cid, lid)
	}, cid, lid)
}

func (b *Bot) devices(ctx context.Context, s *session, cid, lid string, fresh bool) (fetched[[]plume.Device], error) {
	return fetch(ctx, b, s, "devices", ttlDevices, fresh, func(ctx context.Context) ([]plume.Device, error) {
		return s.client.Devices(ctx, cid, lid)
	}, cid, lid)
}

func (b *Bot) qoe(ctx context.Context, s *session, cid, lid string, fresh bool) (fetched[*plume.AppQoE], error) {
	return fetch(ctx, b, s, "appqoe", ttlQoE, fresh, func(ctx context.Context) (*plume.AppQoE, error) {
		return s.client.AppQoE(ctx, cid, lid, plume.QoELast24Hours)
	}, cid, lid)
}

func (b *Bot) wifi(ctx context.Context, s *session, cid, lid string, fresh bool) (fetched[[]plume.WiFiNetwork], error) {
	return fetch(ctx, b, s, "wifiNetworks", ttlOther, fresh, func(ctx context.Context) ([]plume.WiFiNetwork, error) {
		return s.client.WiFiNetworks(ctx, cid, lid)
	}, cid, lid)
}

func (b *Bot) wan(ctx context.Context, s *session, cid, lid string, fresh bool) (fetched[*plume.WANStats], error) {
	return fetch(ctx, b, s, "wanStats", ttlOther, fresh, func(ctx context.Context) (*plume.WANStats, error) {
		return s.client.WANStats(ctx, cid, lid, "daily")
	}, cid, lid)
}

func (b *Bot) online(ctx context.Context, s *session, cid, lid string, w statsWindow, fresh bool) (fetched[*plume.OnlineStats], error) {
	return fetch(ctx, b, s, "onlineStats", ttlOther, fresh, func(ctx context.Context) (*plume.OnlineStats, error) {
		return s.client.OnlineStats(ctx, cid, lid, w.granularity, w.limit)
	}, cid, lid, w.granularity, strconv.Itoa(w.limit))
}

func (b *Bot) locations(ctx context.Context, s *session, cid string, fresh bool) (fetched[[]plume.Location], error) {
	return fetch(ctx, b, s, "locations", ttlOther, fresh, func(ctx context.Context) ([]plume.Location, error) {
		return s.client.Locations(ctx, cid)
	}, cid)
}

func (b *Bot) search(ctx context.Context, s *session, text string, fresh bool) (fetched[[]plume.CustomerMatch], error) {
	return fetch(ctx, b, s, "search", ttlOther, fresh, func(ctx context.Context) ([]plume.CustomerMatch, error) {
		return s.client.SearchCustomers(ctx, text)
	}, strings.ToLower(text))
}

func (b *Bot) nodeLookup(ctx context.Context, s *session, serial string, fresh bool) (fetched[*plume.NodeLookup], error) {
	return fetch(ctx, b, s, "nodeLookup", ttlOther, fresh, func(ctx context.Context) (*plume.NodeLookup, error) {
		return s.client.NodeLookup(ctx, serial)
	}, strings.ToUpper(serial))
}

// statsWindow is one /stats choice. 3 h at minute granularity shows short outages; longer
// windows use hours so the series stays ≤ 168 points.
type statsWindow struct {
	name, granularity string
	limit             int
}

var statsWindows = []statsWindow{
	{"3h", "minutes", 180},
	{"24h", "hours", 24},
	{"7d", "hours", 168},
}

func windowByName(name string) (statsWindow, bool) {
	for _, w := range statsWindows {
		if w.name == name {
			return w, true
		}
	}
	return statsWindow{}, false
}

// snapshot fetches location, nodes, devices and QoE in parallel; each part may fail on its
// own. age is how old the oldest cached part is (0 when everything came from Plume now).
func (b *Bot) snapshot(ctx context.Context, s *session, cid, lid string, fresh bool) (snap health.Snapshot, age time.Duration) {
	snap = health.Snapshot{CustomerID: cid, LocationID: lid}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		oldest time.Time
		anyHit bool
	)
	note := func(at time.Time, hit bool) {
		mu.Lock()
		defer mu.Unlock()
		if oldest.IsZero() || at.Before(oldest) {
			oldest = at
		}
		anyHit = anyHit || hit
	}
	wg.Go(func() {
		f, err := b.location(ctx, s, cid, lid, fresh)
		snap.Location, snap.LocationErr = f.val, err
		if err == nil {
			note(f.fetchedAt, f.hit)
		}
	})
	wg.Go(func() {
		f, err := b.nodes(ctx, s, cid, lid, fresh)
		snap.Nodes, snap.NodesErr = f.val, err
		if err == nil {
			note(f.fetchedAt, f.hit)
		}
	})
	wg.Go(func() {
		f, err := b.devices(ctx, s, cid, lid, fresh)
		snap.Devices, snap.DevicesErr = f.val, err
		if err == nil {
			note(f.fetchedAt, f.hit)
		}
	})
	wg.Go(func() {
		f, err := b.qoe(ctx, s, cid, lid, fresh)
		snap.QoE, snap.QoEErr = f.val, err
		if err == nil {
			note(f.fetchedAt, f.hit)
		}
	})
	wg.Wait()
	snap.FetchedAt = oldest
	if oldest.IsZero() {
		snap.FetchedAt = b.now()
	}
	if anyHit {
		age = b.now().Sub(oldest)
	}
	return snap, age
}

// Snapshot fetches a location's snapshot in parallel through the cache (fresh bypasses it).
func (b *Bot) Snapshot(ctx context.Context, creds plume.Credentials, customerID, locationID string, fresh bool) (health.Snapshot, error) {
	if err := validateLocation(customerID, locationID); err != nil {
		return health.Snapshot{}, err
	}
	c, err := b.client(creds)
	if err != nil {
		return health.Snapshot{}, err
	}
	snap, _ := b.snapshot(ctx, &session{client: c, fp: creds.Fingerprint()}, customerID, locationID, fresh)
	return snap, nil
}

// FetchSnapshot fetches a location's snapshot in parallel with no cache (plumebot check).
func FetchSnapshot(ctx context.Context, c *plume.Client, customerID, locationID string) health.Snapshot {
	snap := health.Snapshot{CustomerID: customerID, LocationID: locationID}
	var wg sync.WaitGroup
	wg.Go(func() { snap.Location, snap.LocationErr = c.Location(ctx, customerID, locationID) })
	wg.Go(func() { snap.Nodes, snap.NodesErr = c.Nodes(ctx, customerID, locationID) })
	wg.Go(func() { snap.Devices, snap.DevicesErr = c.Devices(ctx, customerID, locationID) })
	wg.Go(func() { snap.QoE, snap.QoEErr = c.AppQoE(ctx, customerID, locationID, plume.QoELast24Hours) })
	wg.Wait()
	snap.FetchedAt = time.Now()
	return snap
}

func validateLocation(cid, lid string) error {
	if err := plume.ValidateID("customer", cid); err != nil {
		return err
	}
	return plume.ValidateID("location", lid)
}
