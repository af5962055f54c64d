package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// BoltFileName is the database file OpenBolt keeps in the data folder.
const BoltFileName = "plumebot.db"

// boltSweepInterval spaces the background removal of expired records; reads skip them anyway.
const boltSweepInterval = time.Minute

var boltBucket = []byte("kv")

// boltBackend is the embedded default. One process owns the file (bbolt holds a file lock),
// so Lock can be in-process.
type boltBackend struct {
	db        *bolt.DB
	locks     lockTable
	leases    leaseTable
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// OpenBolt opens (or creates) dir/plumebot.db. dir is created 0700 and the file 0600, and
// looser existing permissions are tightened.
func OpenBolt(dir string) (Backend, error) {
	if dir == "" {
		return nil, errors.New("store: OpenBolt: empty data folder")
	}
	if err := ensureDir(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, BoltFileName)
	// The timeout turns a second process on the same folder into an error, not a hang.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 3 * time.Second})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("store: open %s: %w (is another plumebot using this data folder?)", path, err)
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := ensurePerm(path, 0o600); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(boltBucket)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: init %s: %w", path, err)
	}
	b := &boltBackend{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	go b.sweeper()
	return b, nil
}

// Values are stored as 8 bytes of expiry (unix ns, big endian, 0: never) then the value.
func encodeBolt(val []byte, exp int64) []byte {
	out := make([]byte, 8+len(val))
	binary.BigEndian.PutUint64(out, uint64(exp))
	copy(out[8:], val)
	return out
}

func boltExpired(raw []byte, now int64) bool {
	if len(raw) < 8 {
		return true // not ours: treat as gone rather than fail every read
	}
	exp := int64(binary.BigEndian.Uint64(raw))
	return exp != 0 && now >= exp
}

func (b *boltBackend) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var (
		val     []byte
		expired bool
	)
	now := time.Now().UnixNano()
	err := b.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(boltBucket).Get([]byte(key))
		switch {
		case raw == nil:
			return ErrNotFound
		case boltExpired(raw, now):
			expired = true
			return ErrNotFound
		}
		val = bytes.Clone(raw[8:]) // bolt's memory is valid only inside the transaction
		return nil
	})
	if expired {
		b.deleteIfExpired(key, now)
	}
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return nil, boltErr("get", err)
	}
	if val == nil {
		val = []byte{}
	}
	return val, nil
}

// deleteIfExpired is the lazy half of the sweep: it re-checks inside the write
// transaction so a concurrent Put of a fresh value survives.
func (b *boltBackend) deleteIfExpired(key string, now int64) {
	err := b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(boltBucket)
		if raw := bk.Get([]byte(key)); raw != nil && boltExpired(raw, now) {
			return bk.Delete([]byte(key))
		}
		return nil
	})
	if err != nil && !errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		slog.Warn("store: delete expired record", "err", err)
	}
}

func (b *boltBackend) Put(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if ttl < 0 {
		return fmt.Errorf("store: put %q: negative ttl", key)
	}
	if key == "" {
		return errors.New("store: put: empty key")
	}
	var exp int64
	if ttl > 0 {
		exp = time.Now().Add(ttl).UnixNano()
	}
	raw := encodeBolt(val, exp)
	if err := b.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(boltBucket).Put([]byte(key), raw)
	}); err != nil {
		return boltErr("put", err)
	}
	return nil
}

func (b *boltBackend) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if key == "" {
		return nil
	}
	if err := b.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(boltBucket).Delete([]byte(key))
	}); err != nil {
		return boltErr("delete", err)
	}
	return nil
}

func (b *boltBackend) Take(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var val []byte
	now := time.Now().UnixNano()
	err := b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(boltBucket)
		raw := bk.Get([]byte(key))
		if raw == nil {
			return ErrNotFound
		}
		if !boltExpired(raw, now) {
			val = bytes.Clone(raw[8:]) // bolt's memory is valid only inside the transaction
		}
		// An expired record is deleted too (committed), then reported absent below.
		return bk.Delete([]byte(key))
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return nil, boltErr("take", err)
	}
	if val == nil {
		return nil, ErrNotFound
	}
	return val, nil
}

func (b *boltBackend) Keys(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	keys := []string{}
	now := time.Now().UnixNano()
	err := b.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(boltBucket).Cursor()
		p := []byte(prefix)
		// bbolt keeps keys in byte order, so the prefix is one contiguous range.
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			if !boltExpired(v, now) {
				keys = append(keys, string(k))
			}
		}
		return nil
	})
	if err != nil {
		return nil, boltErr("keys", err)
	}
	return keys, nil
}

func (b *boltBackend) AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	return b.leases.acquire(ctx, key, holder, ttl)
}

func (b *boltBackend) RenewLease(ctx context.Context, key, holder string, ttl time.Duration) error {
	return b.leases.renew(ctx, key, holder, ttl)
}

func (b *boltBackend) ReleaseLease(ctx context.Context, key, holder string) error {
	return b.leases.release(ctx, key, holder)
}

func (b *boltBackend) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	return b.locks.lock(ctx, key, ttl)
}

func (b *boltBackend) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := b.db.View(func(*bolt.Tx) error { return nil }); err != nil {
		return boltErr("ping", err)
	}
	return nil
}

// boltErr wraps a failed bolt transaction (a closed database, a disk error) as ErrUnavailable.
func boltErr(op string, err error) error {
	return fmt.Errorf("store: bolt %s: %w: %w", op, ErrUnavailable, err)
}

func (b *boltBackend) Close() error {
	b.closeOnce.Do(func() {
		close(b.stop)
		<-b.done
		b.closeErr = b.db.Close()
	})
	return b.closeErr
}

func (b *boltBackend) sweeper() {
	defer close(b.done)
	t := time.NewTicker(boltSweepInterval)
	defer t.Stop()
	for {
		b.sweep()
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
	}
}

// sweep collects expired keys in a read transaction, then deletes them (re-checked) in one
// write transaction, so the write lock is held briefly.
func (b *boltBackend) sweep() {
	now := time.Now().UnixNano()
	var keys [][]byte
	_ = b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(boltBucket).ForEach(func(k, v []byte) error {
			if boltExpired(v, now) {
				keys = append(keys, bytes.Clone(k))
			}
			return nil
		})
	})
	if len(keys) == 0 {
		return
	}
	err := b.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(boltBucket)
		for _, k := range keys {
			if raw := bk.Get(k); raw != nil && boltExpired(raw, now) {
				if err := bk.Delete(k); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		slog.Warn("store: sweep expired records", "err", err)
	}
}
