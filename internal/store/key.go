package store

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrNoKey reports that neither PLUMEBOT_SECRET_KEY nor PLUMEBOT_SECRET_KEY_FILE is set:
// embedded mode then calls EnsureKeyFile, Redis mode refuses to start.
var ErrNoKey = errors.New("store: no secret key: set PLUMEBOT_SECRET_KEY or PLUMEBOT_SECRET_KEY_FILE")

// KeyFileName is the key EnsureKeyFile generates in the data folder.
const KeyFileName = "secret.key"

// ParseKey decodes base64 (standard or URL alphabet, padded or not) of exactly 32 bytes.
// Its errors never contain the input.
func ParseKey(b64 string) ([]byte, error) {
	s := strings.TrimSpace(b64)
	if s == "" {
		return nil, errKeyFormat
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding,
		base64.URLEncoding, base64.RawURLEncoding} {
		key, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("%w; it decodes to %d bytes", errKeyFormat, len(key))
		}
		return key, nil
	}
	return nil, errKeyFormat
}

// LoadKey reads the key from the value of PLUMEBOT_SECRET_KEY or the file named by
// PLUMEBOT_SECRET_KEY_FILE (content trimmed); exactly one may be set, ErrNoKey if neither.
func LoadKey(value, file string) ([]byte, error) {
	switch {
	case value != "" && file != "":
		return nil, errors.New("store: set only one of PLUMEBOT_SECRET_KEY and PLUMEBOT_SECRET_KEY_FILE")
	case value != "":
		key, err := ParseKey(value)
		if err != nil {
			return nil, fmt.Errorf("PLUMEBOT_SECRET_KEY: %w", err)
		}
		return key, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("PLUMEBOT_SECRET_KEY_FILE: %w", err)
		}
		key, err := ParseKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("PLUMEBOT_SECRET_KEY_FILE %s: %w", file, err)
		}
		return key, nil
	}
	return nil, ErrNoKey
}

// EnsureKeyFile is for embedded mode without a configured key: it reads dir/secret.key, or
// generates 32 random bytes into it (0600, dir 0700) and reports created so the caller can
// log a warning saying where the key is.
func EnsureKeyFile(dir string) (key []byte, path string, created bool, err error) {
	if dir == "" {
		return nil, "", false, errors.New("store: EnsureKeyFile: empty data folder")
	}
	if err := ensureDir(dir); err != nil {
		return nil, "", false, err
	}
	path = filepath.Join(dir, KeyFileName)
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, "", false, fmt.Errorf("store: generate key: %w", err)
	}
	// O_EXCL: two processes starting at once must not each write a different key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
		if werr == nil {
			werr = f.Sync()
		}
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(path)
			return nil, "", false, fmt.Errorf("store: write key file: %w", werr)
		}
		return key, path, true, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return nil, "", false, fmt.Errorf("store: create key file: %w", err)
	}
	if err := ensurePerm(path, 0o600); err != nil {
		return nil, "", false, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", false, fmt.Errorf("store: read key file: %w", err)
	}
	key, err = ParseKey(string(b))
	if err != nil {
		return nil, "", false, fmt.Errorf("store: key file %s: %w", path, err)
	}
	return key, path, false, nil
}

// ensureDir creates dir 0700 and tightens it if it exists with looser permissions.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store: create data folder: %w", err)
	}
	return ensurePerm(dir, 0o700)
}

// ensurePerm removes any permission bit beyond want (never widens).
func ensurePerm(path string, want fs.FileMode) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if fi.Mode().Perm()&^want != 0 {
		if err := os.Chmod(path, fi.Mode().Perm()&want); err != nil {
			return fmt.Errorf("store: tighten permissions: %w", err)
		}
	}
	return nil
}
