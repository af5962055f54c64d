package plumedata

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"plumebot/internal/plume"
	"plumebot/internal/store"
)

// Meta says where a read's value came from.
type Meta struct {
	// FetchedAt is when Plume sent the value, on this replica or another (shared tier).
	FetchedAt time.Time
	// Hit is true when a cache answered: the value was not fetched for this read.
	Hit bool
}

// Age is how old the value is at now: 0 when it was fetched for this read.
func (m Meta) Age(now time.Time) time.Duration {
	if !m.Hit {
		return 0
	}
	return now.Sub(m.FetchedAt)
}

// Result is a value read from Plume or a cache. Errors are never cached.
type Result[T any] struct {
	Value T
	Meta
}

// read reads one endpoint through the cache: a fresh value is fetched from Plume (and cached)
// whatever the cache holds. The key starts with the credentials' fingerprint, so one
// partner's data is never served to another's credentials. With a shared store the store is
// a second tier that replicas share.
func read[T any](ctx context.Context, s *Session, endpoint string, ttl time.Duration, fresh bool,
	fn func(context.Context, *plume.Client) (T, error), ids ...string) (Result[T], error) {
	src := s.src
	key := s.fp + "|" + endpoint + "|" + strings.Join(ids, "|")
	start := src.now()
	v, at, hit, err := src.cache.get(ctx, key, ttl, fresh, func(ctx context.Context) (any, time.Time, int64, error) {
		if src.shared != nil && !fresh {
			if v, at, size, ok := sharedGet[T](ctx, src, key, ttl); ok {
				return v, at, size, nil
			}
		}
		var size atomic.Int64
		v, err := fn(plume.WithBodySize(ctx, &size), s.client)
		if err != nil {
			return nil, time.Time{}, 0, err
		}
		at := src.now()
		if src.shared != nil {
			sharedPut(ctx, src, key, v, at, ttl)
		}
		return v, at, size.Load(), nil
	})
	// A value fetched before this call started came from another replica's fetch.
	hit = hit || (err == nil && at.Before(start))
	src.obs.CacheResult(endpoint, hit)
	if err != nil {
		return Result[T]{}, err
	}
	return Result[T]{Value: v.(T), Meta: Meta{FetchedAt: at, Hit: hit}}, nil
}

// sharedEntry is a cached Plume result as replicas share it through the store.
type sharedEntry[T any] struct {
	At  time.Time `json:"at"`
	Val T         `json:"val"`
}

// sharedUser is the user ID the shared cache is sealed under: no Telegram user has ID 0.
const sharedUser = 0

// sharedGet reads key from the shared tier; size is the length of its JSON, the weight of its
// in-process copy.
func sharedGet[T any](ctx context.Context, src *Source, key string, ttl time.Duration) (v T, at time.Time, size int64, ok bool) {
	var zero T
	raw, err := src.shared.GetSealedTemp(ctx, sharedUser, "cache:"+key)
	if err != nil {
		if !store.Absent(err) {
			src.log.Warn("shared cache read failed", "err", err)
		}
		return zero, time.Time{}, 0, false
	}
	var e sharedEntry[T]
	if err := json.Unmarshal(raw, &e); err != nil || !src.now().Before(e.At.Add(ttl)) {
		return zero, time.Time{}, 0, false
	}
	return e.Val, e.At, int64(len(raw)), true
}

func sharedPut[T any](ctx context.Context, src *Source, key string, v T, at time.Time, ttl time.Duration) {
	raw, err := json.Marshal(sharedEntry[T]{At: at, Val: v})
	if err == nil {
		err = src.shared.PutSealedTemp(ctx, sharedUser, "cache:"+key, raw, ttl)
	}
	if err != nil {
		src.log.Warn("shared cache write failed", "err", err)
	}
}

// ValidateLocation checks a customer and location ID pair (24 hex characters each) before it
// goes into a URL or a cache key. The error is a *plume.Error of kind plume.KindInvalidInput
// whose UserMessage names the ID at fault.
func ValidateLocation(customerID, locationID string) error {
	if err := plume.ValidateID("customer", customerID); err != nil {
		return err
	}
	return plume.ValidateID("location", locationID)
}

// Every read below validates its IDs first (a *plume.Error of kind plume.KindInvalidInput,
// no request made), then returns the cached value or Plume's (the error kinds of
// internal/plume: KindNotFound, KindForbidden, KindTimeout, …). fresh skips the cached value
// and caches the new one. The shapes are those of internal/plume's models.

// Location is the location record: name, online state, service level (plume-api.md §5.3).
func (s *Session) Location(ctx context.Context, customerID, locationID string, fresh bool) (Result[*plume.Location], error) {
	if err := ValidateLocation(customerID, locationID); err != nil {
		return Result[*plume.Location]{}, err
	}
	return read(ctx, s, "location", ttlLocation, fresh, func(ctx context.Context, c *plume.Client) (*plume.Location, error) {
		return c.Location(ctx, customerID, locationID)
	}, customerID, locationID)
}

// Nodes are the location's pods and gateway with their health and backhaul (plume-api.md §5.1).
func (s *Session) Nodes(ctx context.Context, customerID, locationID string, fresh bool) (Result[[]plume.Node], error) {
	if err := ValidateLocation(customerID, locationID); err != nil {
		return Result[[]plume.Node]{}, err
	}
	return read(ctx, s, "nodes", ttlNodes, fresh, func(ctx context.Context, c *plume.Client) ([]plume.Node, error) {
		return c.Nodes(ctx, customerID, locationID)
	}, customerID, locationID)
}

