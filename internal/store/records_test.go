package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := NewMemory()
	s := mustNew(t, b, mustKeyring(t, testKey(1)))
	customer := []byte(`{"customerId":"64f0c1a2b3c4d5e6f7a8b9c0"}`)
	if err := s.PutRecord(ctx, "watch:-100123:42:ab12", customer, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRecord(ctx, "watch:7:7:cd34", []byte("second"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRecord(ctx, "other", []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRecord(ctx, "watch:-100123:42:ab12")
	if err != nil || !bytes.Equal(got, customer) {
		t.Fatalf("GetRecord = %q, %v", got, err)
	}
	raw, err := b.Get(ctx, "rec:watch:-100123:42:ab12")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("64f0c1a2b3c4d5e6f7a8b9c0")) {
		t.Fatal("the stored record holds the customer ID in clear")
	}
	keys, err := s.RecordKeys(ctx, "watch:")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"watch:-100123:42:ab12", "watch:7:7:cd34"}; fmt.Sprint(keys) != fmt.Sprint(want) {
		t.Fatalf("RecordKeys(watch:) = %q, want %q", keys, want)
	}
	// Other families (temp, user records, the check record) are not listed as records.
	s.PutTemp(ctx, "watch:9", []byte("t"), 0)
	s.PutUser(ctx, 9, "watch", []byte("u"))
	if keys, _ := s.RecordKeys(ctx, ""); len(keys) != 3 {
		t.Fatalf("RecordKeys(\"\") = %q, want the 3 records only", keys)
	}
	if err := s.DeleteRecord(ctx, "watch:7:7:cd34"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRecord(ctx, "watch:7:7:cd34"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("GetRecord after delete: %v, want ErrNotFound", err)
	}
}

// TestRecordBoundToKey: a record copied under another key, or read as another family's
// record, does not open.
func TestRecordBoundToKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := NewMemory()
	s := mustNew(t, b, mustKeyring(t, testKey(1)))
	if err := s.PutRecord(ctx, "watch:1:1:a", []byte("mine"), 0); err != nil {
		t.Fatal(err)
	}
	raw, _ := b.Get(ctx, recordKey("watch:1:1:a"))
	b.Put(ctx, recordKey("watch:2:2:a"), raw, 0)
	if _, err := s.GetRecord(ctx, "watch:2:2:a"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("record moved to another key: %v, want ErrCorrupt", err)
	}
	b.Put(ctx, userKey(1, "a"), raw, 0)
	if _, err := s.GetUser(ctx, 1, "a"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("record read as a user record: %v, want ErrCorrupt", err)
	}
	s.PutUser(ctx, 1, "creds", []byte(testHeader))
	uraw, _ := b.Get(ctx, userKey(1, "creds"))
	b.Put(ctx, recordKey("user:1:creds"), uraw, 0)
	if got, err := s.GetRecord(ctx, "user:1:creds"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("user record read as a record: %q, %v; want ErrCorrupt", got, err)
	}
}

func TestTakeRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := NewMemory()
	s := mustNew(t, b, mustKeyring(t, testKey(1)))
	if err := s.PutRecord(ctx, "confirm:abc", []byte("reboot"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if got, err := s.TakeRecord(ctx, "confirm:abc"); err != nil || string(got) != "reboot" {
		t.Fatalf("TakeRecord = %q, %v", got, err)
	}
	if got, err := s.TakeRecord(ctx, "confirm:abc"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second TakeRecord = %q, %v; want ErrNotFound", got, err)
	}
	// A tampered record is consumed but not opened.
	s.PutRecord(ctx, "confirm:def", []byte("reboot"), time.Minute)
	raw, _ := b.Get(ctx, recordKey("confirm:def"))
	raw[len(raw)-1] ^= 1
	b.Put(ctx, recordKey("confirm:def"), raw, 0)
	if _, err := s.TakeRecord(ctx, "confirm:def"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("TakeRecord of a tampered record: %v, want ErrCorrupt", err)
	}
}

func TestRecordKeyValidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mustNew(t, NewMemory(), mustKeyring(t, testKey(1)))
	for _, key := range []string{"", "a b", "tab\t", "é", "nul\x00", strings.Repeat("k", 257)} {
		if err := s.PutRecord(ctx, key, []byte("v"), 0); err == nil {
			t.Errorf("PutRecord(%q) succeeded", key)
		}
		if _, err := s.GetRecord(ctx, key); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("GetRecord(%q) = %v, want a validation error", key, err)
		}
		if _, err := s.TakeRecord(ctx, key); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("TakeRecord(%q) = %v, want a validation error", key, err)
		}
		if err := s.DeleteRecord(ctx, key); err == nil {
			t.Errorf("DeleteRecord(%q) succeeded", key)
		}
	}
}

// TestRecordRotation: a record sealed with the previous key opens, is not re-sealed by a
// read (a read never overwrites a concurrent write), and is sealed with the new key when
// written again.
func TestRecordRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	keyA, keyB := testKey(0xA), testKey(0xB)
	b := NewMemory()
	sA := mustNew(t, b, mustKeyring(t, keyA))
	if err := sA.PutRecord(ctx, "watch:1:1:x", []byte("state"), 0); err != nil {
		t.Fatal(err)
	}
	sBA := mustNew(t, b, mustKeyring(t, keyB, keyA))
	if got, err := sBA.GetRecord(ctx, "watch:1:1:x"); err != nil || string(got) != "state" {
		t.Fatalf("GetRecord with keyring(B, A) = %q, %v", got, err)
	}
	raw, _ := b.Get(ctx, recordKey("watch:1:1:x"))
	if id := string(raw[1 : 1+keyIDLen]); id != KeyID(keyA) {
		t.Fatalf("a read re-sealed the record (key ID %s)", id)
	}
	if err := sBA.PutRecord(ctx, "watch:1:1:x", []byte("state 2"), 0); err != nil {
		t.Fatal(err)
	}
	raw, _ = b.Get(ctx, recordKey("watch:1:1:x"))
	if id := string(raw[1 : 1+keyIDLen]); id != KeyID(keyB) {
		t.Fatalf("record key ID after a write = %s, want B's %s", id, KeyID(keyB))
	}
}
