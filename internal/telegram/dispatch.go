package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"plumebot/internal/bot"
)

// Reasons an accepted update is dropped, as Metrics.UpdateDropped receives them.
const (
	DropFlood       = "flood"       // its user already had UserQueue updates waiting
	DropDuplicate   = "duplicate"   // delivered before (a webhook retry, another replica, a refetch)
	DropUndecodable = "undecodable" // a shape the library cannot decode (logged with its path)
	DropShutdown    = "shutdown"    // still queued when a drain ran out of time (given back)
)

// Fixed texts the adapter sends itself to a user whose updates it drops for flooding: the
// update never reaches the core, and the notice must not wait behind the queue it reports.
const (
	floodNotice = "⏳ You sent several messages at once. I am still working on the earlier ones " +
		"and skipped the rest: send them again once I have answered."
	floodToast = "⏳ Still working on your earlier requests: press again in a moment."
)

// Grace given to handlers cancelled at the end of a drain to return.
const cancelGrace = 5 * time.Second

// errStopped refuses updates once a drain has begun.
var errStopped = errors.New("telegram: stopping, no new updates are taken")

type job struct {
	u        bot.Update
	h        Handler
	giveBack func() // forgets the update was taken, so a redelivery is handled
}

// userQueue holds the updates of one user waiting behind the one being handled.
type userQueue struct {
	pending []job
	noticed bool // the flood notice went out in this burst (the queue's lifetime)
}

// dispatcher runs updates: one user's one at a time and in order, users in parallel, at most
// MaxWorkers at once. One user's waiting updates are bounded (UserQueue; more are dropped
// with one notice per burst), and all queued and running together (16 × MaxWorkers; more wait
// at intake), so a flood can neither grow memory nor delay other users beyond that.
type dispatcher struct {
	a       *Adapter
	slots   chan struct{} // queued + running updates
	workers chan struct{} // running handlers
	wg      sync.WaitGroup
	base    context.Context // parent of handlers' contexts: cancelled when a drain runs out
	cancel  context.CancelFunc
	drained sync.Once

	mu       sync.Mutex
	users    map[int64]*userQueue
	changed  chan struct{}  // closed and replaced when an update starts or frees its slot
	waiting  map[int64]bool // IDs of updates taken and not started: the poller confirms below them
	closed   bool           // draining: nothing new is taken
	giveBack bool           // the drain ran out of time: queued updates are not started
	given    int            // updates given back
}

func (d *dispatcher) init(a *Adapter) {
	d.a = a
	d.slots = make(chan struct{}, a.opts.MaxWorkers*16)
	d.workers = make(chan struct{}, a.opts.MaxWorkers)
	d.base, d.cancel = context.WithCancel(context.Background())
	d.users = map[int64]*userQueue{}
	d.waiting = map[int64]bool{}
	d.changed = make(chan struct{})
}

func (d *dispatcher) notifyLocked() {
	close(d.changed)
	d.changed = make(chan struct{})
}

// started returns a channel closed at the next start or end of an update.
func (d *dispatcher) started() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changed
}

// dispatch queues j. It waits only while every slot is taken; it returns errStopped once a
// drain began, and nil for an update it dropped (flood).
func (d *dispatcher) dispatch(ctx context.Context, j job) error {
	for {
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return errStopped
		}
		q := d.users[j.u.UserID]
		if q != nil && len(q.pending) >= d.a.opts.UserQueue {
			first := !q.noticed
			q.noticed = true
			d.mu.Unlock()
			d.dropFlood(j, first)
			return nil
		}
		select {
		case d.slots <- struct{}{}:
			d.waiting[j.u.ID] = true
			if q != nil {
				q.pending = append(q.pending, j)
			} else {
				q = &userQueue{}
				d.users[j.u.UserID] = q
				d.wg.Add(1)
				go d.run(j.u.UserID, q, j)
			}
			d.mu.Unlock()
			return nil
		default:
		}
		changed := d.changed
		d.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// full reports whether userID's queue is full: an update of theirs now would be dropped.
func (d *dispatcher) full(userID int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	q := d.users[userID]
	return q != nil && len(q.pending) >= d.a.opts.UserQueue
}

// dropFlood drops j; the first drop of a burst tells the user, in private chats only (a group
// hears nothing from a flood), and a dropped button press is answered so its spinner stops.
func (d *dispatcher) dropFlood(j job, first bool) {
	d.a.metrics.UpdateDropped(DropFlood)
	level := slog.LevelDebug // one line per burst is enough to see a flood; the metric counts them all
	if first {
		level = slog.LevelInfo
	}
	d.a.log.Log(context.Background(), level, "telegram: dropping an update, its user has too many waiting",
		"update_id", j.u.ID, "user_id", j.u.UserID, "waiting", d.a.opts.UserQueue)
	if j.u.Callback != nil && j.u.Callback.Answered { // the queue filled after the core answered it
		return
	}
	if j.u.Callback == nil && (!first || j.u.ChatType != bot.ChatPrivate) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(d.base, requestTimeout)
		defer cancel()
		c := d.a.Chat()
		var err error
		if j.u.Callback != nil {
			err = c.AnswerCallback(ctx, j.u.Callback.ID, floodToast)
		} else {
			_, err = c.Send(ctx, j.u.ChatID, floodNotice, nil)
		}
		if err != nil {
			d.a.log.Info("telegram: the flood notice was not delivered", "user_id", j.u.UserID, "err", err)
		}
	}()
}

