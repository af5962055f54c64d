package watch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"plumebot/internal/store"
)

// Keys. A watch is the sealed record watch:<chatID>:<userID>:<id> (chat and user IDs are
// not personal data here; the customer and location IDs are inside the sealed value), so
// "watches of a user" is a filter on key names, needing no record opened; "watches of a
// chat" is its index (index.go), which spares the chat side a listing of every key.
const (
	keyPrefix    = "watch:"
	leaseKey     = "watch:engine"
	registryLock = "watch:registry" // serialises Add: the limits count across replicas
	statsKey     = "watch-engine:stats"
	lockTTL      = 10 * time.Second // a record's read-modify-write, never Plume or Telegram I/O
)

func chatPrefix(chatID int64) string { return keyPrefix + strconv.FormatInt(chatID, 10) + ":" }

func recordKey(chatID, userID int64, id string) string {
	return chatPrefix(chatID) + strconv.FormatInt(userID, 10) + ":" + id
}

// parseKey splits a watch key; ok is false for any other key.
func parseKey(key string) (chatID, userID int64, id string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(key, keyPrefix), ":")
	if !strings.HasPrefix(key, keyPrefix) || len(parts) != 3 || parts[2] == "" {
		return 0, 0, "", false
	}
	c, err1 := strconv.ParseInt(parts[0], 10, 64)
	u, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, "", false
	}
	return c, u, parts[2], true
}

func (s Selector) match(key string) bool {
	c, u, _, ok := parseKey(key)
	return ok && (s.ChatID == 0 || s.ChatID == c) && (s.UserID == 0 || s.UserID == u)
}

func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// record is a watch with everything the engine keeps about it, written in one sealed Put
// so that a state change and the alerts it causes are stored together (the outbox).
type record struct {
	Watch

	Confirmed facts              `json:"confirmed,omitempty"` // the state after the hold
	Announced facts              `json:"announced,omitempty"` // what the chat was told (or the baseline)
	Pending   map[string]pending `json:"pending,omitempty"`   // changes seen but not yet held long enough
	PodNames  map[string]string  `json:"podNames,omitempty"`  // serial → name, from the latest reading
	Gateway   string             `json:"gateway,omitempty"`   // the gateway's serial

	LastCheck time.Time   `json:"lastCheck"`         // start of the last check applied (older readings are ignored)
	LastErr   string      `json:"lastErr,omitempty"` // user-safe reason the last check failed
	Fails     int         `json:"fails,omitempty"`   // consecutive failures with FailFor
	FailFor   PauseReason `json:"failFor,omitempty"` // the pause those failures lead to; "" transient

	Flaps         []time.Time `json:"flaps,omitempty"` // bad changes within FlapWindow
	LastChange    time.Time   `json:"lastChange"`      // last confirmed change
	Flapping      bool        `json:"flapping,omitempty"`
	FlapSince     time.Time   `json:"flapSince"`
	FlapAnnounced bool        `json:"flapAnnounced,omitempty"`

	Incident    *Incident `json:"incident,omitempty"`
	IncidentSeq int64     `json:"incidentSeq,omitempty"`
	AlertSeq    int64     `json:"alertSeq,omitempty"`
	Outbox      []entry   `json:"outbox,omitempty"`

	dropped []Kind // alerts this update dropped from a full outbox, for the observer
}

// entry is an alert in the outbox and the state of its delivery.
type entry struct {
	Alert        Alert     `json:"alert"`
	ReplyTo      int64     `json:"replyTo,omitempty"`
	AckedBy      *Actor    `json:"ackedBy,omitempty"`
	Attempts     int       `json:"attempts,omitempty"`
	InFlight     bool      `json:"inFlight,omitempty"` // an attempt started and its outcome was never recorded
	ClaimedBy    string    `json:"claimedBy,omitempty"`
	ClaimedUntil time.Time `json:"claimedUntil"`
	NotBefore    time.Time `json:"notBefore"`
}

