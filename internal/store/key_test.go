package store_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"plumebot/internal/store"
)

func TestParseKey(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcde\xff") // 32 bytes; \xff makes std and url differ
	tests := []struct {
		name, in string
		wantErr  bool
	}{
		{"std padded", base64.StdEncoding.EncodeToString(key), false},
		{"std raw", base64.RawStdEncoding.EncodeToString(key), false},
		{"url padded", base64.URLEncoding.EncodeToString(key), false},
		{"url raw", base64.RawURLEncoding.EncodeToString(key), false},
		{"surrounding space", "  " + base64.StdEncoding.EncodeToString(key) + "\n", false},
		{"31 bytes", base64.StdEncoding.EncodeToString(key[:31]), true},
		{"33 bytes", base64.StdEncoding.EncodeToString(append(key, 1)), true},
		{"not base64", "this-is-not-base64-at-all!!", true},
		{"hex", strings.Repeat("ab", 32), true},
		{"empty", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := store.ParseKey(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatal("ParseKey succeeded")
				}
				if tc.in != "" && strings.Contains(err.Error(), strings.TrimSpace(tc.in)) {
					t.Fatalf("error %q echoes the input", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, key) {
				t.Fatalf("ParseKey = %x, %v; want %x", got, err, key)
			}
		})
	}
}

func TestLoadKey(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{7}, 32)
	b64 := base64.StdEncoding.EncodeToString(key)
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte(b64+"\n"), 0o600)
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("hunter2-not-a-key"), 0o600)

	tests := []struct {
		name, value, file string
		wantErr           error // nil: want key
		anyErr            bool
		mustNotEcho       string
	}{
		{name: "value", value: b64},
		{name: "file, trimmed", file: good},
		{name: "neither", wantErr: store.ErrNoKey},
		{name: "both", value: b64, file: good, anyErr: true},
		{name: "missing file", file: filepath.Join(dir, "nope"), anyErr: true},
		{name: "bad file", file: bad, anyErr: true, mustNotEcho: "hunter2"},
		{name: "bad value", value: "hunter2-not-a-key", anyErr: true, mustNotEcho: "hunter2"},
	}
	for _, tc := range tests {
		got, err := store.LoadKey(tc.value, tc.file)
		switch {
		case tc.wantErr != nil:
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("%s: err = %v, want %v", tc.name, err, tc.wantErr)
			}
		case tc.anyErr:
			if err == nil {
				t.Errorf("%s: LoadKey succeeded", tc.name)
			} else if tc.mustNotEcho != "" && strings.Contains(err.Error(), tc.mustNotEcho) {
				t.Errorf("%s: error %q echoes the input", tc.name, err)
			}
		default:
			if err != nil || !bytes.Equal(got, key) {
				t.Errorf("%s: LoadKey = %x, %v", tc.name, got, err)
			}
		}
	}
}

func TestEnsureKeyFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	key, path, created, err := store.EnsureKeyFile(dir)
	if err != nil || !created || len(key) != 32 || path != filepath.Join(dir, store.KeyFileName) {
		t.Fatalf("first EnsureKeyFile = %d bytes, %q, created %v, %v", len(key), path, created, err)
	}
	checkPerm(t, dir, 0o700)
	checkPerm(t, path, 0o600)

	os.Chmod(path, 0o644) // an operator's copy with loose permissions is tightened
	again, path2, created, err := store.EnsureKeyFile(dir)
	if err != nil || created || path2 != path || !bytes.Equal(again, key) {
		t.Fatalf("second EnsureKeyFile: created %v, same key %v, %v", created, bytes.Equal(again, key), err)
	}
	checkPerm(t, path, 0o600)

	other, _, _, err := store.EnsureKeyFile(t.TempDir())
	if err != nil || bytes.Equal(other, key) {
		t.Fatalf("a new folder got the same key or failed: %v", err)
	}
}

func checkPerm(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %o, want %o", filepath.Base(path), got, want)
	}
}
