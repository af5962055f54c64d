package bot

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"plumebot/internal/health"
	"plumebot/internal/plume"
)

// fetched is a cached Plume result and when it was fetched from Plume.
type fetched[T any] struct {
	val       T
	fetchedAt time.Time
	hit       bool
}

// fetch reads one endpoint through the cache. The key starts with the credentials'
// fingerprint, so one partner's data is never served to another's credentials.
func fetch[T any](ctx context.Context, b *Bot, s *session, endpoint string, ttl time.Duration, fresh bool,
	fn func(context.Context) (T, error), ids ...string) (fetched[T], error) {
	key := s.fp + "|" + endpoint + "|" + strings.Join(ids, "|")
	v, at, hit, err := b.cache.get(ctx, key, ttl, fresh, func(ctx context.Context) (any, error) {
		return fn(ctx)
	})
	b.metrics.CacheResult(endpoint, hit)
	if err != nil {
		var zero fetched[T]
		return zero, err
	}
	return fetched[T]{val: v.(T), fetchedAt: at, hit: hit}, nil
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
