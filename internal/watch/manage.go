package watch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"plumebot/internal/plume"
)

// MaxSnooze is the longest snooze Snooze accepts.
const MaxSnooze = 7 * 24 * time.Hour

// pokeLoop tells this replica's checking loop (if it is the checking one) to list the
// watches again now; another replica's loop finds them within MinInterval.
func (e *Engine) pokeLoop() {
	select {
	case e.poke <- struct{}{}:
	default:
	}
}

// Add starts watching a location for a chat (topic). Watching one already watched there
// returns it with ErrAlreadyWatched, or resumes it if it was paused. Errors: ErrInvalid
// (bad IDs or mode), *LimitError (ErrLimit), the store's.
func (e *Engine) Add(ctx context.Context, nw NewWatch) (Watch, error) {
	if nw.Mode == "" {
		nw.Mode = ModeOutages
	}
	switch {
	case nw.ChatID == 0 || nw.UserID == 0:
		return Watch{}, fmt.Errorf("%w: a chat and a user are required", ErrInvalid)
	case !nw.Mode.valid():
		return Watch{}, fmt.Errorf("%w: unknown mode %q", ErrInvalid, nw.Mode)
	}
	if err := plume.ValidateID("customer", nw.CustomerID); err != nil {
		return Watch{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := plume.ValidateID("location", nw.LocationID); err != nil {
		return Watch{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	// One spelling per location, or "64F0…" and "64f0…" would be two watches of it.
	nw.CustomerID, nw.LocationID = plume.CanonicalID(nw.CustomerID), plume.CanonicalID(nw.LocationID)
	if err := e.ensureIndexed(ctx); err != nil {
		return Watch{}, err
	}
	unlock, err := e.st.Lock(ctx, registryLock, lockTTL)
	if err != nil {
		return Watch{}, err
	}
	defer unlock()
	all, err := e.keys(ctx, Selector{})
	if err != nil {
		return Watch{}, err
	}
	refs, err := e.refs(ctx, nw.ChatID)
	if err != nil {
		return Watch{}, err
	}
	inChat := 0
	var gone []string // entries whose watch is gone or does not open
	for _, ref := range refs {
		k := recordKey(nw.ChatID, ref.UserID, ref.ID)
		r, err := e.load(ctx, k)
		switch {
		case errors.Is(err, ErrNotFound):
			gone = append(gone, ref.ID)
			continue
		case err != nil:
			return Watch{}, err
		}
		inChat++
		if !ref.is(nw.ThreadID, nw.CustomerID, nw.LocationID) {
			continue
		}
		if r.Paused == "" {
			return r.Watch, ErrAlreadyWatched
		}
		r, err = e.update(ctx, k, func(r *record) error { r.resume(); return nil })
		if err != nil {
			return Watch{}, err
		}
		e.pokeLoop()
		return r.Watch, nil
	}
	switch {
	case inChat >= e.cfg.MaxPerChat:
		return Watch{}, &LimitError{Scope: "chat", Max: e.cfg.MaxPerChat}
	case len(all) >= e.cfg.MaxWatches && e.countOpen(ctx, all) >= e.cfg.MaxWatches:
		return Watch{}, &LimitError{Scope: "all", Max: e.cfg.MaxWatches}
	}
	w := Watch{ID: newID(), ChatID: nw.ChatID, ThreadID: nw.ThreadID, UserID: nw.UserID,
		CustomerID: nw.CustomerID, LocationID: nw.LocationID, Name: nw.Name, Mode: nw.Mode, Created: time.Now()}
	// The index first: a watch is never without its entry (index.go).
	if err := e.indexAdd(ctx, w, gone...); err != nil {
		return Watch{}, err
	}
	if err := e.save(ctx, recordKey(w.ChatID, w.UserID, w.ID), &record{Watch: w}); err != nil {
		return Watch{}, err
	}
	e.pokeLoop()
	return w, nil
}

// countOpen counts the watches among keys that open: those that do not (a dropped key) are
// absent, and count against no limit even before the checking loop drops them. Add asks
// only at the limit, where it is worth opening every watch.
func (e *Engine) countOpen(ctx context.Context, keys []string) int {
	n := 0
	for _, k := range keys {
		if _, err := e.load(ctx, k); !unopenable(err) {
			n++
		}
	}
	return n
}

// Remove stops watch id of chatID and drops its undelivered alerts. A watch whose record
// cannot be opened is removed too (its Watch then has only the ID).
func (e *Engine) Remove(ctx context.Context, chatID int64, id string) (Watch, error) {
	key, err := e.find(ctx, chatID, id)
	if err != nil {
		return Watch{}, err
	}
	w := Watch{ID: id, ChatID: chatID}
	err = e.withLock(ctx, id, func() error {
		r, err := e.load(ctx, key)
		switch {
		case err == nil:
			w = r.Watch
			for _, en := range r.Outbox {
				e.obs.Alert(en.Alert.Kind, AlertDropped)
			}
		case unopenable(err):
			e.log.Warn("watch: removing a watch that cannot be read", "chat", chatID, "watch", id, "err", err)
		default:
			return err // ErrNotFound: gone meanwhile; its entry goes below
		}
		return e.st.DeleteRecord(ctx, key)
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Watch{}, err
	}
	// The entry after the watch: a watch is never without its entry (index.go).
	if ierr := e.indexRemove(ctx, chatID, id); ierr != nil {
		return Watch{}, ierr
	}
	if err != nil {
		return Watch{}, ErrNotFound
	}
	return w, nil
}

// Get returns watch id of chatID with its state.
func (e *Engine) Get(ctx context.Context, chatID int64, id string) (Status, error) {
	key, err := e.find(ctx, chatID, id)
	if err != nil {
		return Status{}, err
	}
	r, err := e.load(ctx, key)
	if err != nil {
		return Status{}, err
	}
	st, err := e.Stats(ctx)
	if err != nil {
		return Status{}, err
	}
	return r.status(st), nil
}

// List returns the watches of chatID (all topics), oldest first. A record that cannot be
// opened (a dropped secret key) is left out and logged.
func (e *Engine) List(ctx context.Context, chatID int64) ([]Status, error) {
	keys, err := e.keys(ctx, Selector{ChatID: chatID})
	if err != nil {
		return nil, err
	}
	st, err := e.Stats(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(keys))
	for _, k := range keys {
		r, err := e.load(ctx, k)
		switch {
		case errors.Is(err, ErrNotFound):
			continue
		case err != nil:
			e.log.Warn("watch: a watch of this chat cannot be read", "chat", chatID, "err", err)
			continue
		}
		out = append(out, r.status(st))
	}
	slices.SortFunc(out, func(a, b Status) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (r *record) status(st Stats) Status {
	s := Status{Watch: r.Watch, Known: r.Confirmed != nil, LastCheck: r.LastCheck, LastError: r.LastErr,
		Flapping: r.Flapping, Pending: len(r.Outbox)}
	if s.Known {
		s.Online, s.Level = r.Confirmed.online(), r.Confirmed.level()
		for _, p := range r.pods(r.Confirmed, 0) {
			s.PodsDown = append(s.PodsDown, p.Name)
		}
	}
	if r.Incident != nil {
		in := *r.Incident
		s.Incident = &in
	}
	every := cmp.Or(st.Achieved, st.Interval)
	if r.Paused == "" && !r.LastCheck.IsZero() && every > 0 {
		s.NextCheck = r.LastCheck.Add(every)
	}
	return s
}

// change applies fn to watch id of chatID under its lock and returns the watch after it.
func (e *Engine) change(ctx context.Context, chatID int64, id string, fn func(r *record) error) (*record, error) {
	key, err := e.find(ctx, chatID, id)
	if err != nil {
		return nil, err
	}
	return e.update(ctx, key, fn)
}

// Snooze holds back the watch's alerts for d from now (0 ends a snooze); checks go on, and
// when it ends the chat is told what is still different from what it was last told.
// ErrInvalid unless 0 ≤ d ≤ MaxSnooze.
func (e *Engine) Snooze(ctx context.Context, chatID int64, id string, d time.Duration) (Watch, error) {
	if d < 0 || d > MaxSnooze {
		return Watch{}, fmt.Errorf("%w: a snooze lasts at most %s", ErrInvalid, MaxSnooze)
	}
	r, err := e.change(ctx, chatID, id, func(r *record) error {
		r.SnoozedUntil = time.Time{}
		if d > 0 {
			r.SnoozedUntil = time.Now().Add(d)
		}
		return nil
	})
	if err != nil {
		return Watch{}, err
	}
	return r.Watch, nil
}

// SetMode changes which changes the watch announces.
func (e *Engine) SetMode(ctx context.Context, chatID int64, id string, m Mode) (Watch, error) {
	if !m.valid() {
		return Watch{}, fmt.Errorf("%w: unknown mode %q", ErrInvalid, m)
	}
	r, err := e.change(ctx, chatID, id, func(r *record) error { r.Mode = m; return nil })
	if err != nil {
		return Watch{}, err
	}
	return r.Watch, nil
}

// Ack records that by took charge of the open incident number incident (Alert.Incident)
// and returns it. Later alerts of the incident carry AckedBy. ErrIncidentClosed when it is
// no longer open; ErrAlreadyAcked (with the incident, naming who) when acknowledged before.
func (e *Engine) Ack(ctx context.Context, chatID int64, id string, incident int64, by Actor) (Incident, error) {
	var in Incident
	_, err := e.change(ctx, chatID, id, func(r *record) error {
		if r.Incident == nil || r.Incident.Seq != incident {
			return ErrIncidentClosed
		}
		if r.Incident.AckedBy != nil {
			in = *r.Incident
			return ErrAlreadyAcked
		}
		r.Incident.AckedBy, r.Incident.AckedAt = &by, time.Now()
		in = *r.Incident
		return nil
	})
	return in, err
}

// PauseWatches pauses the active watches sel picks (/logout: by user; a chat found
// unreachable: by chat) without telling the chat, and returns how many it paused.
func (e *Engine) PauseWatches(ctx context.Context, sel Selector, reason PauseReason) (int, error) {
	if sel == (Selector{}) || reason == "" {
		return 0, fmt.Errorf("%w: pause needs a chat or a user, and a reason", ErrInvalid)
	}
	n := 0
	err := e.each(ctx, sel, func(r *record) error {
		if r.Paused != "" {
			return errNoChange
		}
		r.pause(reason, time.Now())
		n++
		return nil
	})
	return n, err
}

// ResumeWatches resumes the watches sel picks that were paused for one of reasons (any
// reason when none is given) and returns how many.
func (e *Engine) ResumeWatches(ctx context.Context, sel Selector, reasons ...PauseReason) (int, error) {
	if sel == (Selector{}) {
		return 0, fmt.Errorf("%w: resume needs a chat or a user", ErrInvalid)
	}
	n := 0
	err := e.each(ctx, sel, func(r *record) error {
		if r.Paused == "" || len(reasons) > 0 && !slices.Contains(reasons, r.Paused) {
			return errNoChange
		}
		r.resume()
		n++
		return nil
	})
	if n > 0 {
		e.pokeLoop()
	}
	return n, err
}

// each updates every watch sel picks; one that vanished meanwhile is skipped.
func (e *Engine) each(ctx context.Context, sel Selector, fn func(r *record) error) error {
	keys, err := e.keys(ctx, sel)
	if err != nil {
		return err
	}
	var errs []error
	for _, k := range keys {
		r, err := e.update(ctx, k, fn)
		if err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
		}
		if r != nil {
			e.reportDropped(r)
		}
	}
	return errors.Join(errs...)
}

// pauseUser pauses every active watch of userID (their credentials failed) and queues one
// KindPaused alert per chat, on trigger when it is among them. It returns the keys of the
// watches that carry an alert.
func (e *Engine) pauseUser(ctx context.Context, userID int64, reason PauseReason, trigger string) []string {
	keys, err := e.keys(ctx, Selector{UserID: userID})
	if err != nil {
		e.log.Warn("watch: list a user's watches to pause them", "err", err)
		return nil
	}
	if i := slices.Index(keys, trigger); i > 0 {
		keys[0], keys[i] = keys[i], keys[0] // the check's own watch carries its chat's alert
	}
	now := time.Now()
	type chat struct {
		first string
		n     int
	}
	chats := map[int64]*chat{}
	var order []int64
	for _, k := range keys {
		c, _, _, _ := parseKey(k)
		if _, err := e.update(ctx, k, func(r *record) error {
			if r.Paused != "" {
				return errNoChange
			}
			r.pause(reason, now)
			if chats[c] == nil {
				chats[c] = &chat{first: k}
				order = append(order, c)
			}
			chats[c].n++
			return nil
		}); err != nil && !errors.Is(err, ErrNotFound) {
			e.log.Warn("watch: pause a watch", "err", err)
		}
	}
	var carriers []string
	for _, c := range order {
		n := chats[c].n
		if _, err := e.update(ctx, chats[c].first, func(r *record) error {
			r.push(Alert{Kind: KindPaused, Reason: reason, Affected: n, Level: r.Confirmed.level(),
				PrevLevel: r.Announced.level()}, now)
			return nil
		}); err != nil {
			e.log.Warn("watch: queue a paused alert", "err", err)
			continue
		}
		carriers = append(carriers, chats[c].first)
	}
	return carriers
}

// MigrateChat moves the watches of chat from to chat to (a group upgraded to a supergroup
// gets a new ID) and returns how many moved.
func (e *Engine) MigrateChat(ctx context.Context, from, to int64) (int, error) {
	if from == 0 || to == 0 || from == to {
		return 0, fmt.Errorf("%w: migrate needs two different chats", ErrInvalid)
	}
	keys, err := e.keys(ctx, Selector{ChatID: from})
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, k := range keys {
		_, _, id, _ := parseKey(k)
		moved := false
		err := e.withLock(ctx, id, func() error {
			r, err := e.load(ctx, k)
			if err != nil {
				return err
			}
			r.ChatID = to
			// The new chat's entry, the watch under its new key, then the old key and entry
			// go: a crash in between leaves the watch twice (the old chat's copy pauses at
			// its first alert), never lost nor without its entry.
			if err := e.indexAdd(ctx, r.Watch); err != nil {
				return err
			}
			if err := e.save(ctx, recordKey(to, r.UserID, id), r); err != nil {
				return err
			}
			if err := e.st.DeleteRecord(ctx, k); err != nil {
				return err
			}
			moved = true
			return nil
		})
		if moved || errors.Is(err, ErrNotFound) {
			if ierr := e.indexRemove(ctx, from, id); ierr != nil {
				errs = append(errs, ierr)
			}
		}
		switch {
		case err == nil:
			n++
		case !errors.Is(err, ErrNotFound):
			errs = append(errs, err)
		}
	}
	e.pokeLoop()
	return n, errors.Join(errs...)
}
