package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// RekeyReport counts what Rekey did with every record of the store.
type RekeyReport struct {
	Resealed   int // opened with a previous key and sealed again with the current one
	Current    int // already sealed with the current key
	Removed    int // temporary records of an older version, unsealed or named in clear
	Unreadable int // sealed with a key the keyring does not hold: left as they are
	// UnreadableKeyIDs are the key IDs the unreadable records name (sorted, without
	// duplicates): the keys to give as PLUMEBOT_SECRET_KEY_PREVIOUS to open them.
	UnreadableKeyIDs []string
	// Damaged records fail authentication (changed or truncated in the backend, or moved
	// under another name): no key opens them. Left as they are; their readers treat them as
	// absent.
	Damaged int
}

// rekeyFamilies are the name prefixes of every record the store writes. Rekey lists each
// separately so that it holds one family's names at a time.
var rekeyFamilies = []string{"meta:", "user:", recordPrefix, tempPrefix, sealedTempPrefix}

// rekeyAttempts bounds the re-reads of a record that keeps changing under Rekey: a writer
// seals with the current key, so the second read normally finds it current.
const rekeyAttempts = 3

// Rekey seals every record of the store with the current key: the step of a key rotation
// between "every replica seals with the new key and opens the previous one" and "drop the
// previous key" (README, Backup and key rotation). It is safe while replicas run, since a record is rewritten only if
// it is still the one Rekey opened (CompareAndSwap), and resumable: records already sealed with
// the current key are left alone, so running it again finishes an interrupted run. Records
// that do not open are counted and left; temporary records an older version wrote (unsealed,
// or named in clear) are removed. Errors are the backend's (ErrUnavailable) or ctx's.
func (s *Store) Rekey(ctx context.Context) (RekeyReport, error) {
	var rep RekeyReport
	ids := map[string]bool{}
	for _, family := range rekeyFamilies {
		names, err := s.b.Keys(ctx, family)
		if err != nil {
			return rep, fmt.Errorf("store: rekey: list %s records: %w", strings.TrimSuffix(family, ":"), err)
		}
		for _, name := range names {
			if err := ctx.Err(); err != nil {
				return rep, fmt.Errorf("store: rekey: %w", err)
			}
			ad, ok := rekeyAD(name)
			if !ok {
				if isLegacyTemp(name) {
					if err := s.b.Delete(ctx, name); err != nil {
						return rep, fmt.Errorf("store: rekey: %w", err)
					}
					rep.Removed++
				}
				continue
			}
			if err := s.rekeyOne(ctx, name, ad, &rep, ids); err != nil {
				return rep, err
			}
		}
	}
	for id := range ids {
		rep.UnreadableKeyIDs = append(rep.UnreadableKeyIDs, id)
	}
	slices.Sort(rep.UnreadableKeyIDs)
	return rep, nil
}

// rekeyOne re-seals one record with the current key unless it already is.
func (s *Store) rekeyOne(ctx context.Context, name, ad string, rep *RekeyReport, ids map[string]bool) error {
	for range rekeyAttempts {
		rec, err := s.b.Get(ctx, name)
		if errors.Is(err, ErrNotFound) {
			return nil // expired or deleted since it was listed
		}
		if err != nil {
			return fmt.Errorf("store: rekey: %w", err)
		}
		pt, keyID, err := s.k.open(rec, ad)
		switch {
		case errors.Is(err, ErrWrongKey):
			rep.Unreadable++
			ids[recordKeyID(rec)] = true
			return nil
		case err != nil:
			rep.Damaged++
			return nil
		case keyID == s.k.currentID:
			rep.Current++
			return nil
		}
		swapped, err := s.reseal(ctx, name, rec, pt, ad)
		if err != nil {
			return fmt.Errorf("store: rekey: %w", err)
		}
		if swapped {
			rep.Resealed++
			return nil
		}
		// Written (or deleted) by someone else meanwhile: look again.
	}
	return fmt.Errorf("store: rekey: a record kept changing during %d attempts; run rekey again", rekeyAttempts)
}

// rekeyAD is the associated data of the record stored under name; false for a name of no
// family this version writes.
func rekeyAD(name string) (string, bool) {
	switch {
	case name == checkKey:
		return checkAD, true
	case name == namesKey:
		return namesAD, true
	case strings.HasPrefix(name, recordPrefix):
		key := strings.TrimPrefix(name, recordPrefix)
		return recordAD(key), validRecordKey(key) == nil
	case isDigestName(name):
		return storedAD(name), true
	}
	rest, ok := strings.CutPrefix(name, "user:")
	if !ok {
		return "", false
	}
	id, kind, ok := strings.Cut(rest, ":")
	user, err := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil || validKind(kind) != nil || userKey(user, kind) != name {
		return "", false
	}
	return userAD(user, kind), true
}

// isLegacyTemp reports a temporary record named the way versions before digested names did
// ("temp:cb:…", "stemp:<user>:auth"): unsealed or named in clear, unreachable now.
func isLegacyTemp(name string) bool {
	return (strings.HasPrefix(name, tempPrefix) || strings.HasPrefix(name, sealedTempPrefix)) && !isDigestName(name)
}
