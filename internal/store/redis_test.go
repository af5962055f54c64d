package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"plumebot/internal/store"
	"plumebot/internal/store/storetest"
)

// TestRedisGoneAndBack: with Redis down, operations fail with clear errors within their
// context; once it is back, the same backend works again without a restart.
func TestRedisGoneAndBack(t *testing.T) {
	t.Parallel()
	port := storetest.FreePort(t)
	srv := storetest.StartRedis(t, port)
	ctx := context.Background()
	b, err := store.OpenRedis(ctx, srv.URL(0), "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s, err := store.New(ctx, b, mustKeyringT(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutUser(ctx, 1, "plume", []byte("v")); err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	ops := []struct {
		name string
		fn   func(ctx context.Context) error
	}{
		{"Ping", s.Ping},
		{"GetUser", func(ctx context.Context) error { _, err := s.GetUser(ctx, 1, "plume"); return err }},
		{"PutUser", func(ctx context.Context) error { return s.PutUser(ctx, 1, "plume", []byte("v")) }},
		{"DeleteTemp", func(ctx context.Context) error { return s.DeleteTemp(ctx, "k") }},
		{"Lock", func(ctx context.Context) error {
			u, err := s.Lock(ctx, "L", time.Second)
			if err == nil {
				u()
			}
			return err
		}},
		{"HoldLock", func(ctx context.Context) error {
			release, err := s.HoldLock(ctx, "H", time.Second)
			if err == nil {
				release()
			}
			return err
		}},
	}
	t.Run("down", func(t *testing.T) {
		for _, op := range ops {
			t.Run(op.name, func(t *testing.T) {
				t.Parallel()
				opCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				err := op.fn(opCtx)
				if err == nil || errors.Is(err, store.ErrNotFound) {
					t.Fatalf("with Redis down: %v, want an error", err)
				}
				if !strings.HasPrefix(err.Error(), "store: ") {
					t.Errorf("error %q does not say it comes from the store", err)
				}
				if !errors.Is(err, store.ErrUnavailable) {
					t.Errorf("error %q is not store.ErrUnavailable", err)
				}
			})
		}
	})

	storetest.StartRedis(t, port) // empty: no persistence
	deadline := time.Now().Add(10 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err := s.Ping(pctx)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Ping never recovered: %v", err)
		}
	}
	if err := s.PutUser(ctx, 1, "plume", []byte("again")); err != nil {
		t.Fatalf("PutUser after recovery: %v", err)
	}
	if got, err := s.GetUser(ctx, 1, "plume"); err != nil || string(got) != "again" {
		t.Fatalf("GetUser after recovery = %q, %v", got, err)
	}
	u, err := s.Lock(ctx, "L", time.Second)
	if err != nil {
		t.Fatalf("Lock after recovery: %v", err)
	}
	u()
}

func TestOpenRedisErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tests := []struct{ name, url, secret string }{
		{"bad URL with password", "redis://:hunter2@[::1", "hunter2"},
		{"bad scheme", "http://user:hunter2@127.0.0.1/0", "hunter2"},
		{"nothing listening", fmt.Sprintf("redis://:hunter2@127.0.0.1:%d/0", storetest.FreePort(t)), "hunter2"},
	}
	for _, tc := range tests {
		b, err := store.OpenRedis(ctx, tc.url, "")
		if err == nil {
			b.Close()
			t.Errorf("%s: OpenRedis succeeded", tc.name)
			continue
		}
		if strings.Contains(err.Error(), tc.secret) {
			t.Errorf("%s: error %q leaks the password", tc.name, err)
		}
	}
}

func mustKeyringT(t testing.TB) *store.Keyring {
	k, err := store.NewKeyring([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
