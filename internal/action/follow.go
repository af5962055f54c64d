package action

import (
	"context"
	"fmt"
	"strings"
	"time"

	"plumebot/internal/plume"
)

// Status is what the follow-through knows of an action's effect.
type Status struct {
	Text   string // plain text: "⏳ Rebooting…", "🔴 Down", "🟢 Back after 2 min 14 s", …
	Final  bool
	Result string // when Final: the audit label (back, not_back, result, failed, no_result, requested)
}

// Follow watches a confirmed action's effect with fresh reads until it is over, reporting each
// new status (the first at once) and returning the last. After a reboot: "⏳ Rebooting…",
// "🔴 Down", then "🟢 Back after …" or "⚠️ Not back after …: check power and cabling" once
// the reboot wait has passed. After a speed test: "⏳ Speed test running…", then the figures or
// a clear failure. An optimization is final at once. When ctx ends first it returns the last
// status, not final. The final status is audited.
func (e *Engine) Follow(ctx context.Context, acc Access, c *Confirmed, report func(Status)) Status {
	var f follower
	wait := e.cfg.RebootWait
	switch c.Kind {
	case RebootPod, RebootLocation:
		f = &rebootFollower{kind: c.Kind, base: c.base.Pods, actedAt: c.ActedAt, wait: wait, now: e.clock.Now}
	case SpeedTest:
		wait = e.cfg.SpeedTestWait
		f = &speedFollower{since: c.base.Speed, wait: wait}
	default:
		st := Status{Text: "✅ Plume accepted the request; it re-plans the WiFi over the next minutes.", Final: true, Result: "requested"}
		report(st)
		e.auditEnd(c, st)
		return st
	}
	poll := e.cfg.Poll
	if poll <= 0 {
		poll = min(max(wait/40, time.Second), 15*time.Second)
	}
	deadline := c.ActedAt.Add(wait)
	last := f.start()
	report(last)
	for {
		nodes, err := acc.Reader.Nodes(ctx, c.Target.CustomerID, c.Target.LocationID)
		if ctx.Err() != nil {
			return last
		}
		var st Status
		if err != nil {
			e.log.Debug("action follow-through read failed", "action", c.Kind, "err", err)
			st = last
		} else {
			st = f.check(nodes)
		}
		if !st.Final && !e.clock.Now().Before(deadline) {
			st = f.timeout(err)
		}
		if st.Final {
			// Audited before it is shown: whoever sees the outcome can find it in the audit.
			e.auditEnd(c, st)
		}
		if st.Text != last.Text || st.Final {
			last = st
			report(st)
		}
		if st.Final {
			return st
		}
		select {
		case <-ctx.Done():
			return last
		case <-e.clock.After(min(poll, max(deadline.Sub(e.clock.Now()), 0))):
		}
	}
}

func (e *Engine) auditEnd(c *Confirmed, st Status) {
	e.obs.Audit(Event{Stage: StageOutcome, Kind: c.Kind, UserID: c.UserID, ChatID: c.ChatID, Target: c.Target,
		Result: st.Result, PlumeStatus: c.Status})
}

// follower is one action's state machine.
type follower interface {
	start() Status
	check(nodes []plume.Node) Status
	timeout(lastErr error) Status
}

type rebootFollower struct {
	kind    Kind
	base    []podBase
	actedAt time.Time
	wait    time.Duration
	now     func() time.Time
	down    map[string]bool // pods seen down since the reboot
	back    map[string]bool // pods seen back at the last read
}

func (f *rebootFollower) start() Status { return Status{Text: "⏳ Rebooting…"} }

