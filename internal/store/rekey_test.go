package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"plumebot/internal/store"
)

func rekeyKey(b byte) []byte { return bytes.Repeat([]byte{b}, store.KeySize) }

func openStore(t *testing.T, raw store.Backend, keys ...[]byte) *store.Store {
	t.Helper()
	kr, err := store.NewKeyring(keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.New(context.Background(), raw, kr)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// keyIDs is the key ID of every record in raw, by name.
func keyIDs(t *testing.T, raw store.Backend) map[string]string {
	t.Helper()
	ctx := context.Background()
	names, err := raw.Keys(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, n := range names {
		v, err := raw.Get(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if len(v) < 9 {
			out[n] = "(not sealed)"
			continue
		}
		out[n] = string(v[1:9])
	}
	return out
}

// TestRekey is a whole rotation on each backend: records sealed with key A, the store opened
// with B and A, Rekey, then the store opened with B alone reads everything, and temporary
// records of an older version (named in clear, unsealed) are gone.
func TestRekey(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, _, _ *store.Store, raw store.Backend) {
		ctx := context.Background()
		keyA, keyB := mustKeyBytes(), rekeyKey(0xB)
		sA := openStore(t, raw, keyA)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(sA.PutUser(ctx, 1, "creds", []byte("header of user 1")))
		must(sA.PutUser(ctx, 1, "settings", []byte("last location")))
		must(sA.PutTemp(ctx, "cb:abc", []byte("buttons"), time.Hour))
		must(sA.PutSealedTemp(ctx, 2, "auth", []byte("conversation"), time.Hour))
		must(sA.PutRecord(ctx, "watch:1:2:x", []byte("a watch"), 0))
		must(raw.Put(ctx, "temp:cb:legacy", []byte(`{"cu":"64f0c1a2b3c4d5e6f7a8b9c0"}`), time.Hour))

		sBA := openStore(t, raw, keyB, keyA)
		rep, err := sBA.Rekey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// New re-sealed the check record and the name key; Rekey the five records.
		if rep.Resealed != 5 || rep.Current != 2 || rep.Removed != 1 || rep.Unreadable != 0 {
			t.Errorf("report %+v, want 5 re-sealed, 2 current, 1 removed", rep)
		}
		for name, id := range keyIDs(t, raw) {
			if id != store.KeyID(keyB) {
				t.Errorf("%s is sealed with %s after rekey, want %s", name, id, store.KeyID(keyB))
			}
		}
		again, err := sBA.Rekey(ctx)
		if err != nil || again.Resealed != 0 || again.Current != 7 {
			t.Errorf("a second rekey: %+v, %v; want nothing to do", again, err)
		}

		sB := openStore(t, raw, keyB) // the previous key dropped
		for what, get := range map[string]func() ([]byte, error){
			"header of user 1": func() ([]byte, error) { return sB.GetUser(ctx, 1, "creds") },
			"last location":    func() ([]byte, error) { return sB.GetUser(ctx, 1, "settings") },
			"buttons":          func() ([]byte, error) { return sB.GetTemp(ctx, "cb:abc") },
			"conversation":     func() ([]byte, error) { return sB.GetSealedTemp(ctx, 2, "auth") },
			"a watch":          func() ([]byte, error) { return sB.GetRecord(ctx, "watch:1:2:x") },
		} {
			if got, err := get(); err != nil || string(got) != what {
				t.Errorf("with the new key alone: %q, %v; want %q", got, err, what)
			}
		}
	})
}

// mustKeyBytes is the key of mustKeyringT, which forEachBackend's stores are opened with.
func mustKeyBytes() []byte { return []byte("0123456789abcdef0123456789abcdef") }

// TestRekeyUnreadable: a record sealed with a key the keyring lacks is counted, named by its
// key ID, and left as it is; so is a damaged one, counted apart.
func TestRekeyUnreadable(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, _, _ *store.Store, raw store.Backend) {
		ctx := context.Background()
		keyA, keyC := mustKeyBytes(), rekeyKey(0xC)
		s := openStore(t, raw, keyA)
		// The record of a store sealed with C, copied here (the name and user are the same).
		otherRaw := store.NewMemory()
		o := openStore(t, otherRaw, keyC)
		if err := o.PutUser(ctx, 7, "creds", []byte("x")); err != nil {
			t.Fatal(err)
		}
		v, err := otherRaw.Get(ctx, "user:7:creds")
		if err != nil {
			t.Fatal(err)
		}
		if err := raw.Put(ctx, "user:7:creds", v, 0); err != nil {
			t.Fatal(err)
		}
		// A record sealed with the current key and damaged: no key opens it, and naming the
		// current key as the one to give as the previous key would send the operator astray.
		if err := s.PutUser(ctx, 8, "creds", []byte("y")); err != nil {
			t.Fatal(err)
		}
		damaged, err := raw.Get(ctx, "user:8:creds")
		if err != nil {
			t.Fatal(err)
		}
		damaged[len(damaged)-1] ^= 1
		if err := raw.Put(ctx, "user:8:creds", damaged, 0); err != nil {
			t.Fatal(err)
		}
		rep, err := s.Rekey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Unreadable != 1 || !slices.Equal(rep.UnreadableKeyIDs, []string{store.KeyID(keyC)}) || rep.Damaged != 1 {
			t.Errorf("report %+v, want one unreadable record of key %s and one damaged record", rep, store.KeyID(keyC))
		}
		if got, err := raw.Get(ctx, "user:7:creds"); err != nil || !bytes.Equal(got, v) {
			t.Errorf("the unreadable record was changed: %v", err)
		}
		if got, err := raw.Get(ctx, "user:8:creds"); err != nil || !bytes.Equal(got, damaged) {
			t.Errorf("the damaged record was changed: %v", err)
		}
	})
}

