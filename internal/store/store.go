// Package store persists plumebot's state: sealed per-user and general records, expiring
// conversation state, cross-replica locks and leases, over an in-memory, embedded (bbolt) or
// Redis backend.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// ErrNotFound reports a record that is absent or has expired.
var ErrNotFound = errors.New("store: not found")

// ErrWrongKey reports a record sealed with a key the keyring does not hold.
var ErrWrongKey = errors.New("store: the secret key cannot open the sealed data")

// ErrCorrupt reports a sealed record that fails authentication: tampered with, truncated,
// or moved to another user or kind. Treat it like a missing record that must be re-entered.
var ErrCorrupt = errors.New("store: sealed record is corrupt or was moved")

// Absent reports whether err means that, for its reader, the record is not there: absent or
// expired (ErrNotFound), or there but unopenable, sealed with a key the keyring no longer holds
// (ErrWrongKey) or damaged (ErrCorrupt). A reader treats the three alike and writes the record
// again; a key dropped before `plumebot rekey` thus strands nobody (README, key rotation).
func Absent(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrWrongKey) || errors.Is(err, ErrCorrupt)
}

// ErrLeaseLost reports a lease renewal by a holder that no longer holds it: it expired,
// was released, or another holder took it.
var ErrLeaseLost = errors.New("store: lease lost")

// ErrUnavailable reports a backend that cannot serve the operation now: Redis refused,
// reset, paused or too slow to answer, a bolt file that fails, a closed store. It says
// nothing about the record; trying again in a moment may succeed. The caller's own context
// ending is reported as that context's error instead.
var ErrUnavailable = errors.New("store: unavailable")

var errClosed = fmt.Errorf("%w: closed", ErrUnavailable)

// Backend stores raw bytes with expiry. Memory, bolt and Redis implement it; all must pass
// storetest.Run. Lock and lease keys live in namespaces separate from data keys and from
// each other (Redis: data keys must not start with "lock|" or "lease|").
type Backend interface {
	// Get returns a copy of the value, or ErrNotFound when absent or expired.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put stores val; ttl 0 means no expiry. It replaces any previous value and expiry.
	Put(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// Delete removes key; an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// Take returns the value of key and deletes it in one atomic step: of concurrent Takes
	// of one key exactly one gets the value (single-use tokens). ErrNotFound when absent
	// or expired.
	Take(ctx context.Context, key string) ([]byte, error)
	// Keys returns the data keys that start with prefix (all with ""), unexpired, sorted
	// bytewise, without duplicates; lock and lease keys are not data keys. It reads the
	// whole key space under prefix: for listings of thousands, not millions.
	Keys(ctx context.Context, prefix string) ([]string, error)
	// CompareAndSwap replaces the value of key with new if it is exactly old, keeping its
	// expiry: true when it did; false, nil when key is absent, expired or holds another value.
	CompareAndSwap(ctx context.Context, key string, old, new []byte) (bool, error)
	// Lock takes a lock that expires after ttl even if never released (a crashed holder
	// cannot block others forever), waiting until it is acquired or ctx is done.
	// unlock is idempotent and never releases a lock that expired and was taken by another.
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error)
	// AcquireLease makes holder (a non-empty ID unique to the contender) the holder of the
	// lease key for ttl, without waiting: true when the lease was free, expired, or already
	// held by holder (its expiry is then reset to ttl from now); false, nil when another
	// holder has it.
	AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error)
	// RenewLease resets holder's lease to expire ttl from now. ErrLeaseLost (wrapped) when
	// holder does not hold it: expired, released or taken by another, even if only expired.
	RenewLease(ctx context.Context, key, holder string, ttl time.Duration) error
	// ReleaseLease frees the lease if holder holds it; anything else is left as it is and is
	// not an error (a late release never frees another holder's lease).
	ReleaseLease(ctx context.Context, key, holder string) error
	Ping(ctx context.Context) error
	Close() error
}

const (
	checkKey       = "meta:check"
	checkAD        = "plumebot/v1|meta|check"
	checkPlaintext = "plumebot check record v1"
)

// Store is the sealed layer the bot uses: user records are AES-256-GCM sealed and bound to
// their user ID and kind; temp records expire.
type Store struct {
	b     Backend
	k     *Keyring
	names []byte      // HMAC key of record names (names.go)
	holds holdWaiters // this process's waiters for HoldLock
}