// expected are the pods that must come back: those connected before the reboot (a pod that
// was off already is not the reboot's to bring back), or all when none was.
func (f *rebootFollower) expected() []podBase {
	var out []podBase
	for _, b := range f.base {
		if b.Connected {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return f.base
	}
	return out
}

// check says where the reboot is: a pod is down once Plume shows it disconnected after the
// request, and back once it is connected again after being down, or with a newer boot or
// state change (it may have gone down and come back between two reads).
func (f *rebootFollower) check(nodes []plume.Node) Status {
	if f.down == nil {
		f.down = map[string]bool{}
	}
	f.back = map[string]bool{}
	exp := f.expected()
	backs, latest := 0, time.Time{}
	for _, b := range exp {
		i := podIndex(nodes, b.ID)
		if i < 0 {
			f.down[b.ID] = true
			continue
		}
		n := nodes[i]
		if !n.Connected() {
			if b.Connected || n.ConnectionStateChangeAt.After(b.Changed) {
				f.down[b.ID] = true
			}
			continue
		}
		if f.down[b.ID] || n.BootAt.After(b.Boot) || n.ConnectionStateChangeAt.After(b.Changed) {
			backs++
			f.back[b.ID] = true
			if n.ConnectionStateChangeAt.After(latest) {
				latest = n.ConnectionStateChangeAt
			}
		}
	}
	switch {
	case backs == len(exp):
		// Plume's own time of the return says how long it took, whatever the polling interval;
		// the engine's clock is the fallback when Plume's is missing or behind.
		took := latest.Sub(f.actedAt)
		if latest.IsZero() || took <= 0 {
			took = f.now().Sub(f.actedAt)
		}
		return Status{Text: "🟢 Back after " + span(took), Final: true, Result: "back"}
	case len(f.down) == 0:
		return f.start()
	case len(exp) == 1:
		return Status{Text: "🔴 Down"}
	}
	return Status{Text: fmt.Sprintf("🔴 Down: %d of %d pods back", backs, len(exp))}
}

func (f *rebootFollower) timeout(lastErr error) Status {
	text := "⚠️ Not back after " + span(f.wait)
	if lastErr != nil {
		text += " (Plume did not answer the last check)"
	}
	if exp := f.expected(); len(exp) > 1 {
		var missing []string
		for _, b := range exp {
			if !f.back[b.ID] {
				missing = append(missing, b.Name)
			}
		}
		text += ": " + nameList(missing) + " not back;"
	} else {
		text += ":"
	}
	return Status{Text: text + " check power and cabling", Final: true, Result: "not_back"}
}

type speedFollower struct {
	since time.Time // the gateway's speedTest.startedAt before the request
	wait  time.Duration
	last  string // Plume's status of the new run, while it runs
}

func (f *speedFollower) start() Status { return Status{Text: "⏳ Speed test running…"} }

// running are the speed-test statuses of a run that has not ended.
var running = map[string]bool{"started": true, "running": true, "inprogress": true, "pending": true, "queued": true}

func (f *speedFollower) check(nodes []plume.Node) Status {
	gw := gateway(nodes)
	if gw < 0 || nodes[gw].SpeedTest == nil || !nodes[gw].SpeedTest.StartedAt.After(f.since) {
		return f.start()
	}
	st := nodes[gw].SpeedTest
	status := strings.ToLower(st.Status)
	switch {
	case status == "succeeded" || status == "" && (st.Download > 0 || st.Upload > 0):
		text := fmt.Sprintf("⬇ %s Mbps · ⬆ %s Mbps · %s ms", num(st.Download), num(st.Upload), num(st.RTT))
		if st.ISP != "" {
			text += " · " + st.ISP
		}
		return Status{Text: text, Final: true, Result: "result"}
	case running[status]:
		f.last = st.Status
		return f.start()
	}
	return Status{Text: fmt.Sprintf("⚠️ The speed test failed (Plume says %q). Try again later, or check the gateway's internet link.", st.Status),
		Final: true, Result: "failed"}
}

func (f *speedFollower) timeout(lastErr error) Status {
	text := "⚠️ No speed test result after " + span(f.wait)
	switch {
	case lastErr != nil:
		text += ": Plume did not answer the last check"
	case f.last != "":
		text += fmt.Sprintf(": Plume still says %q", f.last)
	default:
		text += ": the gateway may be offline or busy"
	}
	return Status{Text: text + ".", Final: true, Result: "no_result"}
}
