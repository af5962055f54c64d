package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"plumebot/internal/store"
)

// redisServer is a throwaway redis-server the test can stop and start again.
type redisServer struct {
	port int
	cmd  *exec.Cmd
}

func startRedis(t *testing.T, port int) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed; this test runs its own throwaway server")
	}
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--loglevel", "notice")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		found := false
		for sc.Scan() {
			if !found && strings.Contains(sc.Text(), "Ready to accept connections") {
				found = true
				ready <- true
			}
		}
		if !found {
			ready <- false
		}
	}()
	rs := &redisServer{port: port, cmd: cmd}
	t.Cleanup(rs.stop)
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("redis-server on port %d exited before it was ready", port)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("redis-server did not become ready")
	}
	return rs
}

func (rs *redisServer) stop() {
	if rs.cmd.ProcessState == nil {
		rs.cmd.Process.Kill()
		rs.cmd.Wait()
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestRedisGoneAndBack: with Redis down, operations fail with clear errors within their
// context; once it is back, the same backend works again without a restart.
func TestRedisGoneAndBack(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	srv := startRedis(t, port)
	ctx := context.Background()
	b, err := store.OpenRedis(ctx, fmt.Sprintf("redis://127.0.0.1:%d/0", port), "")
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

	srv.stop()
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

	startRedis(t, port) // empty: no persistence
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
		{"nothing listening", fmt.Sprintf("redis://:hunter2@127.0.0.1:%d/0", freePort(t)), "hunter2"},
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
