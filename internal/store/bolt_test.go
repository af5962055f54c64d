package store_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"plumebot/internal/store"
)

// TestBoltRestart: credentials survive a close and reopen, the folder and file stay private,
// and no file in the folder holds a secret in clear.
func TestBoltRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "plumebot")
	key, _, _, err := store.EnsureKeyFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	creds := []byte(`{"authHeader":"` + testHeader + `","clientSecret":"` + testSecret + `"}`)

	open := func() *store.Store {
		t.Helper()
		b, err := store.OpenBolt(dir)
		if err != nil {
			t.Fatal(err)
		}
		k, err := store.NewKeyring(key)
		if err != nil {
			t.Fatal(err)
		}
		s, err := store.New(ctx, b, k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	if err := s.PutUser(ctx, 42, "plume", creds); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSealedTemp(ctx, 42, "auth", []byte(testHeader), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Loosened by hand between runs: reopening tightens them again.
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Join(dir, store.BoltFileName), 0o644)
	s = open()
	defer s.Close()
	checkPerm(t, dir, 0o700)
	checkPerm(t, filepath.Join(dir, store.BoltFileName), 0o600)
	got, err := s.GetUser(ctx, 42, "plume")
	if err != nil || !bytes.Equal(got, creds) {
		t.Fatalf("after restart GetUser = %q, %v", got, err)
	}
	if got, err := s.GetSealedTemp(ctx, 42, "auth"); err != nil || string(got) != testHeader {
		t.Fatalf("after restart GetSealedTemp = %q, %v", got, err)
	}

	// Search the raw bytes of every file, including the base64 of the secrets.
	needles := []string{testHeader, testSecret, "c2VjcmV0OnNlY3JldA", "secret:secret"}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if bytes.Contains(raw, []byte(n)) {
				t.Errorf("%s contains %q in clear", filepath.Base(path), n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBoltSecondOpen: a second owner of the same folder gets an error, not a hang.
func TestBoltSecondOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b, err := store.OpenBolt(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b2, err := store.OpenBolt(dir); err == nil {
		b2.Close()
		t.Fatal("second OpenBolt of one folder succeeded")
	}
}

func TestBoltClosed(t *testing.T) {
	t.Parallel()
	b, err := store.OpenBolt(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := b.Put(context.Background(), "k", []byte("v"), 0); err == nil {
		t.Fatal("Put after Close succeeded")
	}
}

const (
	testHeader = "Basic c2VjcmV0OnNlY3JldA=="
	testSecret = "s3cr3t-client-secret"
)
