package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Record layout: version | key ID (8 ASCII hex chars) | nonce (12) | ciphertext+tag.
const (
	recordVersion = 1
	keyIDLen      = 8
	nonceLen      = 12
	headerLen     = 1 + keyIDLen + nonceLen
	// KeySize is the length of a sealing key: AES-256.
	KeySize = 32
)

// Keyring seals with the current key and opens with the current or any previous key.
type Keyring struct {
	currentID string
	aeads     map[string]cipher.AEAD
}

// KeyID names a key without revealing it: the first 8 hex chars of its SHA-256.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:])[:keyIDLen]
}

// NewKeyring builds a keyring that seals with current and also opens records sealed with
// any of previous (key rotation). Every key must be KeySize bytes.
func NewKeyring(current []byte, previous ...[]byte) (*Keyring, error) {
	k := &Keyring{aeads: make(map[string]cipher.AEAD, 1+len(previous))}
	for i, key := range append([][]byte{current}, previous...) {
		if len(key) != KeySize {
			if i == 0 {
				return nil, fmt.Errorf("store: secret key must be %d bytes, got %d", KeySize, len(key))
			}
			return nil, fmt.Errorf("store: previous secret key %d must be %d bytes, got %d", i, KeySize, len(key))
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("store: key: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("store: key: %w", err)
		}
		id := KeyID(key)
		if i == 0 {
			k.currentID = id
		}
		if _, dup := k.aeads[id]; !dup {
			k.aeads[id] = aead
		}
	}
	return k, nil
}

// CurrentID is the key ID new records are sealed with (safe to log).
func (k *Keyring) CurrentID() string { return k.currentID }

func (k *Keyring) seal(plaintext []byte, ad string) ([]byte, error) {
	aead := k.aeads[k.currentID]
	out := make([]byte, headerLen, headerLen+len(plaintext)+aead.Overhead())
	out[0] = recordVersion
	copy(out[1:], k.currentID)
	nonce := out[1+keyIDLen : headerLen]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("store: nonce: %w", err)
	}
	return aead.Seal(out, nonce, plaintext, []byte(ad)), nil
}

// open returns the plaintext and the ID of the key that opened it.
func (k *Keyring) open(rec []byte, ad string) ([]byte, string, error) {
	if len(rec) < headerLen {
		return nil, "", fmt.Errorf("%w: too short", ErrCorrupt)
	}
	if rec[0] != recordVersion {
		return nil, "", fmt.Errorf("%w: unknown record version %d", ErrCorrupt, rec[0])
	}
	id := string(rec[1 : 1+keyIDLen])
	aead, ok := k.aeads[id]
	if !ok {
		return nil, "", fmt.Errorf("%w: record sealed with key ID %s, which is neither the current "+
			"PLUMEBOT_SECRET_KEY nor a previous key", ErrWrongKey, printableID(id))
	}
	pt, err := aead.Open(nil, rec[1+keyIDLen:headerLen], rec[headerLen:], []byte(ad))
	if err != nil {
		return nil, "", fmt.Errorf("%w: authentication failed", ErrCorrupt)
	}
	return pt, id, nil
}

// recordKeyID reads the key ID of a record for messages, whatever its state.
func recordKeyID(rec []byte) string {
	if len(rec) < 1+keyIDLen {
		return "(none: record too short)"
	}
	return printableID(string(rec[1 : 1+keyIDLen]))
}

// printableID keeps a tampered key ID from injecting arbitrary bytes into messages.
func printableID(id string) string {
	if _, err := hex.DecodeString(id); err != nil {
		return fmt.Sprintf("%q", id)
	}
	return id
}

var errKeyFormat = errors.New("store: secret key must be the base64 of 32 random bytes " +
	"(generate one with: openssl rand -base64 32)")
