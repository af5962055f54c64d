package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Sealed records are the general namespace for state that is not one user's (watches,
// pending confirmations): a caller-chosen key, AES-GCM sealed with the key itself as
// associated data, so a record copied under another key does not open. Key names are
// visible in the backend (Redis): they carry opaque IDs or digests, never a customer ID.

const recordPrefix = "rec:"

func recordKey(key string) string { return recordPrefix + key }

// recordAD starts differently from userAD, sealedTempAD and checkAD, so no record opens
// as another family's.
func recordAD(key string) string { return "plumebot/v1|rec|" + key }

// validRecordKey keeps record keys printable (they appear in Redis tools and logs).
func validRecordKey(key string) error {
	if key == "" || len(key) > 256 {
		return fmt.Errorf("store: invalid record key (1-256 printable ASCII characters)")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return fmt.Errorf("store: invalid record key (1-256 printable ASCII characters)")
		}
	}
	return nil
}

// GetRecord opens the sealed record under key. ErrNotFound when absent or expired;
// ErrCorrupt or ErrWrongKey (wrapped) when it does not open. It never re-seals: a record
// sealed with a previous key stays so until its next Put (or a rekey), which keeps a read
// from overwriting a concurrent write.
func (s *Store) GetRecord(ctx context.Context, key string) ([]byte, error) {
	if err := validRecordKey(key); err != nil {
		return nil, err
	}
	rec, err := s.b.Get(ctx, recordKey(key))
	if err != nil {
		return nil, err
	}
	return s.openRecord(key, rec)
}

func (s *Store) openRecord(key string, rec []byte) ([]byte, error) {
	pt, _, err := s.k.open(rec, recordAD(key))
	if err != nil {
		return nil, fmt.Errorf("store: record %s: %w", key, err)
	}
	return pt, nil
}

// PutRecord seals plaintext and stores it under key; ttl 0 means no expiry.
func (s *Store) PutRecord(ctx context.Context, key string, plaintext []byte, ttl time.Duration) error {
	if err := validRecordKey(key); err != nil {
		return err
	}
	sealed, err := s.k.seal(plaintext, recordAD(key))
	if err != nil {
		return err
	}
	return s.b.Put(ctx, recordKey(key), sealed, ttl)
}

// DeleteRecord removes the record under key; an absent record is not an error.
func (s *Store) DeleteRecord(ctx context.Context, key string) error {
	if err := validRecordKey(key); err != nil {
		return err
	}
	return s.b.Delete(ctx, recordKey(key))
}

// TakeRecord opens the record under key and deletes it in one atomic step: of concurrent
// takers exactly one gets it (single-use confirmations). ErrNotFound when absent.
func (s *Store) TakeRecord(ctx context.Context, key string) ([]byte, error) {
	if err := validRecordKey(key); err != nil {
		return nil, err
	}
	rec, err := s.b.Take(ctx, recordKey(key))
	if err != nil {
		return nil, err
	}
	return s.openRecord(key, rec)
}

// RecordKeys returns the keys of the sealed records whose key starts with prefix (as given
// to PutRecord), sorted.
func (s *Store) RecordKeys(ctx context.Context, prefix string) ([]string, error) {
	raw, err := s.b.Keys(ctx, recordKey(prefix))
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(raw))
	for i, k := range raw {
		keys[i] = strings.TrimPrefix(k, recordPrefix)
	}
	return keys, nil
}

// AcquireLease, RenewLease and ReleaseLease are the backend's lease (one active instance
// across replicas); see Backend for their contract.
func (s *Store) AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	return s.b.AcquireLease(ctx, key, holder, ttl)
}

// RenewLease: see Backend.RenewLease (ErrLeaseLost).
func (s *Store) RenewLease(ctx context.Context, key, holder string, ttl time.Duration) error {
	return s.b.RenewLease(ctx, key, holder, ttl)
}

// ReleaseLease: see Backend.ReleaseLease.
func (s *Store) ReleaseLease(ctx context.Context, key, holder string) error {
	return s.b.ReleaseLease(ctx, key, holder)
}