// maxOutbox bounds a watch's undelivered alerts while its chat cannot be reached for a
// transient reason; flap suppression keeps a healthy outbox far below it.
const maxOutbox = 64

func (e *Engine) load(ctx context.Context, key string) (*record, error) {
	raw, err := e.st.GetRecord(ctx, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, ErrNotFound
	case store.Absent(err):
		// Sealed with a key no longer held, or damaged: as good as none, like every record
		// (store.Absent); the checking loop drops it (drop).
		return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
	case err != nil:
		return nil, err
	}
	var r record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("watch: decode record: %w", err)
	}
	return &r, nil
}

// unopenable reports an error of load for a record that is there but does not open (sealed
// with a key no longer held, or damaged): ErrNotFound to every reader but drop.
func unopenable(err error) bool {
	return errors.Is(err, ErrNotFound) && store.Absent(err) && !errors.Is(err, store.ErrNotFound)
}

func (e *Engine) save(ctx context.Context, key string, r *record) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("watch: encode record: %w", err)
	}
	return e.st.PutRecord(ctx, key, raw, 0)
}

// errNoChange tells update that fn changed nothing worth writing.
var errNoChange = errors.New("no change")

// withLock runs fn holding watch id's lock (shared by every replica), so two
// read-modify-writes of one watch never interleave.
func (e *Engine) withLock(ctx context.Context, id string, fn func() error) error {
	unlock, err := e.st.Lock(ctx, keyPrefix+id, lockTTL)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

// update loads the watch under its lock, runs fn and writes the result. fn returning
// errNoChange skips the write; update then returns the record and nil.
func (e *Engine) update(ctx context.Context, key string, fn func(r *record) error) (*record, error) {
	_, _, id, ok := parseKey(key)
	if !ok {
		return nil, ErrNotFound
	}
	var r *record
	err := e.withLock(ctx, id, func() error {
		var err error
		if r, err = e.load(ctx, key); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			if errors.Is(err, errNoChange) {
				return nil
			}
			return err
		}
		return e.save(ctx, key, r)
	})
	return r, err
}

func (r *record) pause(reason PauseReason, now time.Time) {
	r.Paused, r.PausedAt = reason, now
	r.Pending, r.Fails, r.FailFor = nil, 0, ""
	if reason == ReasonChatUnreachable {
		// Nothing can reach the chat: what it was not told is dropped, not kept for ever.
		for _, en := range r.Outbox {
			r.dropped = append(r.dropped, en.Alert.Kind)
		}
		r.Outbox = nil
	}
}

// resume makes the watch active again. Confirmed and Announced stay: the next checks
// tell the chat what changed since it was last told.
func (r *record) resume() {
	r.Paused, r.PausedAt = "", time.Time{}
	r.Pending, r.Fails, r.FailFor = nil, 0, ""
}

// find returns the key of watch id in chatID, from the chat's index.
func (e *Engine) find(ctx context.Context, chatID int64, id string) (string, error) {
	refs, err := e.refs(ctx, chatID)
	if err != nil {
		return "", err
	}
	for _, r := range refs {
		if id != "" && r.ID == id {
			return recordKey(chatID, r.UserID, r.ID), nil
		}
	}
	return "", ErrNotFound
}

// keys returns the watch keys selected by sel (all with the zero Selector): a chat's from
// its index, else a listing of every watch (the checking loop, /logout).
func (e *Engine) keys(ctx context.Context, sel Selector) ([]string, error) {
	if sel.ChatID != 0 {
		refs, err := e.refs(ctx, sel.ChatID)
		if err != nil {
			return nil, err
		}
		var keys []string
		for _, r := range refs {
			if sel.UserID == 0 || sel.UserID == r.UserID {
				keys = append(keys, recordKey(sel.ChatID, r.UserID, r.ID))
			}
		}
		return keys, nil
	}
	all, err := e.st.RecordKeys(ctx, keyPrefix)
	if err != nil {
		return nil, err
	}
	keys := all[:0]
	for _, k := range all {
		if sel.match(k) {
			keys = append(keys, k)
		}
	}
	return keys, nil
}
