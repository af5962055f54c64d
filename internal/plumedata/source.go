// Package plumedata is plumebot's one way to read Plume data, for every consumer (the chat
// commands, `plumebot check`, the benchmark, and next the watcher, actions and pictures): reads by
// (credentials, location), validated before any request, cached with singleflight, optionally
// shared between replicas through the sealed store, and fetched in parallel for a snapshot.
package plumedata

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"plumebot/internal/plume"
)

// Observer receives one call per cached read, for metrics (internal/metrics implements it).
type Observer interface {
	// CacheResult counts a read of endpoint ("location", "nodes", …) answered from a cache
	// (hit) or from Plume.
	CacheResult(endpoint string, hit bool)
}

// SharedStore is the sealed store replicas share (internal/store on Redis): the second cache
// tier. Values are sealed because they name customers and their devices. A missing, expired or
// unopenable record (store.Absent: sealed with a dropped key, damaged) is a miss; any other
// error is logged and treated as a miss.
type SharedStore interface {
	GetSealedTemp(ctx context.Context, userID int64, key string) ([]byte, error)
	PutSealedTemp(ctx context.Context, userID int64, key string, val []byte, ttl time.Duration) error
}

// Config is what a Source needs; every field is optional.
type Config struct {
	// Plume is shared by every client the Source makes: HTTP client, per-host rate limits,
	// timeout, allowed hosts, request observer. Its Logger defaults to Logger.
	Plume plume.Options
	// Shared, when set, is the cache tier replicas share; nil keeps the cache in-process.
	Shared   SharedStore
	Observer Observer
	// CacheBytes bounds the in-process cache (PLUMEBOT_CACHE_MB): each entry weighs the
	// length of the body it was decoded from; 0 is DefaultCacheBytes.
	CacheBytes int64
	Logger     *slog.Logger     // default: discard
	Now        func() time.Time // the cache's clock; default time.Now
}

// maxClients bounds the client pool. Credentials come and go rarely; dropping every client
// when it is full only costs a token fetch each.
const maxClients = 10000

// Source reads Plume data for any number of credentials. It is safe for concurrent use and
// holds one *plume.Client per credentials, so a token is fetched once and reused by every
// user and consumer of those credentials.
type Source struct {
	opts   plume.Options
	shared SharedStore
	obs    Observer
	log    *slog.Logger
	now    func() time.Time
	cache  *cache

	mu      sync.Mutex
	clients map[string]*plume.Client // by credentials fingerprint
}

// New returns a Source with an empty cache.
func New(cfg Config) *Source {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.Plume.Logger == nil {
		cfg.Plume.Logger = cfg.Logger
	}
	if cfg.CacheBytes <= 0 {
		cfg.CacheBytes = DefaultCacheBytes
	}
	return &Source{
		opts:    cfg.Plume,
		shared:  cfg.Shared,
		obs:     cfg.Observer,
		log:     cfg.Logger,
		now:     cfg.Now,
		cache:   newCache(cfg.Now, cfg.CacheBytes),
		clients: map[string]*plume.Client{},
	}
}

type nopObserver struct{}

func (nopObserver) CacheResult(string, bool) {}

// Session is the data access of one set of credentials: every read goes through it. It is
// cheap (a pooled client and a fingerprint) and safe for concurrent use.
type Session struct {
	src    *Source
	client *plume.Client
	fp     string // cache keys start with it: one partner's data never reaches another
}

// Session returns the access of creds. The error is a *plume.Error of kind
// plume.KindInvalidInput when the credentials' URLs are malformed or their hosts not allowed.
func (s *Source) Session(creds plume.Credentials) (*Session, error) {
	fp := creds.Fingerprint()
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[fp]
	if !ok {
		var err error
		if c, err = plume.NewClient(creds, s.opts); err != nil {
			return nil, err
		}
		s.keep(fp, c)
	}
	return &Session{src: s, client: c, fp: fp}, nil
}

// Verify tests creds with a live token request (the /auth conversation's last step) and, when
// they work, keeps their client so the token just fetched serves the next reads. The error is
// a *plume.Error (KindInvalidInput, KindTokenFailed, KindNetwork, …) that carries no secret.
func (s *Source) Verify(ctx context.Context, creds plume.Credentials) error {
	c, err := plume.NewClient(creds, s.opts)
	if err != nil {
		return err
	}
	if err := c.Token(ctx); err != nil {
		return err
	}
	fp := creds.Fingerprint()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[fp]; !ok {
		s.keep(fp, c)
	}
	return nil
}

// keep adds a client to the pool; s.mu is held.
func (s *Source) keep(fp string, c *plume.Client) {
	if len(s.clients) >= maxClients {
		clear(s.clients)
	}
	s.clients[fp] = c
}