// Devices are the location's client devices (plume-api.md §5.5).
func (s *Session) Devices(ctx context.Context, customerID, locationID string, fresh bool) (Result[[]plume.Device], error) {
	if err := ValidateLocation(customerID, locationID); err != nil {
		return Result[[]plume.Device]{}, err
	}
	return read(ctx, s, "devices", ttlDevices, fresh, func(ctx context.Context, c *plume.Client) ([]plume.Device, error) {
		return c.Devices(ctx, customerID, locationID)
	}, customerID, locationID)
}

// QoE is the location's application QoE over the last 24 hours (plume-api.md §5.8).
func (s *Session) QoE(ctx context.Context, customerID, locationID string, fresh bool) (Result[*plume.AppQoE], error) {
	if err := ValidateLocation(customerID, locationID); err != nil {
		return Result[*plume.AppQoE]{}, err
	}
	return read(ctx, s, "appqoe", ttlQoE, fresh, func(ctx context.Context, c *plume.Client) (*plume.AppQoE, error) {
		return c.AppQoE(ctx, customerID, locationID, plume.QoELast24Hours)
	}, customerID, locationID)
}

// WiFiNetworks are the location's SSIDs (plume-api.md §5.4; PSKs are never decoded).
func (s *Session) WiFiNetworks(ctx context.Context, customerID, locationID string, fresh bool) (Result[[]plume.WiFiNetwork], error) {
	if err := ValidateLocation(customerID, locationID); err != nil {
		return Result[[]plume.WiFiNetwork]{}, err
	}
	return read(ctx, s, "wifiNetworks", ttlOther, fresh, func(ctx context.Context, c *plume.Client) ([]plume.WiFiNetwork, error) {
		return c.WiFiNetworks(ctx, customerID, locationID)
	}, customerID, locationID)
}

// WANStats is the location's WAN traffic of the last 24 hours in 15-minute points (plume-api.md §6.3).
func (s *Session) WANStats(ctx context.Context, customerID, locationID string, fresh bool) (Result[*plume.WANStats], error) {
	if err := ValidateLocation(customerID, locationID); err != nil {
		return Result[*plume.WANStats]{}, err
	}
	return read(ctx, s, "wanStats", ttlOther, fresh, func(ctx context.Context, c *plume.Client) (*plume.WANStats, error) {
		return c.WANStats(ctx, customerID, locationID, "daily")
	}, customerID, locationID)
}

// OnlineStats is the location's online history over window w (Reports API, plume-api.md §6.6).
func (s *Session) OnlineStats(ctx context.Context, customerID, locationID string, w Window, fresh bool) (Result[*plume.OnlineStats], error) {
	if err := ValidateLocation(customerID, locationID); err != nil {
		return Result[*plume.OnlineStats]{}, err
	}
	return read(ctx, s, "onlineStats", ttlOther, fresh, func(ctx context.Context, c *plume.Client) (*plume.OnlineStats, error) {
		return c.OnlineStats(ctx, customerID, locationID, w.Granularity, w.Limit)
	}, customerID, locationID, w.Granularity, strconv.Itoa(w.Limit))
}

// Locations are a customer's locations (plume-api.md §6.1).
func (s *Session) Locations(ctx context.Context, customerID string, fresh bool) (Result[[]plume.Location], error) {
	if err := plume.ValidateID("customer", customerID); err != nil {
		return Result[[]plume.Location]{}, err
	}
	return read(ctx, s, "locations", ttlOther, fresh, func(ctx context.Context, c *plume.Client) ([]plume.Location, error) {
		return c.Locations(ctx, customerID)
	}, customerID)
}

// SearchCustomers finds customers by email, account ID, name, pod serial or service ID
// (plume-api.md §6.1). The text is sent as typed; the cache ignores its letter case.
func (s *Session) SearchCustomers(ctx context.Context, text string, fresh bool) (Result[[]plume.CustomerMatch], error) {
	return read(ctx, s, "search", ttlOther, fresh, func(ctx context.Context, c *plume.Client) ([]plume.CustomerMatch, error) {
		return c.SearchCustomers(ctx, text)
	}, strings.ToLower(text))
}

// NodeLookup says where a pod is claimed, by serial number (1–32 letters and digits;
// plume-api.md §5.2). The cache ignores the serial's letter case.
func (s *Session) NodeLookup(ctx context.Context, serial string, fresh bool) (Result[*plume.NodeLookup], error) {
	if err := plume.ValidateSerial(serial); err != nil {
		return Result[*plume.NodeLookup]{}, err
	}
	return read(ctx, s, "nodeLookup", ttlOther, fresh, func(ctx context.Context, c *plume.Client) (*plume.NodeLookup, error) {
		return c.NodeLookup(ctx, serial)
	}, strings.ToUpper(serial))
}

// Window is a span of online history as Plume's onlineStats serves it: a granularity and a
// number of points. 3 h at minute granularity shows short outages; longer windows use hours so
// the series stays ≤ 168 points.
type Window struct {
	Name        string // "3h", "24h", "7d": what buttons and captions show
	Granularity string // "minutes" or "hours"
	Limit       int    // points
}

var windows = []Window{
	{"3h", "minutes", 180},
	{"24h", "hours", 24},
	{"7d", "hours", 168},
}

// DefaultWindow is the window shown first: 24 h.
func DefaultWindow() Window { return windows[1] }

// Windows are the online-history windows, shortest first.
func Windows() []Window { return append([]Window(nil), windows...) }

// WindowNamed returns the window called name ("3h", "24h", "7d").
func WindowNamed(name string) (Window, bool) {
	for _, w := range windows {
		if w.Name == name {
			return w, true
		}
	}
	return Window{}, false
}
