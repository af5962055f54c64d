package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestTempNamesAndValuesSealed: what a caller puts in a temp key or value (an e-mail address,
// customer IDs) is neither in the backend's key name nor in its value.
func TestTempNamesAndValuesSealed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := NewMemory()
	s := mustNew(t, b, mustKeyring(t, testKey(1)))
	const email, cid = "jane.doe@example.com", "64f0c1a2b3c4d5e6f7a8b9c0"
	if err := s.PutTemp(ctx, "find:"+email, []byte(`{"customer":"`+cid+`"}`), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSealedTemp(ctx, 7, "cache:"+cid, []byte(cid), time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{s.tempKey("find:" + email), s.sealedTempKey(7, "cache:"+cid)} {
		if !isDigestName(name) || strings.Contains(name, "jane") || strings.Contains(name, cid) {
			t.Errorf("record name %q is not an opaque digest", name)
		}
		raw, err := b.Get(ctx, name)
		if err != nil {
			t.Fatalf("raw record %s: %v", name, err)
		}
		if bytes.Contains(raw, []byte(cid)) {
			t.Errorf("record %s holds the customer ID in clear", name)
		}
	}
	for _, plain := range []string{"temp:find:" + email, "find:" + email, "stemp:7:cache:" + cid} {
		if _, err := b.Get(ctx, plain); !errors.Is(err, ErrNotFound) {
			t.Errorf("a record is stored under the plain name %q", plain)
		}
	}
	if got, err := s.GetTemp(ctx, "find:"+email); err != nil || !bytes.Contains(got, []byte(cid)) {
		t.Fatalf("GetTemp = %q, %v", got, err)
	}
	// A temp value moved under another name does not open.
	raw, _ := b.Get(ctx, s.tempKey("find:"+email))
	b.Put(ctx, s.tempKey("find:other"), raw, 0)
	if _, err := s.GetTemp(ctx, "find:other"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a temp record moved to another name: %v, want ErrCorrupt", err)
	}
}

// TestNamesStable: replicas and restarts derive the same names, and so does a store after
// a key rotation (the name key is re-sealed, not replaced), so no temp record is lost.
func TestNamesStable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	keyA, keyB := testKey(0xA), testKey(0xB)
	b := NewMemory()
	s1 := mustNew(t, b, mustKeyring(t, keyA))
	s2 := mustNew(t, b, mustKeyring(t, keyA))
	if err := s1.PutTemp(ctx, "cb:abc", []byte("buttons"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, err := s2.GetTemp(ctx, "cb:abc"); err != nil || string(got) != "buttons" {
		t.Fatalf("a second store on the backend: GetTemp = %q, %v", got, err)
	}
	rotated := mustNew(t, b, mustKeyring(t, keyB, keyA))
	if got, err := rotated.GetTemp(ctx, "cb:abc"); err != nil || string(got) != "buttons" {
		t.Fatalf("after rotation: GetTemp = %q, %v", got, err)
	}
	if rotated.tempKey("cb:abc") != s1.tempKey("cb:abc") {
		t.Fatal("the rotation changed record names")
	}
	rec, _ := b.Get(ctx, namesKey)
	if id := string(rec[1 : 1+keyIDLen]); id != KeyID(keyB) {
		t.Errorf("name key sealed with %s after rotation, want %s", id, KeyID(keyB))
	}
	// Another store's digests differ: the name key is random, not derived from the names.
	other := mustNew(t, NewMemory(), mustKeyring(t, keyA))
	if other.tempKey("cb:abc") == s1.tempKey("cb:abc") {
		t.Error("two stores with one sealing key share the name key")
	}
}

// TestResealNeverUndoesANewerWrite: a read that re-seals a record sealed with a previous key
// must not overwrite a write that happened between its Get and its re-seal.
func TestResealNeverUndoesANewerWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	keyA, keyB := testKey(0xA), testKey(0xB)
	b := NewMemory()
	old := mustNew(t, b, mustKeyring(t, keyA))
	if err := old.PutUser(ctx, 3, "creds", []byte("old")); err != nil {
		t.Fatal(err)
	}
	s := mustNew(t, b, mustKeyring(t, keyB, keyA))
	rec, _ := b.Get(ctx, userKey(3, "creds"))
	if err := s.PutUser(ctx, 3, "creds", []byte("new")); err != nil { // another update, meanwhile
		t.Fatal(err)
	}
	pt, _, err := s.k.open(rec, userAD(3, "creds"))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.reseal(ctx, userKey(3, "creds"), rec, pt, userAD(3, "creds")); ok || err != nil {
		t.Fatalf("re-seal of a replaced record = %v, %v; want false, nil", ok, err)
	}
	if got, err := s.GetUser(ctx, 3, "creds"); err != nil || string(got) != "new" {
		t.Fatalf("GetUser = %q, %v; want the newer write", got, err)
	}
}
