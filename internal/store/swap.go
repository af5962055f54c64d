package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"
)

// CompareAndSwap of each backend: see Backend.CompareAndSwap. A re-seal (a read under an old
// key, a rekey) writes only if the record is still the one it opened, so it never undoes a
// newer write by another replica or update.

func (m *memory) CompareAndSwap(ctx context.Context, key string, old, new []byte) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false, errClosed
	}
	e, ok := m.data[key]
	if !ok || e.expired(time.Now().UnixNano()) || !bytes.Equal(e.val, old) {
		return false, nil
	}
	e.val = bytes.Clone(new)
	if e.val == nil {
		e.val = []byte{}
	}
	m.data[key] = e
	return true, nil
}

// errNoSwap ends a bolt transaction that has nothing to write.
var errNoSwap = errors.New("no swap")

func (b *boltBackend) CompareAndSwap(ctx context.Context, key string, old, new []byte) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(boltBucket)
		raw := bk.Get([]byte(key))
		if raw == nil || boltExpired(raw, time.Now().UnixNano()) || !bytes.Equal(raw[8:], old) {
			return errNoSwap
		}
		// boltExpired refused records under 8 bytes: raw starts with its expiry, kept as is.
		return bk.Put([]byte(key), encodeBolt(new, int64(binary.BigEndian.Uint64(raw))))
	})
	switch {
	case errors.Is(err, errNoSwap):
		return false, nil
	case err != nil:
		return false, boltErr("compare-and-swap", err)
	}
	return true, nil
}

// swapScript sets KEYS[1] to ARGV[2] if it holds ARGV[1], keeping its TTL (Redis ≥ 6.0).
var swapScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then
	redis.call("SET", KEYS[1], ARGV[2], "KEEPTTL")
	return 1
end
return 0`)

func (r *redisBackend) CompareAndSwap(ctx context.Context, key string, old, new []byte) (bool, error) {
	if new == nil {
		new = []byte{}
	}
	n, err := swapScript.Run(ctx, r.c, []string{r.prefix + key}, old, new).Int()
	if err != nil {
		return false, redisErr(ctx, "compare-and-swap", err)
	}
	return n == 1, nil
}
