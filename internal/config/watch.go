package config

import (
	"strconv"
	"strings"
	"time"
)

// Watch is the watcher's configuration (PLUMEBOT_WATCH_*).
type Watch struct {
	// Interval is the shortest time between two checks of one watched location
	// (PLUMEBOT_WATCH_INTERVAL, default 60 s, at least MinWatchInterval).
	Interval time.Duration
	// Budget is the Plume requests per second the watcher may use (PLUMEBOT_WATCH_BUDGET,
	// default a third of PLUME_RATE_LIMIT, at most PLUME_RATE_LIMIT).
	Budget float64
	// MaxPerChat and Max cap the watches of one chat and of the whole bot
	// (PLUMEBOT_WATCH_MAX_PER_CHAT, default 20; PLUMEBOT_WATCH_MAX, default 1000).
	MaxPerChat, Max int
	// HoldChecks or HoldTime (PLUMEBOT_WATCH_HOLD: a number of consecutive checks, default 2,
	// or a duration): how long a change must hold before it is announced.
	HoldChecks int
	HoldTime   time.Duration
	// FlapLimit: more outages than this within an hour make one "flapping" alert
	// (PLUMEBOT_WATCH_FLAP_LIMIT, default 3).
	FlapLimit int
}

// MinWatchInterval is the shortest PLUMEBOT_WATCH_INTERVAL: checks more often than this
// would spend Plume's budget on nothing a person can act on.
const MinWatchInterval = 5 * time.Second

// maxWatchInterval bounds PLUMEBOT_WATCH_INTERVAL: checks a day apart watch nothing.
const maxWatchInterval = 24 * time.Hour

// watch reads PLUMEBOT_WATCH_*; plumeRate is PLUME_RATE_LIMIT, already read.
func (l *loader) watch(plumeRate float64) Watch {
	w := Watch{MaxPerChat: 20, Max: 1000, HoldChecks: 2, FlapLimit: 3}
	w.Interval = l.duration("PLUMEBOT_WATCH_INTERVAL", time.Minute, MinWatchInterval, maxWatchInterval)
	// At most PLUME_RATE_LIMIT: the watcher shares it with the agents.
	w.Budget = l.positive("PLUMEBOT_WATCH_BUDGET", plumeRate/3, plumeRate)
	w.MaxPerChat = l.positiveCount("PLUMEBOT_WATCH_MAX_PER_CHAT", w.MaxPerChat)
	w.Max = l.positiveCount("PLUMEBOT_WATCH_MAX", w.Max)
	w.FlapLimit = l.positiveCount("PLUMEBOT_WATCH_FLAP_LIMIT", w.FlapLimit)
	if v := strings.TrimSpace(l.getenv("PLUMEBOT_WATCH_HOLD")); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 1 {
			w.HoldChecks = n
		} else if d, err := time.ParseDuration(v); err == nil && d > 0 && d <= maxWatchInterval {
			w.HoldTime = d
		} else {
			l.fail(bad("PLUMEBOT_WATCH_HOLD", "must be a number of checks (2) or a duration (3m), not %q", v))
		}
	}
	return w
}

// positiveCount reads a whole number ≥ 1.
func (l *loader) positiveCount(name string, def int) int {
	v := strings.TrimSpace(l.getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		l.fail(bad(name, "must be a whole number of at least 1, not %q", v))
		return def
	}
	return n
}
