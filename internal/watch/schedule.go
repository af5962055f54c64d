package watch

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"plumebot/internal/health"
	"plumebot/internal/plume"
)

// slot is a watch in the schedule: its key and when its last check started.
type slot struct {
	key  string
	last time.Time
	busy atomic.Bool // its check is running
}

// schedule starts one check every interval/N (N watches), each time the watch checked
// least recently, so every watch is checked once per interval and requests never come in
// bursts. It lists the watches again every MinInterval (or when one is added here).
func (l *leader) schedule() {
	e := l.e
	slots := map[string]*slot{}
	var (
		order             []*slot
		interval, spacing time.Duration
		listed            time.Time
		published         time.Time     // the back-off last published
		sum               time.Duration // time between two checks of a watch, summed since the last publish
		samples           int
		window            = time.Now()
		achieved          time.Duration
	)
	relist := func(now time.Time) {
		listed = now
		keys, err := e.keys(l.ctx, Selector{})
		if err != nil {
			if l.ctx.Err() == nil {
				e.log.Warn("watch: list watches", "err", err)
			}
			return
		}
		next := make(map[string]*slot, len(keys))
		order = order[:0]
		for _, k := range keys {
			s := slots[k]
			if s == nil {
				s = &slot{key: k}
			}
			next[k] = s
			order = append(order, s)
		}
		slots = next
		interval = e.interval(len(order))
		spacing = interval / time.Duration(max(len(order), 1))
		if samples > 0 {
			achieved = sum / time.Duration(samples)
		}
		l.mu.Lock()
		rate := float64(l.requests) / max(now.Sub(window).Seconds(), 1e-9)
		l.requests = 0
		backoff := l.backoff
		l.mu.Unlock()
		sum, samples, window, published = 0, 0, now, backoff
		e.obs.Watches(len(order))
		e.obs.Interval(interval, achieved)
		e.publish(l.ctx, Stats{Watches: len(order), Interval: interval, Achieved: achieved, Budget: e.cfg.Budget,
			RequestRate: rate, BackoffUntil: backoff, UpdatedAt: now})
	}

	relist(time.Now())
	next := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-e.poke:
			idle := len(order) == 0
			relist(time.Now())
			if idle {
				next = time.Now() // the first watch: no need to wait out the idle period
			}
			timer.Reset(time.Until(next))
			continue
		case <-timer.C:
		}
		now := time.Now()
		if until := l.backoffUntil(); now.Before(until) {
			// Publish the back-off at once, and keep the published schedule fresh during it.
			if !published.Equal(until) || now.Sub(listed) >= e.cfg.MinInterval {
				relist(now)
			}
			next = until
			timer.Reset(min(until.Sub(now), e.cfg.MinInterval))
			continue
		}
		if now.Sub(listed) >= min(interval, e.cfg.MinInterval) || len(order) == 0 {
			relist(now)
		}
		if len(order) == 0 {
			next = now.Add(e.cfg.MinInterval)
			timer.Reset(e.cfg.MinInterval)
			continue
		}
		var pick *slot
		for _, s := range order {
			if !s.busy.Load() && (pick == nil || s.last.Before(pick.last)) {
				pick = s
			}
		}
		// Due within half a spacing: ticks and intervals never line up to the nanosecond.
		if pick != nil && (pick.last.IsZero() || now.Sub(pick.last) >= interval-spacing/2) {
			select {
			case l.slots <- struct{}{}:
				var lag time.Duration
				if !pick.last.IsZero() {
					sum += now.Sub(pick.last)
					samples++
					lag = max(0, now.Sub(pick.last.Add(interval)))
				}
				pick.last = now
				pick.busy.Store(true)
				l.wg.Go(func() {
					defer func() { <-l.slots; pick.busy.Store(false) }()
					l.check(pick.key, lag)
				})
			default: // MaxInFlight checks still running: skip this turn rather than burst later
			}
		}
		next = next.Add(spacing)
		if next.Before(now) {
			next = now.Add(spacing)
		}
		timer.Reset(next.Sub(now))
	}
}

func (l *leader) backoffUntil() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.backoff
}

func (l *leader) backOff(now time.Time, retryAfter time.Duration) {
	until := now.Add(max(retryAfter, l.e.cfg.RateLimitBackoff))
	l.mu.Lock()
	if until.After(l.backoff) {
		l.backoff = until
	}
	l.mu.Unlock()
	l.e.obs.BackOff(until)
	l.e.log.Warn("watch: Plume's firewall refused a check; the watcher backs off", "until", until)
}

// sweep delivers what earlier terms (or a replica that died) left in outboxes.
func (l *leader) sweep() {
	keys, err := l.e.keys(l.ctx, Selector{})
	if err != nil {
		return
	}
	for _, k := range keys {
		if r, err := l.e.load(l.ctx, k); err == nil && len(r.Outbox) > 0 {
			l.deliverAsync(k)
		}
	}
}

// failure classifies a failed check.
type failure struct {
	reason      PauseReason // the pause it leads to; "": none (transient)
	immediate   bool        // pause at once, without waiting for HoldChecks failures
	perUser     bool        // the user's credentials are at fault: all the user's watches pause
	rateLimited bool
	retryAfter  time.Duration
	text        string // user-safe
}

