package watch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"plumebot/internal/store"
)

// Config tunes the engine. The zero value of every field is its default.
type Config struct {
	// MinInterval is the shortest time between two checks of one watch (default 60 s;
	// PLUMEBOT_WATCH_INTERVAL, which config keeps at 5 s or more).
	MinInterval time.Duration
	// Budget is the Plume requests per second the watcher may use (default 2, a third of
	// PLUME_RATE_LIMIT's default 6; PLUMEBOT_WATCH_BUDGET). A check costs up to 2, so the
	// interval is max(MinInterval, 2 × watches / Budget), with checks spread evenly over it.
	Budget float64
	// HoldChecks: a change is confirmed once seen by this many consecutive checks (default 2).
	HoldChecks int
	// HoldTime, when set, replaces HoldChecks: a change is confirmed once seen by two or more
	// checks spanning at least HoldTime.
	HoldTime time.Duration
	// FlapLimit: more outages than this within FlapWindow make one "flapping" alert instead
	// of one each (default 3 per hour); StableAfter without a change ends it (default 30 min).
	FlapLimit   int
	FlapWindow  time.Duration
	StableAfter time.Duration
	// MaxPerChat and MaxWatches cap the watches of one chat (default 20) and in all (default 1000).
	MaxPerChat int
	MaxWatches int
	// RateLimitBackoff is how long a WAF refusal stops every check when Plume gives no
	// Retry-After (default 5 min, Plume's window: plume-api.md §7.1).
	RateLimitBackoff time.Duration
	// LeaseTTL: another replica takes over within this long when the checking one dies
	// (default 15 s; renewed every third of it).
	LeaseTTL time.Duration
	// CheckTimeout bounds one check's reads (default 30 s); SendTimeout one Notify (default
	// 60 s: the paced sender may wait). An alert being sent is claimed for 2 × SendTimeout.
	CheckTimeout time.Duration
	SendTimeout  time.Duration
	// MaxInFlight bounds the checks running at once (default 16): a slow Plume lengthens
	// the achieved interval instead of piling up requests.
	MaxInFlight int

	Observer Observer     // nil: none
	Logger   *slog.Logger // nil: slog.Default()
}

func (c *Config) setDefaults() error {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	defInt := func(n *int, v int) {
		if *n == 0 {
			*n = v
		}
	}
	def(&c.MinInterval, 60*time.Second)
	if c.Budget == 0 {
		c.Budget = 2
	}
	defInt(&c.HoldChecks, 2)
	defInt(&c.FlapLimit, 3)
	def(&c.FlapWindow, time.Hour)
	def(&c.StableAfter, 30*time.Minute)
	defInt(&c.MaxPerChat, 20)
	defInt(&c.MaxWatches, 1000)
	def(&c.RateLimitBackoff, 5*time.Minute)
	def(&c.LeaseTTL, 15*time.Second)
	def(&c.CheckTimeout, 30*time.Second)
	def(&c.SendTimeout, 60*time.Second)
	defInt(&c.MaxInFlight, 16)
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	switch {
	case c.MinInterval < 0, c.HoldTime < 0, c.FlapWindow < 0, c.StableAfter < 0, c.RateLimitBackoff < 0,
		c.LeaseTTL < 0, c.CheckTimeout < 0, c.SendTimeout < 0:
		return errors.New("watch: durations must not be negative")
	case c.Budget < 0 || c.HoldChecks < 0 || c.FlapLimit < 0 || c.MaxPerChat < 0 || c.MaxWatches < 0 || c.MaxInFlight < 0:
		return errors.New("watch: budget and counts must not be negative")
	}
	return nil
}

// Engine is the watcher. Every replica runs one (Run); the one holding the store's lease
// checks, the others wait. Its other methods are the chat side's and work on any replica.
type Engine struct {
	cfg    Config
	st     Store
	rd     Reader
	creds  CredentialSource
	nt     Notifier
	obs    Observer
	log    *slog.Logger
	holder string        // this engine's lease holder ID
	poke   chan struct{} // a watch was added here: the checking loop lists watches again
	index  indexState
}

// New returns an engine; it does nothing until Run.
func New(st Store, rd Reader, creds CredentialSource, nt Notifier, cfg Config) (*Engine, error) {
	if st == nil || rd == nil || creds == nil || nt == nil {
		return nil, errors.New("watch: New needs a store, a reader, a credential source and a notifier")
	}
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	var b [12]byte
	rand.Read(b[:])
	return &Engine{cfg: cfg, st: st, rd: rd, creds: creds, nt: nt, obs: cfg.Observer, log: cfg.Logger,
		holder: hex.EncodeToString(b[:]), poke: make(chan struct{}, 1)}, nil
}

// interval is the time between two checks of a watch with n watches (2 requests each).
func (e *Engine) interval(n int) time.Duration {
	need := time.Duration(float64(2*n) / e.cfg.Budget * float64(time.Second))
	return max(e.cfg.MinInterval, need)
}

