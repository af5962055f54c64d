package watch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"plumebot/internal/health"
	"plumebot/internal/plume"
)

// Mode says which changes a watch announces.
type Mode string

// Modes. The zero value is ModeOutages.
const (
	// ModeOutages announces the location going offline and online, and pods disconnecting
	// and reconnecting (the default).
	ModeOutages Mode = "outages"
	// ModeLevels also announces every change of the health level (🟢🟡🟠🔴), with the
	// rules of /health.
	ModeLevels Mode = "levels"
)

func (m Mode) valid() bool { return m == ModeOutages || m == ModeLevels }

// PauseReason says why a watch is not checked. The zero value means it is active.
type PauseReason string

// Pause reasons. The chat side turns each into words; the engine pauses by itself for
// every reason but ReasonLoggedOut (which /logout sets) and says so once in the chat,
// except for ReasonChatUnreachable.
const (
	ReasonCredentials     PauseReason = "credentials"      // Plume refused the credentials (401, token request refused)
	ReasonLoggedOut       PauseReason = "logged_out"       // the user has no credentials any more (/logout, or none left)
	ReasonAccessRevoked   PauseReason = "access_revoked"   // the user may no longer use the bot
	ReasonForbidden       PauseReason = "forbidden"        // Plume 403: these credentials may not see this location
	ReasonNotFound        PauseReason = "not_found"        // Plume 404: the customer or location no longer exists
	ReasonChatUnreachable PauseReason = "chat_unreachable" // the bot was blocked or removed, or the chat is gone
)

// Actor is a Telegram user acting on a watch (acknowledging an incident). Name is what
// the chat shows (unescaped: render escapes it).
type Actor struct {
	UserID int64  `json:"id"`
	Name   string `json:"name"`
}

// Watch is one location watched for one chat (or forum topic).
type Watch struct {
	ID           string      `json:"id"`           // opaque, unique; 16 hex characters
	ChatID       int64       `json:"chat"`         // where alerts go
	ThreadID     int64       `json:"thread"`       // forum topic; 0: none
	UserID       int64       `json:"user"`         // who created it: checks use this user's credentials
	CustomerID   string      `json:"customer"`     // Plume IDs, 24 hex characters
	LocationID   string      `json:"location"`     //
	Name         string      `json:"name"`         // display name (the location's name when created, else from Plume)
	TimeZone     string      `json:"tz,omitempty"` // the location's IANA time zone (Plume's geoIp.timezone, §5.3); "": unknown
	Mode         Mode        `json:"mode"`         //
	Created      time.Time   `json:"created"`      //
	Paused       PauseReason `json:"paused"`       // "": active
	PausedAt     time.Time   `json:"pausedAt"`     //
	SnoozedUntil time.Time   `json:"snoozedTo"`    // no alerts before this time; zero: not snoozed
}

// Snoozed reports whether the watch's alerts are held back at now.
func (w Watch) Snoozed(now time.Time) bool { return now.Before(w.SnoozedUntil) }

// NewWatch is what the chat side knows when an agent sends /watch.
type NewWatch struct {
	ChatID, ThreadID, UserID int64
	CustomerID, LocationID   string
	Name                     string // the location's name if known ("" : taken from Plume at the first check)
	Mode                     Mode   // "": ModeOutages
}

// Incident is a run of alerts from the first bad change until the location is fine again:
// its later alerts reply to the first one, and it can be acknowledged once.
type Incident struct {
	Seq       int64        `json:"seq"`       // per watch, from 1
	Opened    time.Time    `json:"opened"`    //
	MessageID int64        `json:"msg"`       // the first alert's Telegram message; 0 until sent
	AckedBy   *Actor       `json:"ackedBy"`   //
	AckedAt   time.Time    `json:"ackedAt"`   //
	BaseLevel health.Level `json:"baseLevel"` // ModeLevels: the level before it opened (closing means back to it)
}

// Status is a watch with what the watcher knows of its location, for /watches.
type Status struct {
	Watch
	Known     bool         // a check has succeeded since the watch was created
	Online    bool         // confirmed (after the hold; announced unless snoozed or flapping)
	Level     health.Level // confirmed level
	PodsDown  []string     // names of the confirmed disconnected pods, gateway first
	LastCheck time.Time    // last check that reached Plume (successful or not); zero: none yet
	LastError string       // user-safe reason the last check failed; "": it succeeded
	NextCheck time.Time    // estimate from the achieved interval; zero when paused or unknown
	Flapping  bool         //
	Incident  *Incident    // the open incident, if any
	Pending   int          // alerts decided but not yet delivered
}

