// Package action is the engine of plumebot's write operations (reboot a pod or a location, run
// an ISP speed test, optimize): roles, single-use confirmations, cooldowns, per-user limits,
// audit events and the follow-through after Plume accepted. It knows no chat: its texts are
// plain words that a front end escapes, and it reaches Plume, the store and time through the
// small interfaces below.
package action

import (
	"context"
	"log/slog"
	"time"

	"plumebot/internal/plume"
)

// Kind is one of the four actions. Its value is the metrics label and the audit name.
type Kind string

// The actions (plume-api.md §6.4–6.5).
const (
	RebootPod      Kind = "reboot_pod"
	RebootLocation Kind = "reboot_location"
	SpeedTest      Kind = "speedtest"
	Optimize       Kind = "optimize"
)

// Kinds lists the actions in the order help texts show them.
var Kinds = []Kind{RebootPod, RebootLocation, SpeedTest, Optimize}

// Actor performs the actions with one set of credentials; *plume.Client implements it. Each
// method returns the HTTP status Plume answered (0 when no answer came) and a *plume.Error.
type Actor interface {
	RebootNode(ctx context.Context, customerID, locationID, nodeID string, delay time.Duration) (int, error)
	RebootLocation(ctx context.Context, customerID, locationID string, delay time.Duration) (int, error)
	StartISPSpeedTest(ctx context.Context, customerID, locationID string) (int, error)
	Optimize(ctx context.Context, customerID, locationID string) (int, error)
}

// Reader reads Plume data fresh, never from a cache, with the Actor's credentials: what the
// confirmation says and what the follow-through sees must be Plume's state now.
type Reader interface {
	Nodes(ctx context.Context, customerID, locationID string) ([]plume.Node, error)
	Location(ctx context.Context, customerID, locationID string) (*plume.Location, error)
}

// Access is a user's Plume access for one request. Fingerprint identifies the credentials
// (plume.Credentials.Fingerprint): a confirmation acts only with the credentials it was
// asked with.
type Access struct {
	Actor       Actor
	Reader      Reader
	Fingerprint string
}

// Store is what the engine keeps across replicas (internal/store implements it): sealed
// records under its keys, one of them taken at most once, and expiring locks. A record for
// which store.Absent is true (missing, or sealed with a dropped key, or damaged) is as good as
// none.
type Store interface {
	PutRecord(ctx context.Context, key string, plaintext []byte, ttl time.Duration) error
	GetRecord(ctx context.Context, key string) ([]byte, error)
	// TakeRecord reads and deletes in one step: of concurrent takers exactly one gets it.
	TakeRecord(ctx context.Context, key string) ([]byte, error)
	DeleteRecord(ctx context.Context, key string) error
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error)
	// Digest names a key made of customer and location IDs opaquely: a keyed digest, so
	// the IDs cannot be tested against it without the store's key.
	Digest(name string) string
}

// Clock is the engine's time: Now for records and texts, After for the follow-through's polls
// and the confirmation's expiry. Tests pass one they move by hand.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// Observer receives the audit events and counts outcomes; any method may be a no-op.
type Observer interface {
	// Audit is one event of an action's life (see Event).
	Audit(Event)
	// Outcome counts how an attempt ended: ok, error:<plume kind>, denied, cooldown, limit,
	// cancelled, expired, stale (the confirmation no longer matched the user's sign-in).
	Outcome(kind Kind, outcome string)
}

// Config tunes an Engine; the zero value of every field but Store has a default.
type Config struct {
	Support, Admins []int64 // PLUMEBOT_SUPPORT_USERS, PLUMEBOT_ADMINS
	Store           Store
	Clock           Clock    // default: the real clock
	Observer        Observer // default: none
	Logger          *slog.Logger

	// ConfirmTTL is how long a confirmation may be pressed: 60 s.
	ConfirmTTL time.Duration
	// RebootCooldown is the time between two reboots of one pod or location (and a pod after
	// its location): 10 min (PLUMEBOT_REBOOT_COOLDOWN).
	RebootCooldown time.Duration
	// PerHour is how many actions a support user may confirm in any hour: 20
	// (PLUMEBOT_ACTIONS_PER_HOUR); negative means no limit. Admins have none.
	PerHour int
	// RebootWait is how long the follow-through waits for rebooted pods: 10 min
	// (PLUMEBOT_REBOOT_WAIT). It polls every RebootWait/40, between 1 s and 15 s.
	RebootWait time.Duration
	// SpeedTestWait is how long the follow-through waits for a speed test's result: 3 min.
	SpeedTestWait time.Duration
	// Poll, when set, replaces the computed poll interval of every follow-through.
	Poll time.Duration
}

// Defaults (README: the actions).
const (
	DefaultConfirmTTL     = 60 * time.Second
	DefaultRebootCooldown = 10 * time.Minute
	DefaultPerHour        = 20
	DefaultRebootWait     = 10 * time.Minute
	DefaultSpeedTestWait  = 3 * time.Minute
	// speedTestCooldown and optimizeCooldown are fixed: a speed test takes about a minute and
	// Plume runs one at a time; an optimization re-plans channels for minutes.
	speedTestCooldown = 2 * time.Minute
	optimizeCooldown  = 10 * time.Minute
	// confirmGrace keeps a pending record past its expiry, so the expiry is seen (and
	// audited) by whoever takes it, not lost to the store's own TTL.
	confirmGrace = 10 * time.Minute
	// targetLockTTL bounds the cross-replica lock held around one action's check and request.
	// The request gets actTimeout, less than the lock, whatever PLUME_TIMEOUT says: the
	// lock must outlive it, and the cooldown written after it.
	targetLockTTL = 45 * time.Second
	actTimeout    = 35 * time.Second
)

// Engine runs the actions. It is safe for concurrent use; its state is in the Store, so
// replicas sharing one Redis share confirmations, cooldowns and limits.
type Engine struct {
	cfg   Config
	st    Store
	clock Clock
	obs   Observer
	log   *slog.Logger
	roles roles
}

// New returns an Engine. It panics without a Store: that is a wiring error.
func New(cfg Config) *Engine {
	if cfg.Store == nil {
		panic("action: New needs a Store")
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ConfirmTTL <= 0 {
		cfg.ConfirmTTL = DefaultConfirmTTL
	}
	if cfg.RebootCooldown <= 0 {
		cfg.RebootCooldown = DefaultRebootCooldown
	}
	if cfg.PerHour == 0 {
		cfg.PerHour = DefaultPerHour
	}
	if cfg.RebootWait <= 0 {
		cfg.RebootWait = DefaultRebootWait
	}
	if cfg.SpeedTestWait <= 0 {
		cfg.SpeedTestWait = DefaultSpeedTestWait
	}
	return &Engine{cfg: cfg, st: cfg.Store, clock: cfg.Clock, obs: cfg.Observer, log: cfg.Logger,
		roles: newRoles(cfg.Support, cfg.Admins)}
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

type nopObserver struct{}

func (nopObserver) Audit(Event)          {}
func (nopObserver) Outcome(Kind, string) {}
