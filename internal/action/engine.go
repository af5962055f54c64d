package action

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"plumebot/internal/plume"
	"plumebot/internal/store"
)

// Target is what an action is about: a location, and for RebootPod one of its pods.
type Target struct {
	CustomerID string `json:"c"`
	LocationID string `json:"l"`
	NodeID     string `json:"n,omitempty"` // RebootPod: the pod's serial, Plume's node ID
}

// canonical is t with its IDs as Plume writes them. They are MongoDB ObjectIds, which Plume
// (and the simulator) read in either case and write in lower case: "ABC…" and "abc…" are one
// location, and must share one cooldown and one lock.
func (t Target) canonical() Target {
	t.CustomerID, t.LocationID = plume.CanonicalID(t.CustomerID), plume.CanonicalID(t.LocationID)
	return t
}

// Request asks for an action. Nothing reaches Plume before its confirmation.
type Request struct {
	Kind   Kind
	UserID int64
	ChatID int64
	Target Target
}

// Pending is a confirmation waiting for the user who asked.
type Pending struct {
	// Key is the confirmation's opaque random key (22 letters and digits): the only thing a
	// button carries.
	Key string
	// Summary names the action and its target ("Reboot pod Office (serial 58BCN7590A)");
	// Effect says what will happen, in plain words. Both are plain text, with Plume's names.
	Summary, Effect string
	Expires         time.Time
}

// Confirmed is an action Plume accepted; Follow watches its effect.
type Confirmed struct {
	Kind    Kind
	Target  Target
	UserID  int64
	ChatID  int64
	Summary string
	ActedAt time.Time
	// Status is the HTTP status Plume answered (204 for a reboot).
	Status int
	base   baseline
}

// record is a pending confirmation as the store keeps it (sealed: it names a customer).
type record struct {
	Kind    Kind      `json:"k"`
	User    int64     `json:"u"`
	Chat    int64     `json:"c"`
	Target  Target    `json:"t"`
	Summary string    `json:"s"`
	FP      string    `json:"f"` // credentials fingerprint
	Epoch   string    `json:"e"` // the user's action epoch; /logout starts a new one
	Expires time.Time `json:"x"`
	Base    baseline  `json:"b"`
}

// baseline is Plume's state when the action was asked for: what the follow-through compares.
type baseline struct {
	Pods  []podBase `json:"p,omitempty"`  // reboots: the pods the reboot reaches
	Speed time.Time `json:"st,omitempty"` // speed test: the gateway's last speedTest.startedAt
}

type podBase struct {
	ID        string    `json:"i"`
	Name      string    `json:"n"`
	Connected bool      `json:"o"`
	Changed   time.Time `json:"c"` // connectionStateChangeAt
	Boot      time.Time `json:"b"` // bootAt
}

// Store keys. Names carry opaque digests and random keys, never a customer or location ID.
func pendingKey(key string) string { return "act:pend:" + key }
func epochKey(user int64) string   { return "act:epoch:" + strconv.FormatInt(user, 10) }
func rateKey(user int64) string    { return "act:rate:" + strconv.FormatInt(user, 10) }

// coolKey names a target's cooldown (and its lock) by the store's keyed digest: an unkeyed
// hash of the IDs could be matched against a list of customer IDs.
func (e *Engine) coolKey(scope string, t Target, node string) string {
	return "act:cool:" + e.st.Digest(scope+"|"+t.CustomerID+"|"+t.LocationID+"|"+strings.ToUpper(node))
}

const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// KeyLen is the length of a confirmation key: 22 characters of 62 carry 130 bits.
const KeyLen = 22

func newKey() string {
	var buf [KeyLen]byte
	_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	for i, c := range buf {
		buf[i] = keyAlphabet[int(c)%len(keyAlphabet)]
	}
	return string(buf[:])
}