func (d *dispatcher) run(userID int64, q *userQueue, j job) {
	defer d.wg.Done()
	for {
		worker := false
		select {
		case d.workers <- struct{}{}:
			worker = true
		case <-d.base.Done():
		}
		d.mu.Lock()
		if d.giveBack {
			rest := append([]job{j}, q.pending...)
			q.pending = nil
			delete(d.users, userID)
			d.given += len(rest)
			d.mu.Unlock()
			if worker {
				<-d.workers
			}
			for _, r := range rest {
				d.a.metrics.UpdateDropped(DropShutdown)
				r.giveBack()
				d.freeSlot()
			}
			return
		}
		delete(d.waiting, j.u.ID) // started: from now on it counts as taken
		d.notifyLocked()
		d.mu.Unlock()
		d.handle(j)
		<-d.workers
		d.freeSlot()
		d.mu.Lock()
		if len(q.pending) == 0 {
			delete(d.users, userID)
			d.mu.Unlock()
			return
		}
		j, q.pending = q.pending[0], q.pending[1:]
		d.mu.Unlock()
	}
}

func (d *dispatcher) freeSlot() {
	<-d.slots
	d.mu.Lock()
	d.notifyLocked()
	d.mu.Unlock()
}

// handle runs one handler with its own deadline; a panic is logged, not fatal.
func (d *dispatcher) handle(j job) {
	ctx, cancel := context.WithTimeout(d.base, d.a.opts.HandleTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			d.a.log.Error("update handler panicked", "update_id", j.u.ID, "user_id", j.u.UserID,
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	j.h.Handle(ctx, j.u)
}

// lowWater is the offset that confirms every update taken and started and no update still
// waiting: the smallest waiting ID, or next when none waits.
func (d *dispatcher) lowWater(next int64) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id := range d.waiting {
		next = min(next, id)
	}
	return next
}

// waitingBelow counts the updates taken and never started whose IDs are below offset.
func (d *dispatcher) waitingBelow(offset int64) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for id := range d.waiting {
		if id < offset {
			n++
		}
	}
	return n
}

// drain stops taking updates and waits for queued and running ones for at most timeout; then
// it gives queued ones back, cancels running handlers and waits for them at most cancelGrace.
// Only its first call does anything.
func (d *dispatcher) drain(timeout time.Duration) {
	d.drained.Do(func() {
		d.mu.Lock()
		d.closed = true
		d.mu.Unlock()
		if waitGroup(&d.wg, timeout) {
			return
		}
		d.mu.Lock()
		d.giveBack = true
		running := len(d.workers)
		d.mu.Unlock()
		d.cancel()
		finished := waitGroup(&d.wg, cancelGrace)
		d.mu.Lock()
		given := d.given
		d.mu.Unlock()
		d.a.log.Warn("telegram: stopped before every update was handled", "drain_timeout", timeout,
			"not_handled", given, "cancelled", running, "all_returned", finished)
	})
}

// waitGroup waits for wg at most d and reports whether it finished.
func waitGroup(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// Wait blocks until every queued and running handler has finished.
func (a *Adapter) Wait() { a.queue.wg.Wait() }

// Drain stops taking updates (a webhook delivery then gets 503, so Telegram keeps it) and
// waits for the queued and running ones at most DrainTimeout. Then queued updates are given
// back unhandled (their IDs forgotten, so a redelivery is handled; Poll leaves them
// unconfirmed) and running handlers are cancelled; both are logged by count. Poll drains when
// it stops; in webhook mode call Drain after the HTTP server stopped taking deliveries.
func (a *Adapter) Drain() { a.queue.drain(a.opts.DrainTimeout) }
