package watch

import (
	"context"
	"errors"
	"slices"
	"time"
)

// Delivery: claim the outbox's first alert in a locked write, send it with no lock held,
// record the outcome in another locked write. A claim keeps other engines off the alert
// while it is being sent; if the sender dies, the claim expires and the alert is sent
// again, marked Redelivery (see the package doc for this window).

// deliverAsync delivers key's outbox in a goroutine of this term, one delivery per watch
// at a time (alerts of one location stay in order).
func (l *leader) deliverAsync(key string) {
	l.mu.Lock()
	if l.delivering[key] > 0 {
		l.delivering[key] = 2 // the running delivery goes round once more
		l.mu.Unlock()
		return
	}
	l.delivering[key] = 1
	l.mu.Unlock()
	l.wg.Go(func() {
		for {
			l.deliver(key)
			l.mu.Lock()
			if l.delivering[key] == 2 && l.ctx.Err() == nil {
				l.delivering[key] = 1
				l.mu.Unlock()
				continue
			}
			delete(l.delivering, key)
			l.mu.Unlock()
			return
		}
	})
}

// retryDelay backs off transient send failures: 5 s, 10 s, 20 s … 5 min.
func retryDelay(attempts int) time.Duration {
	d := 5 * time.Second << min(max(attempts-1, 0), 6)
	return min(d, 5*time.Minute)
}

// deliver sends key's outbox in order until it is empty or an alert must wait.
func (l *leader) deliver(key string) {
	e := l.e
	for l.ctx.Err() == nil {
		var (
			a    Alert
			wait time.Time
		)
		_, err := e.update(l.ctx, key, func(r *record) error {
			if len(r.Outbox) == 0 {
				return errNoChange
			}
			en, now := &r.Outbox[0], time.Now()
			switch {
			case en.ClaimedBy != "" && en.ClaimedBy != e.holder && now.Before(en.ClaimedUntil):
				wait = en.ClaimedUntil // another engine is sending it
				return errNoChange
			case now.Before(en.NotBefore):
				wait = en.NotBefore
				return errNoChange
			}
			a = r.envelope(en)
			a.Redelivery = en.InFlight // the last attempt's outcome was never recorded
			en.ClaimedBy, en.ClaimedUntil, en.InFlight = e.holder, now.Add(2*e.cfg.SendTimeout), true
			en.Attempts++
			return nil
		})
		switch {
		case errors.Is(err, ErrNotFound):
			return
		case err != nil:
			if l.ctx.Err() == nil {
				e.log.Warn("watch: claim an alert", "err", err)
				l.retryAt(key, time.Now().Add(retryDelay(1)))
			}
			return
		case a.Seq == 0:
			if !wait.IsZero() {
				l.retryAt(key, wait)
			}
			return
		}
		if !l.send(key, a) {
			return
		}
	}
}

// send notifies a and records the outcome; it reports whether to go on with the next alert.
func (l *leader) send(key string, a Alert) bool {
	e := l.e
	select {
	case l.sends <- struct{}{}:
	case <-l.ctx.Done():
		return false
	}
	sctx, cancel := context.WithTimeout(l.ctx, e.cfg.SendTimeout)
	msgID, serr := e.nt.Notify(sctx, a)
	cancel()
	<-l.sends

	// Record the outcome even when the term just ended: an unrecorded success is a duplicate.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(l.ctx), 2*lockTTL)
	defer rcancel()
	if moved := (*ChatMovedError)(nil); errors.As(serr, &moved) {
		l.moved(rctx, key, a, moved.To)
		return false
	}
	var (
		unreachable bool
		retry       time.Time
	)
	r, err := e.update(rctx, key, func(r *record) error {
		i := slices.IndexFunc(r.Outbox, func(en entry) bool { return en.Alert.Seq == a.Seq })
		if i < 0 {
			return errNoChange // removed with its watch, or delivered by another engine after our claim expired
		}
		now := time.Now()
		switch {
		case serr == nil:
			r.delivered(i, msgID)
		case errors.Is(serr, ErrChatUnreachable):
			unreachable = true
			r.pause(ReasonChatUnreachable, now)
		default:
			en := &r.Outbox[i]
			en.ClaimedBy, en.ClaimedUntil = "", time.Time{}
			// A send cut off by its deadline may have reached Telegram: the outcome is unknown.
			en.InFlight = errors.Is(serr, context.DeadlineExceeded) || errors.Is(serr, context.Canceled)
			en.NotBefore = now.Add(retryDelay(en.Attempts))
			retry = en.NotBefore
		}
		return nil
	})
	if err != nil {
		e.log.Warn("watch: record an alert's delivery", "kind", a.Kind, "sent", serr == nil, "err", err)
		return false
	}
	e.reportDropped(r)
	switch {
	case serr == nil:
		e.obs.Alert(a.Kind, AlertSent)
		return true
	case unreachable: // the outbox was dropped, this alert with it (reported above)
		e.log.Info("watch: the chat cannot be reached; its watches pause", "chat", a.ChatID)
		if _, err := e.PauseWatches(rctx, Selector{ChatID: a.ChatID}, ReasonChatUnreachable); err != nil {
			e.log.Warn("watch: pause the watches of an unreachable chat", "chat", a.ChatID, "err", err)
		}
		return false
	}
	e.obs.Alert(a.Kind, AlertRetry)
	if !retry.IsZero() {
		e.log.Info("watch: sending an alert failed; it will be sent again", "kind", a.Kind, "chat", a.ChatID, "err", serr)
		l.retryAt(key, retry)
	}
	return false
}

