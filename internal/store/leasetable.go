package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// leaseTable is the in-process lease of the memory and bolt backends (one process owns a
// bolt file, so in-process is enough): a holder per key until an expiry.
type leaseTable struct {
	mu     sync.Mutex
	leases map[string]heldLease
}

type heldLease struct {
	holder  string
	expires time.Time
}

func checkLeaseArgs(ctx context.Context, key, holder string, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if holder == "" {
		return fmt.Errorf("store: lease %q: empty holder", key)
	}
	if ttl <= 0 {
		return fmt.Errorf("store: lease %q: ttl must be positive", key)
	}
	return nil
}

func (lt *leaseTable) acquire(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	if err := checkLeaseArgs(ctx, key, holder, ttl); err != nil {
		return false, err
	}
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if lt.leases == nil {
		lt.leases = make(map[string]heldLease)
	}
	now := time.Now()
	if h, ok := lt.leases[key]; ok && h.holder != holder && now.Before(h.expires) {
		return false, nil
	}
	lt.leases[key] = heldLease{holder: holder, expires: now.Add(ttl)}
	return true, nil
}

func (lt *leaseTable) renew(ctx context.Context, key, holder string, ttl time.Duration) error {
	if err := checkLeaseArgs(ctx, key, holder, ttl); err != nil {
		return err
	}
	lt.mu.Lock()
	defer lt.mu.Unlock()
	now := time.Now()
	h, ok := lt.leases[key]
	if !ok || h.holder != holder || !now.Before(h.expires) {
		return fmt.Errorf("%w: %q", ErrLeaseLost, key)
	}
	lt.leases[key] = heldLease{holder: holder, expires: now.Add(ttl)}
	return nil
}

func (lt *leaseTable) release(ctx context.Context, key, holder string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if holder == "" {
		return errors.New("store: release lease: empty holder")
	}
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if h, ok := lt.leases[key]; ok && h.holder == holder {
		delete(lt.leases, key)
	}
	return nil
}