// ValidKey reports whether s has the form of a confirmation key (so a forged button never
// becomes a store key).
func ValidKey(s string) bool {
	if len(s) != KeyLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(keyAlphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// Request checks that the user may do this now (role, per-user limit, cooldown), reads Plume
// fresh to say exactly what will happen, and stores a confirmation that only this user, in
// this chat, with these credentials, may press within the confirmation TTL. Errors: a
// *Refusal, a *plume.Error of the fresh read (KindInvalidInput for bad IDs, before any
// request), or a store error.
func (e *Engine) Request(ctx context.Context, acc Access, req Request) (*Pending, error) {
	now := e.clock.Now()
	ev := Event{Stage: StageRequest, Kind: req.Kind, UserID: req.UserID, ChatID: req.ChatID, Target: req.Target}
	refuse := func(err error) (*Pending, error) {
		var r *Refusal
		if errors.As(err, &r) {
			ev.Result = r.Reason.String()
			e.obs.Outcome(req.Kind, r.Reason.String())
		} else {
			ev.Result = resultOf(err)
		}
		e.obs.Audit(ev)
		return nil, err
	}
	if err := validate(req.Kind, req.Target); err != nil {
		return nil, err
	}
	req.Target = req.Target.canonical()
	ev.Target = req.Target
	role := e.Role(req.UserID)
	if !role.CanAct() {
		return refuse(&Refusal{Reason: NotAllowed, Now: now})
	}
	if err := e.checkLimits(ctx, req.Kind, req.Target, req.UserID, role, now); err != nil {
		return refuse(err)
	}
	summary, effect, base, err := e.describe(ctx, acc.Reader, req.Kind, req.Target)
	if err != nil {
		return refuse(err)
	}
	epoch, err := e.epoch(ctx, req.UserID, true)
	if err != nil {
		return nil, err
	}
	rec := record{Kind: req.Kind, User: req.UserID, Chat: req.ChatID, Target: req.Target, Summary: summary,
		FP: acc.Fingerprint, Epoch: epoch, Expires: now.Add(e.cfg.ConfirmTTL), Base: base}
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	key := newKey()
	if err := e.st.PutRecord(ctx, pendingKey(key), raw, e.cfg.ConfirmTTL+confirmGrace); err != nil {
		return nil, fmt.Errorf("store the confirmation: %w", err)
	}
	ev.Result = "asked"
	e.obs.Audit(ev)
	return &Pending{Key: key, Summary: summary, Effect: effect, Expires: rec.Expires}, nil
}

func validate(kind Kind, t Target) error {
	if err := plume.ValidateID("customer", t.CustomerID); err != nil {
		return err
	}
	if err := plume.ValidateID("location", t.LocationID); err != nil {
		return err
	}
	switch kind {
	case RebootPod:
		return plume.ValidateSerial(t.NodeID)
	case RebootLocation, SpeedTest, Optimize:
		return nil
	}
	return fmt.Errorf("action: unknown kind %q", kind)
}

// epoch returns the user's action epoch, creating one when create is set. /logout deletes it
// (Forget), so confirmations asked for before it no longer match.
func (e *Engine) epoch(ctx context.Context, user int64, create bool) (string, error) {
	raw, err := e.st.GetRecord(ctx, epochKey(user))
	switch {
	case err == nil:
		return string(raw), nil
	case !store.Absent(err):
		return "", err
	case !create:
		return "", nil
	}
	ep := newKey()
	if err := e.st.PutRecord(ctx, epochKey(user), []byte(ep), 0); err != nil {
		return "", err
	}
	return ep, nil
}

// Forget ends the user's pending confirmations (the chat's /logout): pressed later, they do
// nothing.
func (e *Engine) Forget(ctx context.Context, user int64) error {
	return e.st.DeleteRecord(ctx, epochKey(user))
}

// load reads a pending confirmation and checks that it is this user's in this chat, without
// using it up: a stranger's press must not spend someone else's confirmation. audit records
// such a press (not_yours).
func (e *Engine) load(ctx context.Context, key string, user, chat int64, audit bool) (record, error) {
	now := e.clock.Now()
	if !ValidKey(key) {
		return record{}, &Refusal{Reason: Gone, Now: now}
	}
	raw, err := e.st.GetRecord(ctx, pendingKey(key))
	if store.Absent(err) {
		return record{}, &Refusal{Reason: Gone, Now: now}
	}
	if err != nil {
		return record{}, err
	}
	var rec record
	if err := json.Unmarshal(raw, &rec); err != nil {
		return record{}, &Refusal{Reason: Gone, Now: now}
	}
	if rec.User != user || rec.Chat != chat {
		if !audit {
			return record{}, &Refusal{Reason: NotYours, Now: now}
		}
		e.obs.Audit(Event{Stage: StageConfirm, Kind: rec.Kind, UserID: user, ChatID: chat, Target: rec.Target, Result: NotYours.String()})
		return record{}, &Refusal{Reason: NotYours, Now: now}
	}
	return rec, nil
}

// Peek says which action a confirmation is for when user, in chat, may answer it, without
// using it up or reaching Plume: a front end uses it to answer a button press at once. It
// records nothing, since a press may be looked at more than once (at intake, then by its
// handler). Errors: a *Refusal (Gone, NotYours, Expired) or a store error.
func (e *Engine) Peek(ctx context.Context, key string, user, chat int64) (Kind, error) {
	return e.peek(ctx, key, user, chat, false)
}

// Check is Peek for the one look that decides what a press does: it records a press on
// someone else's confirmation in the audit. A front end calls it once per press.
func (e *Engine) Check(ctx context.Context, key string, user, chat int64) (Kind, error) {
	return e.peek(ctx, key, user, chat, true)
}

func (e *Engine) peek(ctx context.Context, key string, user, chat int64, audit bool) (Kind, error) {
	rec, err := e.load(ctx, key, user, chat, audit)
	if err != nil {
		return "", err
	}
	if !e.clock.Now().Before(rec.Expires) {
		return rec.Kind, &Refusal{Reason: Expired, Now: e.clock.Now()}
	}
	return rec.Kind, nil
}

// take uses the confirmation up: of two presses (a double tap, two replicas) one gets it, the
// other a Gone refusal.
func (e *Engine) take(ctx context.Context, key string) (record, error) {
	raw, err := e.st.TakeRecord(ctx, pendingKey(key))
	if store.Absent(err) {
		return record{}, &Refusal{Reason: Gone, Now: e.clock.Now()}
	}
	if err != nil {
		return record{}, err
	}
	var rec record
	if err := json.Unmarshal(raw, &rec); err != nil {
		return record{}, &Refusal{Reason: Gone, Now: e.clock.Now()}
	}
	return rec, nil
}

// Confirm runs a pending action once: it checks that the presser is the user who asked, takes
// the confirmation (single use across replicas), checks again that the user may act now with
// the same sign-in, and sends the action to Plume under a lock on the target, so two
// replicas cannot both pass the cooldown. Errors: a *Refusal, the *plume.Error Plume answered
// (its UserMessage says what it means for the action), or a store error.
func (e *Engine) Confirm(ctx context.Context, acc Access, key string, user, chat int64) (*Confirmed, error) {
	rec, err := e.load(ctx, key, user, chat, true)
	if err != nil {
		return nil, err
	}
	if rec, err = e.take(ctx, key); err != nil {
		return nil, err
	}
	now := e.clock.Now()
	ev := Event{Stage: StageConfirm, Kind: rec.Kind, UserID: user, ChatID: chat, Target: rec.Target}
	refuse := func(r *Refusal) (*Confirmed, error) {
		ev.Result = r.Reason.String()
		e.obs.Audit(ev)
		e.obs.Outcome(rec.Kind, r.Reason.String())
		return nil, r
	}
	if !now.Before(rec.Expires) {
		ev.Stage = StageExpiry
		return refuse(&Refusal{Reason: Expired, Now: now})
	}
	role := e.Role(user)
	if !role.CanAct() {
		return refuse(&Refusal{Reason: NotAllowed, Now: now})
	}
	if ep, err := e.epoch(ctx, user, false); err != nil {
		return nil, err
	} else if ep != rec.Epoch || acc.Fingerprint != rec.FP {
		return refuse(&Refusal{Reason: Stale, Now: now})
	}
	ev.Result = "confirmed"
	e.obs.Audit(ev)

	unlock, err := e.st.Lock(ctx, e.coolKey("lock", rec.Target, ""), targetLockTTL)
	if err != nil {
		return nil, fmt.Errorf("lock the target: %w", err)
	}
	defer unlock()
	now = e.clock.Now()
	ev.Stage = StageOutcome
	if err := e.checkLimits(ctx, rec.Kind, rec.Target, user, role, now); err != nil {
		var r *Refusal
		if errors.As(err, &r) {
			return refuse(r)
		}
		return nil, err
	}
	// The attempt counts against the user's limit once it may reach Plume, whatever Plume says.
	if err := e.spend(ctx, user, role, now); err != nil {
		return nil, err
	}
	actx, cancel := context.WithTimeout(ctx, actTimeout)
	status, err := e.act(actx, acc.Actor, rec.Kind, rec.Target)
	cancel()
	ev.PlumeStatus = status
	if err != nil {
		ev.Result = resultOf(err)
		e.obs.Audit(ev)
		e.obs.Outcome(rec.Kind, ev.Result)
		return nil, err
	}
	if err := e.coolDown(ctx, rec.Kind, rec.Target, now); err != nil {
		e.log.Warn("action cooldown not stored", "action", rec.Kind, "err", err)
	}
	ev.Result = "accepted"
	e.obs.Audit(ev)
	e.obs.Outcome(rec.Kind, "ok")
	return &Confirmed{Kind: rec.Kind, Target: rec.Target, UserID: user, ChatID: chat, Summary: rec.Summary,
		ActedAt: now, Status: status, base: rec.Base}, nil
}

func (e *Engine) act(ctx context.Context, a Actor, kind Kind, t Target) (int, error) {
	switch kind {
	case RebootPod:
		return a.RebootNode(ctx, t.CustomerID, t.LocationID, t.NodeID, 0)
	case RebootLocation:
		return a.RebootLocation(ctx, t.CustomerID, t.LocationID, 0)
	case SpeedTest:
		return a.StartISPSpeedTest(ctx, t.CustomerID, t.LocationID)
	case Optimize:
		return a.Optimize(ctx, t.CustomerID, t.LocationID)
	}
	return 0, fmt.Errorf("action: unknown kind %q", kind)
}

// Cancel ends a pending confirmation without acting; only its user may. It returns the
// action's summary for the message that showed it.
func (e *Engine) Cancel(ctx context.Context, key string, user, chat int64) (string, error) {
	if _, err := e.load(ctx, key, user, chat, true); err != nil {
		return "", err
	}
	rec, err := e.take(ctx, key)
	if err != nil {
		return "", err
	}
	e.obs.Audit(Event{Stage: StageCancel, Kind: rec.Kind, UserID: user, ChatID: chat, Target: rec.Target, Result: "cancelled"})
	e.obs.Outcome(rec.Kind, "cancelled")
	return rec.Summary, nil
}

// Expire ends a confirmation nobody pressed in time (the front end calls it when the TTL has
// passed). ok is false when it was already confirmed, cancelled or expired.
func (e *Engine) Expire(ctx context.Context, key string) (summary string, ok bool, err error) {
	if !ValidKey(key) {
		return "", false, nil
	}
	rec, err := e.take(ctx, key)
	var r *Refusal
	if errors.As(err, &r) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	e.obs.Audit(Event{Stage: StageExpiry, Kind: rec.Kind, UserID: rec.User, ChatID: rec.Chat, Target: rec.Target, Result: Expired.String()})
	e.obs.Outcome(rec.Kind, Expired.String())
	return rec.Summary, true, nil
}

// ExpireAfter waits until the confirmation's TTL has passed on the engine's clock, then
// expires it; done receives the summary when this call expired it. It returns when ctx ends.
func (e *Engine) ExpireAfter(ctx context.Context, p *Pending, done func(summary string)) {
	select {
	case <-ctx.Done():
		return
	case <-e.clock.After(p.Expires.Sub(e.clock.Now())):
	}
	summary, ok, err := e.Expire(context.WithoutCancel(ctx), p.Key)
	if err != nil {
		e.log.Warn("action expiry failed", "err", err)
	}
	if ok && done != nil {
		done(summary)
	}
}

// resultOf is an error's audit and metrics label: error:<plume kind>, else error:internal.
func resultOf(err error) string {
	var pe *plume.Error
	if errors.As(err, &pe) {
		return "error:" + pe.Kind.String()
	}
	return "error:internal"
}