// moved follows a chat to its new ID (a group upgraded to a supergroup) after Telegram
// refused alert a there: the chat's watches move (the chat side may have moved them while a
// was being sent: MigrateChat then finds none left), and a, known undelivered, is sent to
// the new chat at once, not marked as sent again.
func (l *leader) moved(ctx context.Context, key string, a Alert, to int64) {
	e := l.e
	e.obs.Alert(a.Kind, AlertRetry)
	if _, err := e.MigrateChat(ctx, a.ChatID, to); err != nil {
		e.log.Warn("watch: move the watches of a group that became a supergroup", "from_chat", a.ChatID, "to_chat", to, "err", err)
	}
	_, user, id, _ := parseKey(key)
	next := recordKey(to, user, id)
	_, err := e.update(ctx, next, func(r *record) error {
		i := slices.IndexFunc(r.Outbox, func(en entry) bool { return en.Alert.Seq == a.Seq })
		if i < 0 {
			return errNoChange
		}
		en := &r.Outbox[i]
		en.ClaimedBy, en.ClaimedUntil, en.InFlight, en.NotBefore = "", time.Time{}, false, time.Time{}
		return nil
	})
	if err != nil {
		// Still under the old key (the move failed): its claim expires and it is sent again.
		e.log.Warn("watch: send an alert to the supergroup its group became", "to_chat", to, "err", err)
		return
	}
	l.deliverAsync(next)
}

// envelope is the outbox entry's alert addressed with the watch as it is now.
func (r *record) envelope(en *entry) Alert {
	a := en.Alert
	a.WatchID, a.ChatID, a.ThreadID = r.ID, r.ChatID, r.ThreadID
	a.CustomerID, a.LocationID, a.Name, a.TimeZone = r.CustomerID, r.LocationID, r.Name, r.TimeZone
	a.ReplyTo, a.AckedBy = en.ReplyTo, en.AckedBy
	if in := r.Incident; in != nil && in.Seq == a.Incident {
		if a.ReplyTo == 0 && !a.OpensIncident {
			a.ReplyTo = in.MessageID
		}
		if in.AckedBy != nil {
			a.AckedBy = in.AckedBy
		}
	}
	return a
}

// delivered removes outbox entry i, sent as message msgID; the first alert of an incident
// becomes what the incident's later alerts reply to.
func (r *record) delivered(i int, msgID int64) {
	a := r.Outbox[i].Alert
	if a.OpensIncident {
		for j := range r.Outbox {
			if j != i && r.Outbox[j].Alert.Incident == a.Incident && r.Outbox[j].ReplyTo == 0 {
				r.Outbox[j].ReplyTo = msgID
			}
		}
		if r.Incident != nil && r.Incident.Seq == a.Incident {
			r.Incident.MessageID = msgID
		}
	}
	r.Outbox = slices.Delete(r.Outbox, i, i+1)
}

// retryAt asks for key's outbox to be delivered again at t.
func (l *leader) retryAt(key string, t time.Time) {
	l.mu.Lock()
	if cur, ok := l.retries[key]; !ok || t.Before(cur) {
		l.retries[key] = t
	}
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *leader) retryLoop() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		var (
			due  []string
			next time.Time
		)
		l.mu.Lock()
		for k, t := range l.retries {
			switch {
			case !t.After(now):
				due = append(due, k)
				delete(l.retries, k)
			case next.IsZero() || t.Before(next):
				next = t
			}
		}
		l.mu.Unlock()
		for _, k := range due {
			l.deliverAsync(k)
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = next.Sub(now)
		}
		timer.Reset(wait)
		select {
		case <-l.ctx.Done():
			return
		case <-timer.C:
		case <-l.wake:
		}
	}
}
