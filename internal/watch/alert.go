package watch

import (
	"time"

	"plumebot/internal/health"
)

// Kind is what an alert announces. Its string is a stable metrics label.
type Kind string

// Alert kinds.
const (
	KindOffline     Kind = "offline"      // the location went offline (health's rule: networkStatus offline or no pod connected)
	KindOnline      Kind = "online"       // back online; Duration is how long it was offline, Pods those still disconnected
	KindPodDown     Kind = "pod_down"     // Pods disconnected while the location stayed online
	KindPodUp       Kind = "pod_up"       // Pods reconnected
	KindLevelWorse  Kind = "level_worse"  // ModeLevels: PrevLevel → Level, worse
	KindLevelBetter Kind = "level_better" // ModeLevels: PrevLevel → Level, better
	KindFlapping    Kind = "flapping"     // more than FlapLimit outages within FlapWindow; nothing more until stable
	KindStable      Kind = "stable"       // no change for StableAfter after flapping; Online, Pods, Level: the state now
	KindPaused      Kind = "paused"       // the engine paused the watch; Reason says why, Affected how many in this chat
)

// Bad reports whether the kind opens an incident.
func (k Kind) Bad() bool {
	return k == KindOffline || k == KindPodDown || k == KindLevelWorse || k == KindFlapping
}

// PodChange is one pod named in an alert.
type PodChange struct {
	Serial  string    `json:"serial"`
	Name    string    `json:"name"`              // nickname, default name or serial (plume.Node.Name)
	Since   time.Time `json:"since,omitzero"`    // Plume's connectionStateChangeAt, when given
	Gateway bool      `json:"gateway,omitempty"` //
}

// Alert is one message the chat side renders and sends: one per location per change.
// Strings from Plume (Name, pod names) and Actor names are raw: render escapes them.
type Alert struct {
	Seq  int64 `json:"seq"` // per watch, increasing: the chat side may log it
	Kind Kind  `json:"kind"`

	// Filled at delivery from the watch as it is then (a migrated chat gets its new ID).
	WatchID    string `json:"-"`
	ChatID     int64  `json:"-"`
	ThreadID   int64  `json:"-"`
	CustomerID string `json:"-"`
	LocationID string `json:"-"`
	Name       string `json:"-"`
	TimeZone   string `json:"-"` // the location's IANA time zone, "" unknown (times are then shown in UTC)
	ReplyTo    int64  `json:"-"` // the incident's first alert; 0: none (send as a new message)
	AckedBy    *Actor `json:"-"` // who acknowledged the incident, if anyone
	Redelivery bool   `json:"-"` // an earlier attempt may have reached the chat (see the package doc)

	At        time.Time     `json:"at"`                 // when it changed: Plume's time when given, else when first seen
	Confirmed time.Time     `json:"confirmed"`          // when the engine decided it (after the hold)
	Duration  time.Duration `json:"duration,omitempty"` // KindOnline: offline for; KindStable: flapped for
	Pods      []PodChange   `json:"pods,omitempty"`     // see the kinds
	Online    bool          `json:"online,omitempty"`   // KindStable: the state it settled in
	Level     health.Level  `json:"level"`              // the confirmed level now
	PrevLevel health.Level  `json:"prevLevel"`          // the level last announced
	Flaps     int           `json:"flaps,omitempty"`    // KindFlapping: outages within the flap window
	Reason    PauseReason   `json:"reason,omitempty"`   // KindPaused
	Affected  int           `json:"affected,omitempty"` // KindPaused: watches of this chat paused with this one (≥ 1)

	Incident       int64 `json:"incident,omitempty"` // the incident's Seq; 0: none
	OpensIncident  bool  `json:"opens,omitempty"`    // the first alert of its incident
	ClosesIncident bool  `json:"closes,omitempty"`   // the location is fine again
}

// CheckOutcome labels a check for metrics.
type CheckOutcome string

// Check outcomes.
const (
	CheckOK          CheckOutcome = "ok"           // Plume answered; the state was updated
	CheckFailed      CheckOutcome = "failed"       // Plume or the network failed; nothing was concluded
	CheckPaused      CheckOutcome = "paused"       // the check paused the watch (credentials, 403, 404)
	CheckRateLimited CheckOutcome = "rate_limited" // the WAF refused: the whole watcher backs off
	CheckSkipped     CheckOutcome = "skipped"      // the watch was paused or removed: no request made
)

// AlertOutcome labels an alert delivery attempt for metrics.
type AlertOutcome string

// Alert delivery outcomes.
const (
	AlertSent    AlertOutcome = "sent"
	AlertRetry   AlertOutcome = "retry"   // transient failure: it is sent again later
	AlertDropped AlertOutcome = "dropped" // the chat is unreachable or the watch was removed
)

// Observer receives the watcher's metrics. Calls come from several goroutines; each must
// return quickly.
type Observer interface {
	Leading(held bool)                             // this replica holds (or lost) the lease
	Watches(n int)                                 // watches in the store, paused ones included
	Check(outcome CheckOutcome, lag time.Duration) // lag: how late the check started after it was due
	Requests(n int)                                // Plume requests one check made (budget used)
	Alert(kind Kind, outcome AlertOutcome)         //
	Interval(target, achieved time.Duration)       // the schedule: computed and measured between two checks of a watch
	BackOff(until time.Time)                       // the WAF refused: no checks until then
}

type nopObserver struct{}

func (nopObserver) Leading(bool)                          {}
func (nopObserver) Watches(int)                           {}
func (nopObserver) Check(CheckOutcome, time.Duration)     {}
func (nopObserver) Requests(int)                          {}
func (nopObserver) Alert(Kind, AlertOutcome)              {}
func (nopObserver) Interval(time.Duration, time.Duration) {}
func (nopObserver) BackOff(time.Time)                     {}