// New wraps b, writing a sealed check record on first use and verifying it afterwards, so a
// wrong PLUMEBOT_SECRET_KEY is reported at start rather than on each user's first command.
// It also loads (or creates) the key that digests record names (names.go).
func New(ctx context.Context, b Backend, k *Keyring) (*Store, error) {
	if b == nil || k == nil {
		return nil, errors.New("store: New needs a backend and a keyring")
	}
	s := &Store{b: b, k: k}
	if err := s.verifyKey(ctx); err != nil {
		return nil, err
	}
	if err := s.loadNames(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// verifyKey writes the check record on first use, else proves the keyring opens it.
func (s *Store) verifyKey(ctx context.Context) error {
	rec, err := s.b.Get(ctx, checkKey)
	if err == nil {
		_, _, oerr := s.k.open(rec, checkAD)
		if errors.Is(oerr, ErrCorrupt) && (len(rec) == 0 || rec[0] == recordVersion) {
			// Damaged in the backend (truncated, or failing authentication under the key its
			// ID names, so the key is right), not sealed with another key nor in a format of
			// a newer version: it holds nothing, so it is written again.
			slog.Warn("store: the check record was damaged; writing it again")
			err = ErrNotFound
		}
	}
	switch {
	case errors.Is(err, ErrNotFound):
		sealed, err := s.k.seal([]byte(checkPlaintext), checkAD)
		if err != nil {
			return err
		}
		if err := s.b.Put(ctx, checkKey, sealed, 0); err != nil {
			return fmt.Errorf("store: write check record: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("store: read check record: %w", err)
	}
	pt, keyID, err := s.k.open(rec, checkAD)
	if err != nil || string(pt) != checkPlaintext {
		return fmt.Errorf("%w: PLUMEBOT_SECRET_KEY (key ID %s) does not open this store, "+
			"whose data was sealed with key ID %s; set PLUMEBOT_SECRET_KEY to that key "+
			"(or give it as a previous key to rotate)", ErrWrongKey, s.k.currentID, recordKeyID(rec))
	}
	if keyID != s.k.currentID {
		// Rotation: from now on the check record proves the new key.
		if _, err := s.reseal(ctx, checkKey, rec, pt, checkAD); err != nil {
			return fmt.Errorf("store: re-seal check record: %w", err)
		}
	}
	return nil
}

// validKind keeps kinds free of the separators used in keys and associated data.
func validKind(kind string) error {
	if kind == "" || len(kind) > 64 {
		return fmt.Errorf("store: invalid record kind (1-64 chars of a-z 0-9 _ - .)")
	}
	for _, r := range kind {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return fmt.Errorf("store: invalid record kind (1-64 chars of a-z 0-9 _ - .)")
		}
	}
	return nil
}

func userKey(userID int64, kind string) string { return fmt.Sprintf("user:%d:%s", userID, kind) }
func userAD(userID int64, kind string) string {
	return fmt.Sprintf("plumebot/v1|user:%d|%s", userID, kind)
}

// GetUser opens the user's record of this kind. A record sealed with a previous key is
// re-sealed with the current one.
func (s *Store) GetUser(ctx context.Context, userID int64, kind string) ([]byte, error) {
	if err := validKind(kind); err != nil {
		return nil, err
	}
	key, ad := userKey(userID, kind), userAD(userID, kind)
	rec, err := s.b.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	pt, keyID, err := s.k.open(rec, ad)
	if err != nil {
		return nil, fmt.Errorf("store: user %d %s: %w", userID, kind, err)
	}
	if keyID != s.k.currentID {
		// Best effort: the read already succeeded, and the next read (or a rekey) retries.
		_, _ = s.reseal(ctx, key, rec, pt, ad)
	}
	return pt, nil
}

// PutUser seals plaintext for this user and kind and stores it without expiry.
func (s *Store) PutUser(ctx context.Context, userID int64, kind string, plaintext []byte) error {
	if err := validKind(kind); err != nil {
		return err
	}
	sealed, err := s.k.seal(plaintext, userAD(userID, kind))
	if err != nil {
		return err
	}
	// Backend errors already say "store: <backend> <op>".
	return s.b.Put(ctx, userKey(userID, kind), sealed, 0)
}

// DeleteUser removes the user's record of this kind; an absent record is not an error.
func (s *Store) DeleteUser(ctx context.Context, userID int64, kind string) error {
	if err := validKind(kind); err != nil {
		return err
	}
	return s.b.Delete(ctx, userKey(userID, kind))
}

// GetTemp opens an expiring value stored with PutTemp (button payloads, markers).
// ErrNotFound when absent or expired; ErrCorrupt or ErrWrongKey (wrapped) when it does not open.
func (s *Store) GetTemp(ctx context.Context, key string) ([]byte, error) {
	name := s.tempKey(key)
	return s.getSealed(ctx, name, storedAD(name))
}

// PutTemp seals val and stores it under a digest of key, expiring after ttl (0: never).
// Anything may go here, customer IDs included: neither key nor value is readable at rest.
func (s *Store) PutTemp(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	name := s.tempKey(key)
	return s.putSealed(ctx, name, storedAD(name), val, ttl)
}

// DeleteTemp removes a temp value; an absent one is not an error.
func (s *Store) DeleteTemp(ctx context.Context, key string) error {
	return s.b.Delete(ctx, s.tempKey(key))
}

// GetSealedTemp opens an expiring value bound to userID (the /auth conversation holds the
// Authorization header between steps): another user's key never finds it.
func (s *Store) GetSealedTemp(ctx context.Context, userID int64, key string) ([]byte, error) {
	name := s.sealedTempKey(userID, key)
	pt, err := s.getSealed(ctx, name, storedAD(name))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: user %d temp record: %w", userID, err)
	}
	return pt, err
}

// PutSealedTemp seals val for userID and stores it with expiry ttl (0: never).
func (s *Store) PutSealedTemp(ctx context.Context, userID int64, key string, val []byte, ttl time.Duration) error {
	name := s.sealedTempKey(userID, key)
	return s.putSealed(ctx, name, storedAD(name), val, ttl)
}

// DeleteSealedTemp removes a sealed temp value; an absent one is not an error.
func (s *Store) DeleteSealedTemp(ctx context.Context, userID int64, key string) error {
	return s.b.Delete(ctx, s.sealedTempKey(userID, key))
}

// Lock takes the backend's lock on key, which expires after ttl whatever the work: for short
// critical sections across replicas (a record's read-modify-write). Work that may take long
// (a user's update) takes HoldLock, which is renewed while it runs.
func (s *Store) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	return s.b.Lock(ctx, key, ttl)
}

// KeyID is the ID of the key new records are sealed with (safe to print).
func (s *Store) KeyID() string { return s.k.currentID }

// Ping reports whether the backend is reachable (readiness).
func (s *Store) Ping(ctx context.Context) error { return s.b.Ping(ctx) }

// Close closes the backend.
func (s *Store) Close() error { return s.b.Close() }
