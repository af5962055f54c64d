package storetest

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// RedisServer is a throwaway redis-server of one test, which the test may stop, start again
// or pause (CLIENT PAUSE) without touching the Redis other tests share.
type RedisServer struct {
	Port int
	cmd  *exec.Cmd
}

// StartRedis runs redis-server on 127.0.0.1:port (no persistence) until the test ends or Stop.
// It skips the test when redis-server is not installed.
func StartRedis(t testing.TB, port int) *RedisServer {
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
	rs := &RedisServer{Port: port, cmd: cmd}
	t.Cleanup(rs.Stop)
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

// URL is the server's redis:// URL for database db.
func (rs *RedisServer) URL(db int) string { return fmt.Sprintf("redis://127.0.0.1:%d/%d", rs.Port, db) }

// Stop kills the server (its data is gone); a second Stop does nothing.
func (rs *RedisServer) Stop() {
	if rs.cmd.ProcessState == nil {
		rs.cmd.Process.Kill()
		rs.cmd.Wait()
	}
}

// FreePort is a TCP port on 127.0.0.1 that nothing listened on a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
