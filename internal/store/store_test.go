package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

// Plaintexts that must never appear in a record, an error or a file.
const (
	testHeader = "Basic c2VjcmV0OnNlY3JldA=="
	testSecret = "s3cr3t-client-secret"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func mustKeyring(t testing.TB, keys ...[]byte) *Keyring {
	t.Helper()
	k, err := NewKeyring(keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustNew(t testing.TB, b Backend, k *Keyring) *Store {
	t.Helper()
	s, err := New(context.Background(), b, k)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestUserRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := NewMemory()
	s := mustNew(t, b, mustKeyring(t, testKey(1)))
	tests := []struct {
		user int64
		kind string
		val  []byte
	}{
		{42, "plume", []byte(testHeader + "|" + testSecret)},
		{42, "prefs", []byte(`{"last":"x"}`)},
		{-100123, "plume", []byte("negative IDs are group chats")},
		{7, "empty", []byte{}},
		{7, "big", bytes.Repeat([]byte("x"), 64<<10)},
	}
	for _, tc := range tests {
		if err := s.PutUser(ctx, tc.user, tc.kind, tc.val); err != nil {
			t.Fatalf("PutUser(%d, %s): %v", tc.user, tc.kind, err)
		}
	}
	for _, tc := range tests {
		got, err := s.GetUser(ctx, tc.user, tc.kind)
		if err != nil || !bytes.Equal(got, tc.val) {
			t.Errorf("GetUser(%d, %s) = %.30q, %v; want %.30q", tc.user, tc.kind, got, err, tc.val)
		}
		raw, err := b.Get(ctx, userKey(tc.user, tc.kind))
		if err != nil {
			t.Fatal(err)
		}
		if len(tc.val) > 8 && bytes.Contains(raw, tc.val) {
			t.Errorf("record of user %d holds its plaintext", tc.user)
		}
	}
	if _, err := s.GetUser(ctx, 43, "plume"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetUser of another user: %v, want ErrNotFound", err)
	}
	if err := s.DeleteUser(ctx, 42, "plume"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetUser(ctx, 42, "plume"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetUser after DeleteUser: %v, want ErrNotFound", err)
	}
	if got, err := s.GetUser(ctx, 42, "prefs"); err != nil || string(got) != `{"last":"x"}` {
		t.Errorf("DeleteUser removed another kind: %q, %v", got, err)
	}
}

func TestSameValueSealsDifferently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := NewMemory()
	s := mustNew(t, b, mustKeyring(t, testKey(1)))
	s.PutUser(ctx, 1, "plume", []byte(testSecret))
	r1, _ := b.Get(ctx, userKey(1, "plume"))
	s.PutUser(ctx, 1, "plume", []byte(testSecret))
	r2, _ := b.Get(ctx, userKey(1, "plume"))
	if bytes.Equal(r1, r2) || bytes.Equal(r1[1+keyIDLen:headerLen], r2[1+keyIDLen:headerLen]) {
		t.Fatal("two seals of one value share a nonce")
	}
}

// TestSealedRecordsFailClosed alters or moves a sealed record and expects a clear error.
func TestSealedRecordsFailClosed(t *testing.T) {
	t.Parallel()
	flip := func(i int) func([]byte) []byte {
		return func(r []byte) []byte {
			if i < 0 {
				i += len(r)
			}
			r[i] ^= 0x01
			return r
		}
	}
	tests := []struct {
		name      string
		edit      func([]byte) []byte // nil: record kept as is
		user      int64               // where the record is read from
		kind      string
		wantErr   error
		wantInMsg string
	}{
		{"version byte", flip(0), 1, "plume", ErrCorrupt, "version"},
		{"key ID", func(r []byte) []byte { copy(r[1:], "deadbeef"); return r }, 1, "plume", ErrWrongKey, "deadbeef"},
		{"nonce", flip(1 + keyIDLen), 1, "plume", ErrCorrupt, ""},
		{"ciphertext", flip(headerLen), 1, "plume", ErrCorrupt, ""},
		{"tag", flip(-1), 1, "plume", ErrCorrupt, ""},
		{"truncated", func(r []byte) []byte { return r[:headerLen-1] }, 1, "plume", ErrCorrupt, ""},
		{"moved to another user", nil, 2, "plume", ErrCorrupt, ""},
		{"moved to another kind", nil, 1, "prefs", ErrCorrupt, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := NewMemory()
			s := mustNew(t, b, mustKeyring(t, testKey(1)))
			if err := s.PutUser(ctx, 1, "plume", []byte(testHeader)); err != nil {
				t.Fatal(err)
			}
			rec, _ := b.Get(ctx, userKey(1, "plume"))
			if tc.edit != nil {
				rec = tc.edit(rec)
			}
			b.Put(ctx, userKey(tc.user, tc.kind), rec, 0)
			got, err := s.GetUser(ctx, tc.user, tc.kind)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("GetUser = %q, %v; want %v", got, err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantInMsg) || strings.Contains(err.Error(), testHeader) {
				t.Fatalf("error %q: want it to mention %q and not the secret", err, tc.wantInMsg)
			}
			if !Absent(err) {
				t.Errorf("Absent(%v) = false: a record that does not open is as good as none to its reader", err)
			}
		})
	}
	// An unavailable backend says nothing about the record: not absent.
	if Absent(errClosed) || Absent(nil) || !Absent(ErrNotFound) {
		t.Error("Absent: want true for ErrNotFound only among ErrNotFound, ErrUnavailable and nil")
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	keyA, keyB := testKey(0xA), testKey(0xB)
	b := NewMemory()
	sA := mustNew(t, b, mustKeyring(t, keyA))
	if err := sA.PutUser(ctx, 9, "plume", []byte(testSecret)); err != nil {
		t.Fatal(err)
	}
	if _, err := New(ctx, b, mustKeyring(t, keyB)); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("New with only the new key before rotation: %v, want ErrWrongKey", err)
	}

	sBA := mustNew(t, b, mustKeyring(t, keyB, keyA))
	got, err := sBA.GetUser(ctx, 9, "plume")
	if err != nil || string(got) != testSecret {
		t.Fatalf("GetUser with keyring(B, A) = %q, %v", got, err)
	}
	raw, _ := b.Get(ctx, userKey(9, "plume"))
	if id := string(raw[1 : 1+keyIDLen]); id != KeyID(keyB) {
		t.Fatalf("record key ID after read = %s, want B's %s (re-sealed)", id, KeyID(keyB))
	}

	// The old key can now be dropped: check record and user record both open with B alone.
	sB := mustNew(t, b, mustKeyring(t, keyB))
	if got, err := sB.GetUser(ctx, 9, "plume"); err != nil || string(got) != testSecret {
		t.Fatalf("GetUser with keyring(B) = %q, %v", got, err)
	}
}

func TestWrongKeyAtNew(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	keyA, keyB := testKey(0xA), testKey(0xB)
	b := NewMemory()
	mustNew(t, b, mustKeyring(t, keyA))
	_, err := New(ctx, b, mustKeyring(t, keyB))
	if !errors.Is(err, ErrWrongKey) {
		t.Fatalf("New with another key: %v, want ErrWrongKey", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "PLUMEBOT_SECRET_KEY") {
		t.Errorf("error %q does not name PLUMEBOT_SECRET_KEY", msg)
	}
	for _, k := range [][]byte{keyA, keyB} {
		for _, enc := range []string{base64.StdEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k), string(k)} {
			if strings.Contains(msg, enc) {
				t.Errorf("error %q prints a key", msg)
			}
		}
	}
	// The same key opens it again: the check record is stable.
	mustNew(t, b, mustKeyring(t, keyA))
}

// TestDamagedCheckRecord: a check record that fails authentication under the key its ID names
// is damaged (changed or truncated in the backend), not a sign of a wrong key: the key ID
// proves the key is the one that sealed it. New writes it again and the store opens; it used
// to refuse to start, saying the key with ID X does not open data sealed with key ID X.
func TestDamagedCheckRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := NewMemory()
	mustNew(t, b, mustKeyring(t, testKey(0xA)))
	rec, err := b.Get(ctx, checkKey)
	if err != nil {
		t.Fatal(err)
	}
	rec[len(rec)-1] ^= 1
	if err := b.Put(ctx, checkKey, rec, 0); err != nil {
		t.Fatal(err)
	}
	mustNew(t, b, mustKeyring(t, testKey(0xA)))
	// Written again: a wrong key is still refused.
	if _, err := New(ctx, b, mustKeyring(t, testKey(0xB))); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("New with another key after the repair: %v, want ErrWrongKey", err)
	}
}