// TestRekeyWhileWriting: replicas keep writing during a rekey; no write is undone (every
// user's record holds the last value written to it) and everything ends sealed with the new key.
func TestRekeyWhileWriting(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, _, _ *store.Store, raw store.Backend) {
		ctx := context.Background()
		keyA, keyB := mustKeyBytes(), rekeyKey(0xB)
		sA := openStore(t, raw, keyA)
		const users = 60
		for u := range int64(users) {
			if err := sA.PutUser(ctx, u, "settings", []byte("v0")); err != nil {
				t.Fatal(err)
			}
		}
		rekeyer, writer := openStore(t, raw, keyB, keyA), openStore(t, raw, keyB, keyA)
		var wg sync.WaitGroup
		var last [users]atomic.Value
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 1; round <= 3; round++ {
				for u := range int64(users) {
					v := fmt.Sprintf("v%d", round)
					if err := writer.PutUser(ctx, u, "settings", []byte(v)); err != nil {
						t.Error(err)
						return
					}
					last[u].Store(v)
				}
			}
		}()
		if _, err := rekeyer.Rekey(ctx); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		sB := openStore(t, raw, keyB)
		for u := range int64(users) {
			got, err := sB.GetUser(ctx, u, "settings")
			if want, _ := last[u].Load().(string); err != nil || string(got) != want {
				t.Errorf("user %d: %q, %v; want the last write %q", u, got, err, want)
			}
		}
	})
}

// failAfter fails CompareAndSwap with ErrUnavailable after n swaps: a rekey cut off midway.
type failAfter struct {
	store.Backend
	n atomic.Int32
}

func (f *failAfter) CompareAndSwap(ctx context.Context, key string, old, new []byte) (bool, error) {
	if f.n.Add(-1) < 0 {
		return false, fmt.Errorf("store: test: %w", store.ErrUnavailable)
	}
	return f.Backend.CompareAndSwap(ctx, key, old, new)
}

// TestRekeyResumes: a rekey that fails midway (Redis gone) is finished by running it again.
func TestRekeyResumes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	raw := store.NewMemory()
	keyA, keyB := mustKeyBytes(), rekeyKey(0xB)
	sA := openStore(t, raw, keyA)
	for u := range int64(10) {
		if err := sA.PutUser(ctx, u, "creds", []byte("c")); err != nil {
			t.Fatal(err)
		}
	}
	cut := &failAfter{Backend: raw}
	cut.n.Store(1 << 20) // New re-seals the check record and the name key
	s := openStore(t, cut, keyB, keyA)
	cut.n.Store(4)
	rep, err := s.Rekey(ctx)
	if !errors.Is(err, store.ErrUnavailable) || rep.Resealed != 4 {
		t.Fatalf("cut-off rekey: %+v, %v; want 4 re-sealed then ErrUnavailable", rep, err)
	}
	cut.n.Store(1 << 20)
	rep, err = s.Rekey(ctx)
	if err != nil || rep.Resealed != 6 {
		t.Fatalf("second run: %+v, %v; want the 6 left", rep, err)
	}
}