func classify(err error) failure {
	switch {
	case errors.Is(err, ErrNoCredentials):
		return failure{reason: ReasonLoggedOut, immediate: true, perUser: true, text: "no Plume credentials"}
	case errors.Is(err, ErrAccessRevoked):
		return failure{reason: ReasonAccessRevoked, immediate: true, perUser: true, text: "no longer allowed to use the bot"}
	}
	f := failure{text: health.Reason(err)}
	var pe *plume.Error
	if errors.As(err, &pe) {
		switch pe.Kind {
		case plume.KindUnauthorized:
			f.reason, f.perUser = ReasonCredentials, true
		case plume.KindTokenFailed:
			if pe.Cause == plume.CauseCredentialsRejected || pe.Cause == plume.CauseScope {
				f.reason, f.perUser = ReasonCredentials, true
			}
		case plume.KindForbidden:
			f.reason = ReasonForbidden
		case plume.KindNotFound:
			f.reason = ReasonNotFound
		case plume.KindRateLimited:
			// Plume refused (a WAF 403, a 429): back off. Status 0 is the bot's own per-host
			// limit, busy with the agents' commands past the check's deadline: the request
			// never left, and the next turn tries again.
			if pe.Status != 0 {
				f.rateLimited, f.retryAfter = true, pe.RetryAfter
			}
		}
	}
	return f
}

// read gets the credentials and the reading, within CheckTimeout.
func (l *leader) read(r *record) (Reading, error) {
	ctx, cancel := context.WithTimeout(l.ctx, l.e.cfg.CheckTimeout)
	defer cancel()
	creds, err := l.e.creds.Credentials(ctx, r.UserID)
	if err != nil {
		return Reading{}, err
	}
	rd, err := l.e.rd.LocationAndPods(ctx, creds, r.CustomerID, r.LocationID)
	if err == nil && rd.Location == nil {
		err = &plume.Error{Kind: plume.KindInvalidResponse, Endpoint: "location"}
	}
	return rd, err
}

// check reads one watch's location and folds the result into its record: state, pending
// changes and the alerts they cause, in one write. Then it delivers those alerts.
func (l *leader) check(key string, lag time.Duration) {
	e := l.e
	r, err := e.load(l.ctx, key)
	if err != nil {
		switch {
		case unopenable(err):
			e.drop(l.ctx, key, err)
		case !errors.Is(err, ErrNotFound) && l.ctx.Err() == nil:
			e.log.Warn("watch: load a watch", "err", err)
		}
		e.obs.Check(CheckSkipped, lag)
		return
	}
	if len(r.Outbox) > 0 {
		l.deliverAsync(key)
	}
	if r.Paused != "" {
		e.obs.Check(CheckSkipped, lag)
		e.log.Debug("watch: checked", "watch", r.ID, "outcome", CheckSkipped, "paused", r.Paused)
		return
	}
	start := time.Now()
	rd, rerr := l.read(r)
	e.obs.Requests(rd.Requests)
	l.mu.Lock()
	l.requests += rd.Requests
	l.mu.Unlock()
	f := classify(rerr)
	if f.rateLimited {
		l.backOff(start, f.retryAfter)
		e.obs.Check(CheckRateLimited, lag)
		return
	}
	outcome := CheckOK
	var pauseUser bool
	r, err = e.update(l.ctx, key, func(r *record) error {
		if r.Paused != "" || !start.After(r.LastCheck) {
			outcome = CheckSkipped // paused meanwhile, or a newer check was applied already
			return errNoChange
		}
		r.LastCheck = start
		if rerr == nil {
			r.apply(observe(rd, start), start, &e.cfg)
			return nil
		}
		outcome, r.LastErr = CheckFailed, f.text
		if f.reason == "" {
			return nil
		}
		if r.FailFor != f.reason {
			r.Fails = 0
		}
		r.Fails++
		r.FailFor = f.reason
		if !f.immediate && r.Fails < e.cfg.HoldChecks {
			return nil
		}
		outcome = CheckPaused
		if f.perUser {
			pauseUser = true // with the user's other watches, below
			return nil
		}
		r.pause(f.reason, start)
		r.push(Alert{Kind: KindPaused, Reason: f.reason, Affected: 1, Level: r.Confirmed.level(),
			PrevLevel: r.Announced.level()}, start)
		return nil
	})
	if err != nil {
		if l.ctx.Err() == nil {
			e.log.Warn("watch: save a check", "err", err)
		}
		e.obs.Check(CheckFailed, lag)
		return
	}
	e.reportDropped(r)
	e.obs.Check(outcome, lag)
	e.log.Debug("watch: checked", "watch", r.ID, "outcome", outcome, "requests", rd.Requests)
	if pauseUser {
		for _, k := range e.pauseUser(l.ctx, r.UserID, f.reason, key) {
			l.deliverAsync(k)
		}
		return
	}
	if len(r.Outbox) > 0 {
		l.deliverAsync(key)
	}
}

func (e *Engine) reportDropped(r *record) {
	for _, k := range r.dropped {
		e.obs.Alert(k, AlertDropped)
	}
	r.dropped = nil
}