func TestSealedTemp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := NewMemory()
	s := mustNew(t, b, mustKeyring(t, testKey(1)))
	if err := s.PutSealedTemp(ctx, 5, "auth", []byte(testHeader), time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetSealedTemp(ctx, 5, "auth"); err != nil || string(got) != testHeader {
		t.Fatalf("GetSealedTemp = %q, %v", got, err)
	}
	raw, _ := b.Get(ctx, s.sealedTempKey(5, "auth"))
	if bytes.Contains(raw, []byte(testHeader)) {
		t.Fatal("sealed temp record holds its plaintext")
	}
	// Moved to another user, or read as a user record of a look-alike kind: refused.
	b.Put(ctx, s.sealedTempKey(6, "auth"), raw, 0)
	if _, err := s.GetSealedTemp(ctx, 6, "auth"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("sealed temp moved to another user: %v, want ErrCorrupt", err)
	}
	b.Put(ctx, userKey(5, "auth"), raw, 0)
	if _, err := s.GetUser(ctx, 5, "auth"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("sealed temp read as a user record: %v, want ErrCorrupt", err)
	}
	if err := s.DeleteSealedTemp(ctx, 5, "auth"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSealedTemp(ctx, 5, "auth"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v, want ErrNotFound", err)
	}
}

func TestTemp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mustNew(t, NewMemory(), mustKeyring(t, testKey(1)))
	if err := s.PutTemp(ctx, "btn:abc", []byte("payload"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetTemp(ctx, "btn:abc"); err != nil || string(got) != "payload" {
		t.Fatalf("GetTemp = %q, %v", got, err)
	}
	// Temp keys do not collide with user records or the check record.
	if _, err := s.GetTemp(ctx, "meta:check"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetTemp(meta:check): %v, want ErrNotFound", err)
	}
	if err := s.DeleteTemp(ctx, "btn:abc"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetTemp(ctx, "btn:abc"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v, want ErrNotFound", err)
	}
	unlock, err := s.Lock(ctx, "user:1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping after Close succeeded")
	}
}

func TestInvalidKind(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mustNew(t, NewMemory(), mustKeyring(t, testKey(1)))
	for _, kind := range []string{"", "a:b", "a|b", "Plume", "temp:x", strings.Repeat("a", 65)} {
		if err := s.PutUser(ctx, 1, kind, []byte("v")); err == nil {
			t.Errorf("PutUser(kind %q) succeeded", kind)
		}
		if _, err := s.GetUser(ctx, 1, kind); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("GetUser(kind %q) = %v, want a validation error", kind, err)
		}
		if err := s.DeleteUser(ctx, 1, kind); err == nil {
			t.Errorf("DeleteUser(kind %q) succeeded", kind)
		}
	}
}

func TestNewKeyring(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		keys    [][]byte
		wantErr bool
	}{
		{"one key", [][]byte{testKey(1)}, false},
		{"with previous", [][]byte{testKey(1), testKey(2)}, false},
		{"duplicate previous", [][]byte{testKey(1), testKey(1)}, false},
		{"short current", [][]byte{testKey(1)[:31]}, true},
		{"long previous", [][]byte{testKey(1), append(testKey(2), 0)}, true},
		{"nil", [][]byte{nil}, true},
	}
	for _, tc := range tests {
		k, err := NewKeyring(tc.keys[0], tc.keys[1:]...)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err = %v, wantErr %v", tc.name, err, tc.wantErr)
		}
		if err == nil && k.CurrentID() != KeyID(tc.keys[0]) {
			t.Errorf("%s: CurrentID = %s, want %s", tc.name, k.CurrentID(), KeyID(tc.keys[0]))
		}
	}
	if id := KeyID(testKey(1)); len(id) != 8 {
		t.Errorf("KeyID = %q, want 8 hex chars", id)
	}
}

// TestBoltSweep: the background sweep removes expired records from the file itself.
func TestBoltSweep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bk, err := OpenBolt(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer bk.Close()
	b := bk.(*boltBackend)
	b.Put(ctx, "short", []byte("v"), time.Millisecond)
	b.Put(ctx, "keep", []byte("v"), 0)
	deadline := time.Now().Add(10 * time.Second)
	for b.rawCount() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("sweep left %d records, want 1", b.rawCount())
		}
		b.sweep()
		time.Sleep(5 * time.Millisecond) // poll until the 1 ms TTL has passed
	}
	if _, err := b.Get(ctx, "keep"); err != nil {
		t.Fatalf("sweep removed a live record: %v", err)
	}
}