// Errors the chat side turns into words. Match them with errors.Is.
var (
	ErrNotFound        = errors.New("watch: no such watch in this chat")
	ErrAlreadyWatched  = errors.New("watch: this location is already watched here")
	ErrLimit           = errors.New("watch: too many watches")
	ErrIncidentClosed  = errors.New("watch: the incident is already resolved")
	ErrAlreadyAcked    = errors.New("watch: the incident is already acknowledged")
	ErrInvalid         = errors.New("watch: invalid request")
	ErrNoCredentials   = errors.New("watch: the user has no Plume credentials")
	ErrAccessRevoked   = errors.New("watch: the user may no longer use the bot")
	ErrChatUnreachable = errors.New("watch: the chat cannot be reached")
)

// ChatMovedError is a Notifier's error for an alert Telegram refused because its chat now
// has another ID (a group upgraded to a supergroup): the alert was not delivered. The engine
// moves the chat's watches to To (MigrateChat, if the chat side has not yet) and sends the
// alert there, as a first attempt.
type ChatMovedError struct {
	To int64 // the new chat ID
}

func (e *ChatMovedError) Error() string {
	return fmt.Sprintf("watch: the chat became chat %d", e.To)
}

// LimitError reports a full chat (Scope "chat") or a full watcher (Scope "all"); it
// matches ErrLimit.
type LimitError struct {
	Scope string // "chat" or "all"
	Max   int
}

func (e *LimitError) Error() string {
	if e.Scope == "chat" {
		return fmt.Sprintf("watch: this chat already has %d watches (the maximum)", e.Max)
	}
	return fmt.Sprintf("watch: the bot already watches %d locations (the maximum)", e.Max)
}

// Is makes errors.Is(err, ErrLimit) match.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// Selector picks watches by chat, by user, or both; a zero field does not filter, and at
// least one must be set.
type Selector struct {
	ChatID int64
	UserID int64
}

// Store is the part of *store.Store the watcher uses: sealed records (watches name a
// customer), expiring locks and a lease.
type Store interface {
	GetRecord(ctx context.Context, key string) ([]byte, error)
	PutRecord(ctx context.Context, key string, plaintext []byte, ttl time.Duration) error
	DeleteRecord(ctx context.Context, key string) error
	RecordKeys(ctx context.Context, prefix string) ([]string, error)
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error)
	AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error)
	RenewLease(ctx context.Context, key, holder string, ttl time.Duration) error
	ReleaseLease(ctx context.Context, key, holder string) error
}

// Reading is one check's view of a location: GET …/locations/{id} (plume-api.md §5.3) and
// GET …/nodes (§5.1).
type Reading struct {
	Location *plume.Location // never nil when the error is nil
	Nodes    []plume.Node
	Requests int // Plume requests this reading made: 0 to 2 (cache hits cost none)
}

// Reader reads a location and its pods with at most two Plume requests, sharing the cache
// of interactive commands. Errors are *plume.Error where Plume or the network failed.
type Reader interface {
	LocationAndPods(ctx context.Context, creds plume.Credentials, customerID, locationID string) (Reading, error)
}

// CredentialSource gives the Plume credentials a watch's checks use: the user's own, or
// the operator's, by the same rule as the user's commands. It returns ErrNoCredentials
// when there are none and ErrAccessRevoked when the user may no longer use the bot.
type CredentialSource interface {
	Credentials(ctx context.Context, userID int64) (plume.Credentials, error)
}

// Notifier renders an alert and sends it to a.ChatID (topic a.ThreadID, replying to
// a.ReplyTo when not 0), returning the sent message's ID. An error wrapping
// ErrChatUnreachable means the chat will never accept it (bot blocked, kicked, chat not
// found): the chat's watches pause and its pending alerts are dropped. A *ChatMovedError
// moves the chat's watches and the alert to the chat's new ID. Any other error is
// transient: the alert is sent again later, never lost. Notify must not return an error
// after Telegram accepted the message if it can know it did.
type Notifier interface {
	Notify(ctx context.Context, a Alert) (messageID int64, err error)
}
