package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// memory is the in-process backend for tests and the demo: nothing survives the process.
type memory struct {
	mu      sync.RWMutex
	data    map[string]memEntry
	sweepAt int // sweep expired entries when the map grows past this size
	closed  bool
	locks   lockTable
	leases  leaseTable
}

type memEntry struct {
	val []byte
	exp int64 // unix nanoseconds; 0: never
}

func (e memEntry) expired(now int64) bool { return e.exp != 0 && now >= e.exp }

// NewMemory returns an in-memory Backend; expiry is honoured and Lock works per key.
func NewMemory() Backend {
	return &memory{data: make(map[string]memEntry), sweepAt: 1024}
}

func (m *memory) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return nil, errClosed
	}
	e, ok := m.data[key]
	m.mu.RUnlock()
	if !ok {
		return nil, ErrNotFound
	}
	if now := time.Now().UnixNano(); e.expired(now) {
		m.mu.Lock()
		if e, ok := m.data[key]; ok && e.expired(now) {
			delete(m.data, key)
		}
		m.mu.Unlock()
		return nil, ErrNotFound
	}
	return bytes.Clone(e.val), nil
}

func (m *memory) Put(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if ttl < 0 {
		return fmt.Errorf("store: put %q: negative ttl", key)
	}
	e := memEntry{val: bytes.Clone(val)}
	if e.val == nil {
		e.val = []byte{}
	}
	now := time.Now().UnixNano()
	if ttl > 0 {
		e.exp = now + int64(ttl)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errClosed
	}
	m.data[key] = e
	if len(m.data) >= m.sweepAt {
		// Amortised O(1): the next sweep waits until the map doubles again.
		for k, e := range m.data {
			if e.expired(now) {
				delete(m.data, k)
			}
		}
		m.sweepAt = max(2*len(m.data), 1024)
	}
	return nil
}

func (m *memory) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errClosed
	}
	delete(m.data, key)
	return nil
}

func (m *memory) Take(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errClosed
	}
	e, ok := m.data[key]
	if !ok {
		return nil, ErrNotFound
	}
	delete(m.data, key)
	if e.expired(time.Now().UnixNano()) {
		return nil, ErrNotFound
	}
	return e.val, nil // removed from the map: no one else holds this slice
}

func (m *memory) Keys(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	now := time.Now().UnixNano()
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, errClosed
	}
	keys := []string{}
	for k, e := range m.data {
		if strings.HasPrefix(k, prefix) && !e.expired(now) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

func (m *memory) AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	if err := m.Ping(ctx); err != nil {
		return false, err
	}
	return m.leases.acquire(ctx, key, holder, ttl)
}

func (m *memory) RenewLease(ctx context.Context, key, holder string, ttl time.Duration) error {
	if err := m.Ping(ctx); err != nil {
		return err
	}
	return m.leases.renew(ctx, key, holder, ttl)
}

func (m *memory) ReleaseLease(ctx context.Context, key, holder string) error {
	if err := m.Ping(ctx); err != nil {
		return err
	}
	return m.leases.release(ctx, key, holder)
}

func (m *memory) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	return m.locks.lock(ctx, key, ttl)
}

func (m *memory) Ping(ctx context.Context) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return errClosed
	}
	return ctx.Err()
}

func (m *memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.data = nil
	return nil
}
