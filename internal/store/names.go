package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Record names. A caller-chosen temp key may name a customer ("find:<e-mail>", a cache key
// with customer and location IDs), and key names are visible to anyone who can list the
// backend (Redis KEYS, a bolt file): the store keeps only an HMAC-SHA256 digest of them. The
// HMAC key is random, made on first use and kept sealed in the store itself, rather than
// derived from the sealing key, so names survive a key rotation (rekey re-seals it like any
// record); without the sealing key nobody can test a guessed customer ID against a name.
const (
	namesKey = "meta:names"
	namesAD  = "plumebot/v1|meta|names"
	// digestLen is the hex length of a name digest (128 bits).
	digestLen = 32
	// namesLockTTL bounds the first start's creation of the name key.
	namesLockTTL = 10 * time.Second
)

// loadNames opens the name key, creating it on first use. Replicas starting together on an
// empty Redis take a lock so they all use the one that was written first.
func (s *Store) loadNames(ctx context.Context) error {
	if ok, err := s.openNames(ctx); ok || err != nil {
		return err
	}
	unlock, err := s.b.Lock(ctx, namesKey, namesLockTTL)
	if err != nil {
		return fmt.Errorf("store: lock the name key: %w", err)
	}
	defer unlock()
	if ok, err := s.openNames(ctx); ok || err != nil {
		return err
	}
	key := make([]byte, KeySize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go ≥ 1.24)
	sealed, err := s.k.seal(key, namesAD)
	if err != nil {
		return err
	}
	if err := s.b.Put(ctx, namesKey, sealed, 0); err != nil {
		return fmt.Errorf("store: write the name key: %w", err)
	}
	s.names = key
	return nil
}

// openNames loads the stored name key; false, nil when there is none yet.
func (s *Store) openNames(ctx context.Context) (bool, error) {
	rec, err := s.b.Get(ctx, namesKey)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("store: read the name key: %w", err)
	}
	pt, keyID, err := s.k.open(rec, namesAD)
	if err != nil {
		return false, fmt.Errorf("store: the name key: %w", err)
	}
	if len(pt) != KeySize {
		return false, fmt.Errorf("store: the name key: %w: %d bytes", ErrCorrupt, len(pt))
	}
	if keyID != s.k.currentID {
		if _, err := s.reseal(ctx, namesKey, rec, pt, namesAD); err != nil {
			return false, fmt.Errorf("store: re-seal the name key: %w", err)
		}
	}
	s.names = pt
	return true, nil
}

// digest is the opaque name of a caller's key in family: 32 hex characters.
func (s *Store) digest(family, key string) string {
	m := hmac.New(sha256.New, s.names)
	m.Write([]byte(family))
	m.Write([]byte{0})
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil))[:digestLen]
}

// Digest is an opaque name for a record key made of values that must not be readable in the
// backend (a customer or location ID): 32 hex characters of HMAC-SHA256 under the store's name
// key. It is the same on every replica and across key rotations; without the sealing key, a
// known ID cannot be tested against it (an unkeyed hash can be).
func (s *Store) Digest(name string) string { return s.digest("record", name) }

// Temp records are "temp:<digest>"; a user's sealed temp records "stemp:<digest>", the user
// ID inside the digest, so another user's ID never finds them.
const (
	tempPrefix       = "temp:"
	sealedTempPrefix = "stemp:"
)

func (s *Store) tempKey(key string) string { return tempPrefix + s.digest("temp", key) }

func (s *Store) sealedTempKey(userID int64, key string) string {
	return sealedTempPrefix + s.digest("stemp", strconv.FormatInt(userID, 10)+"|"+key)
}

// storedAD binds a digest-named record to its name: a record copied under another name (of
// another key or user) does not open. "plumebot/v1|temp:…" and "plumebot/v1|stemp:…" differ
// from every other family's associated data ("user:", "meta|", "rec|").
func storedAD(name string) string { return "plumebot/v1|" + name }

// isDigestName reports whether name is a temp or sealed temp record name of this scheme.
func isDigestName(name string) bool {
	d, ok := strings.CutPrefix(name, tempPrefix)
	if !ok {
		d, ok = strings.CutPrefix(name, sealedTempPrefix)
	}
	if !ok || len(d) != digestLen {
		return false
	}
	_, err := hex.DecodeString(d)
	return err == nil
}

func (s *Store) getSealed(ctx context.Context, name, ad string) ([]byte, error) {
	rec, err := s.b.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	pt, _, err := s.k.open(rec, ad)
	if err != nil {
		return nil, fmt.Errorf("store: temp record: %w", err)
	}
	return pt, nil
}

func (s *Store) putSealed(ctx context.Context, name, ad string, val []byte, ttl time.Duration) error {
	sealed, err := s.k.seal(val, ad)
	if err != nil {
		return err
	}
	return s.b.Put(ctx, name, sealed, ttl)
}

// reseal rewrites rec, which opened as pt, under the current key, if it is still what is
// stored: a newer write by another update or replica is never undone.
func (s *Store) reseal(ctx context.Context, name string, rec, pt []byte, ad string) (bool, error) {
	sealed, err := s.k.seal(pt, ad)
	if err != nil {
		return false, err
	}
	return s.b.CompareAndSwap(ctx, name, rec, sealed)
}