// Run competes for the lease and, while this replica holds it, checks the watches and
// delivers their alerts. It returns nil when ctx ends, after releasing the lease.
func (e *Engine) Run(ctx context.Context) error {
	retry := e.cfg.LeaseTTL / 3
	var warned bool
	for {
		ok, err := e.st.AcquireLease(ctx, leaseKey, e.holder, e.cfg.LeaseTTL)
		switch {
		case err != nil && ctx.Err() == nil && !warned:
			e.log.Warn("watch: cannot reach the store to take the watcher lease; retrying", "err", err)
			warned = true
		case ok:
			warned = false
			e.lead(ctx)
		}
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// lead runs one lease term: checks and deliveries under a context that ends when the
// lease is lost (or cannot be proved held: renewals failing for two thirds of the TTL).
func (e *Engine) lead(ctx context.Context) {
	lctx, cancel := context.WithCancel(ctx)
	l := newLeader(e, lctx)
	e.obs.Leading(true)
	e.log.Info("watch: this replica checks the watches (lease taken)")
	l.start()

	ttl := e.cfg.LeaseTTL
	tick := time.NewTicker(ttl / 3)
	lastOK := time.Now()
renew:
	for {
		select {
		case <-ctx.Done():
			break renew
		case <-tick.C:
		}
		rctx, rcancel := context.WithTimeout(ctx, ttl/3)
		err := e.st.RenewLease(rctx, leaseKey, e.holder, ttl)
		rcancel()
		switch {
		case err == nil:
			lastOK = time.Now()
		case errors.Is(err, store.ErrLeaseLost):
			e.log.Warn("watch: the watcher lease was lost; another replica checks now")
			break renew
		case time.Since(lastOK) >= ttl*2/3:
			e.log.Warn("watch: cannot renew the watcher lease; stopping checks", "err", err)
			break renew
		}
	}
	tick.Stop()
	cancel()
	l.wg.Wait()
	if ctx.Err() != nil {
		// Shutdown: hand over at once instead of after the TTL.
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if err := e.st.ReleaseLease(rctx, leaseKey, e.holder); err != nil {
			e.log.Warn("watch: release the watcher lease", "err", err)
		}
		rcancel()
	}
	e.obs.Leading(false)
}

// Stats is the watcher's schedule as the checking replica last published it.
type Stats struct {
	Watches      int           `json:"watches"`
	Interval     time.Duration `json:"interval"`     // target time between two checks of a watch
	Achieved     time.Duration `json:"achieved"`     // measured; 0 until measured
	Budget       float64       `json:"budget"`       // Plume requests per second allowed
	RequestRate  float64       `json:"requestRate"`  // Plume requests per second made, measured
	BackoffUntil time.Time     `json:"backoffUntil"` // the WAF refused: no checks before this
	UpdatedAt    time.Time     `json:"updatedAt"`    // zero: no replica is checking
}

// Stats returns the schedule published by the checking replica (any replica may ask).
// With none checking, only Budget and the Interval for no watches are set.
func (e *Engine) Stats(ctx context.Context) (Stats, error) {
	s := Stats{Budget: e.cfg.Budget, Interval: e.interval(0)}
	raw, err := e.st.GetRecord(ctx, statsKey)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return s, nil
	case err != nil:
		return s, err
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("watch: decode stats: %w", err)
	}
	return s, nil
}

func (e *Engine) publish(ctx context.Context, s Stats) {
	raw, _ := json.Marshal(s)
	ttl := 3 * max(e.cfg.MinInterval, e.cfg.LeaseTTL)
	if err := e.st.PutRecord(ctx, statsKey, raw, ttl); err != nil && ctx.Err() == nil {
		e.log.Warn("watch: publish the schedule", "err", err)
	}
}

// leader is the state of one lease term.
type leader struct {
	e     *Engine
	ctx   context.Context
	wg    sync.WaitGroup
	slots chan struct{} // checks in flight
	sends chan struct{} // Notify calls in flight
	wake  chan struct{} // a retry was scheduled

	mu         sync.Mutex
	delivering map[string]int // 1: a delivery runs for the key; 2: and must run once more
	retries    map[string]time.Time
	backoff    time.Time
	requests   int // since the last publish
}

const maxSends = 8

func newLeader(e *Engine, ctx context.Context) *leader {
	return &leader{e: e, ctx: ctx, slots: make(chan struct{}, e.cfg.MaxInFlight),
		sends: make(chan struct{}, maxSends), wake: make(chan struct{}, 1),
		delivering: map[string]int{}, retries: map[string]time.Time{}}
}

func (l *leader) start() {
	l.wg.Go(l.schedule)
	l.wg.Go(l.retryLoop)
	l.wg.Go(l.sweep)
}
