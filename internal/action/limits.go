package action

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"plumebot/internal/store"
)

// Reason says why the engine refused.
type Reason int

// Refusal reasons.
const (
	NotAllowed Reason = iota + 1 // the user's role may not act
	Cooldown                     // the target was acted on recently (Until)
	Limit                        // the user reached the per-hour limit (Until)
	UnknownPod                   // the pod is not in this location any more
	Expired                      // the confirmation was pressed after its TTL
	Gone                         // the confirmation was already used, cancelled or never existed
	NotYours                     // another user's confirmation
	Stale                        // signed out or signed in differently since the request
)

var reasonNames = map[Reason]string{NotAllowed: "denied", Cooldown: "cooldown", Limit: "limit",
	UnknownPod: "unknown_pod", Expired: "expired", Gone: "gone", NotYours: "not_yours", Stale: "stale"}

// String is the reason's audit and metrics label.
func (r Reason) String() string { return reasonNames[r] }

// Refusal is the engine's answer when an action may not happen (now). Error is its plain
// text for the user; a refusal in time says when the action becomes possible.
type Refusal struct {
	Reason Reason
	Until  time.Time // Cooldown, Limit: when it becomes possible
	What   string    // Cooldown: what was done to the target ("rebooted")
	Window time.Duration
	Max    int
	Now    time.Time
}

func (r *Refusal) Error() string {
	switch r.Reason {
	case NotAllowed:
		return "Only support staff may do this; your administrator can add your user ID to PLUMEBOT_SUPPORT_USERS."
	case Cooldown:
		return fmt.Sprintf("This was %s less than %s ago; it is possible again %s.", r.What, span(r.Window), r.when())
	case Limit:
		return fmt.Sprintf("You have used your %d actions of the last hour; the next is possible %s.", r.Max, r.when())
	case UnknownPod:
		return "This pod is not in this location any more; refresh the list of pods."
	case Expired:
		return "This confirmation expired: nothing was done. Ask again if it is still needed."
	case Gone:
		return "This confirmation was already used or cancelled."
	case NotYours:
		return "Only the person who asked can answer this confirmation."
	case Stale:
		return "You signed out or signed in again since you asked: nothing was done. Ask again."
	}
	return "This action is not possible now."
}

// when is "at 12:10 UTC (in 7 min)".
func (r *Refusal) when() string {
	return fmt.Sprintf("at %s UTC (in %s)", r.Until.UTC().Format("15:04"), span(r.Until.Sub(r.Now).Round(time.Second)))
}

// cooldowns are the per-target waits of an action: its own target, and for a pod the reboot
// of its whole location too.
type cooldownScope struct {
	scope string
	node  bool // the target includes the pod
}

func (e *Engine) cooldownOf(kind Kind) (scopes []cooldownScope, wait time.Duration, what string) {
	switch kind {
	case RebootPod:
		return []cooldownScope{{"reboot", true}, {"reboot", false}}, e.cfg.RebootCooldown, "rebooted"
	case RebootLocation:
		return []cooldownScope{{"reboot", false}}, e.cfg.RebootCooldown, "rebooted"
	case SpeedTest:
		return []cooldownScope{{"speedtest", false}}, speedTestCooldown, "speed-tested"
	}
	return []cooldownScope{{"optimize", false}}, optimizeCooldown, "optimized"
}

type cooldownRecord struct {
	Until time.Time `json:"u"`
}

// checkLimits refuses an action whose target is cooling down or whose user reached the limit.
func (e *Engine) checkLimits(ctx context.Context, kind Kind, t Target, user int64, role Role, now time.Time) error {
	scopes, wait, what := e.cooldownOf(kind)
	for _, sc := range scopes {
		node := ""
		if sc.node {
			node = t.NodeID
		}
		raw, err := e.st.GetRecord(ctx, e.coolKey(sc.scope, t, node))
		if store.Absent(err) {
			continue
		}
		if err != nil {
			return err
		}
		var c cooldownRecord
		if json.Unmarshal(raw, &c) == nil && now.Before(c.Until) {
			return &Refusal{Reason: Cooldown, Until: c.Until, What: what, Window: wait, Now: now}
		}
	}
	if role == Admin || e.cfg.PerHour < 0 {
		return nil
	}
	times, err := e.recent(ctx, user, now)
	if err != nil {
		return err
	}
	if len(times) >= e.cfg.PerHour {
		return &Refusal{Reason: Limit, Until: times[len(times)-e.cfg.PerHour].Add(time.Hour), Max: e.cfg.PerHour, Now: now}
	}
	return nil
}

// recent is when the user's actions of the last hour were sent, oldest first.
func (e *Engine) recent(ctx context.Context, user int64, now time.Time) ([]time.Time, error) {
	raw, err := e.st.GetRecord(ctx, rateKey(user))
	if store.Absent(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var all, out []time.Time
	_ = json.Unmarshal(raw, &all) // a damaged record counts as none
	for _, t := range all {
		if now.Sub(t) < time.Hour {
			out = append(out, t)
		}
	}
	return out, nil
}

// spend counts one action against the user's hourly limit. The caller holds the user's lock
// (the chat core serialises a user's updates across replicas), so read-modify-write is safe.
func (e *Engine) spend(ctx context.Context, user int64, role Role, now time.Time) error {
	if role == Admin || e.cfg.PerHour < 0 {
		return nil
	}
	times, err := e.recent(ctx, user, now)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(append(times, now))
	if err != nil {
		return err
	}
	return e.st.PutRecord(ctx, rateKey(user), raw, time.Hour)
}

// coolDown starts the target's cooldown after Plume accepted the action.
func (e *Engine) coolDown(ctx context.Context, kind Kind, t Target, now time.Time) error {
	scopes, wait, _ := e.cooldownOf(kind)
	node := ""
	if scopes[0].node {
		node = t.NodeID
	}
	raw, err := json.Marshal(cooldownRecord{Until: now.Add(wait)})
	if err != nil {
		return err
	}
	return e.st.PutRecord(ctx, e.coolKey(scopes[0].scope, t, node), raw, wait)
}
