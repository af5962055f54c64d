package main

// The HTTP listeners, the intake and the stop of `serve` under abuse (issue 12 §3, §4; issue 10
// §2), through the real binary.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"plumebot/internal/telegram/tgtest"
)

func TestServeHTTPUnderAbuse(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const user, secret = 515151, "s3cret-token"
	p := start(t, f.env(merge(f.operator(), map[string]string{
		"PLUMEBOT_ALLOWED_USERS":  strconv.Itoa(user),
		"PLUMEBOT_WEBHOOK_URL":    "https://bot.example/hook",
		"PLUMEBOT_WEBHOOK_SECRET": secret,
		"PLUMEBOT_LISTEN_ADDR":    "127.0.0.1:0",
		"PLUMEBOT_METRICS_ADDR":   "127.0.0.1:0",
		"PLUMEBOT_HTTP_TIMEOUT":   "1s",
		"PLUMEBOT_DATA_DIR":       filepath.Join(t.TempDir(), "data"),
	})), nil, "serve")
	hookAddr := p.addr()
	metricsAddr, _ := p.waitLog("metrics listening")["addr"].(string)
	p.waitLog("webhook mode")
	hook := "http://" + hookAddr + "/hook"

	t.Run("a body sent one byte at a time is cut off", func(t *testing.T) {
		conn, err := net.Dial("tcp", hookAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /hook HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"+
			"X-Telegram-Bot-Api-Secret-Token: %s\r\nContent-Length: 100000\r\n\r\n{", secret)
		stop := make(chan struct{})
		defer close(stop)
		go func() { // one byte every 200 ms: 100,000 bytes would take 5.5 hours
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if _, err := conn.Write([]byte(" ")); err != nil {
						return
					}
				}
			}
		}()
		// The server must close the connection; the deadline only keeps a failing test finite.
		_ = conn.SetReadDeadline(time.Now().Add(waitTimeout))
		_, err = io.ReadAll(conn)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("the connection was still open after %v", waitTimeout)
		}
	})

	t.Run("headers are capped", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, hook, strings.NewReader("{}"))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		req.Header.Set("X-Padding", strings.Repeat("a", 64<<10))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("64 KiB of headers: %d, want 431", resp.StatusCode)
		}
	})

	t.Run("probes on their own listener only", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			if code, body := get(t, "http://"+metricsAddr+path); code != 200 {
				t.Errorf("metrics listener %s: %d %s", path, code, body)
			}
			if code, _ := get(t, "http://"+hookAddr+path); code != 404 {
				t.Errorf("webhook listener %s: %d, want 404", path, code)
			}
		}
	})

	t.Run("readiness probes share one getMe", func(t *testing.T) {
		before := len(f.tg.Calls("getMe"))
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				if code, body := get(t, "http://"+metricsAddr+"/readyz"); code != 200 {
					t.Errorf("/readyz: %d %s", code, body)
				}
			})
		}
		wg.Wait()
		// The probe of the subtest above may have made the one call already.
		if n := len(f.tg.Calls("getMe")) - before; n > 1 {
			t.Errorf("50 probes made %d getMe calls", n)
		}
	})

	t.Run("every authentic delivery gets 200, and each update is handled once", func(t *testing.T) {
		forwarded := f.tg.MessageUpdateWith(user, user, map[string]any{
			"text": "/help", "forward_origin": map[string]any{"type": "a_kind_from_the_future", "date": 1700000000},
		})
		help := f.tg.MessageUpdate(user, user, "/help")
		for _, body := range [][]byte{forwarded, help, help, help} {
			if code := postUpdate(t, hook, secret, body); code != 200 {
				t.Errorf("delivery answered %d, want 200", code)
			}
		}
		// One update at a time per user: once /start is answered, the copies of /help were
		// handled or skipped.
		hookSender(t, f.tg, user, hook, secret)("/start")
		waitText(t, f.tg, user, "plumebot")
		if msgs := f.tg.Messages(user); len(msgs) != 2 {
			t.Errorf("%d replies, want 2 (/help once, /start); the forwarded copy is skipped: %+v", len(msgs), msgs)
		}
		l := p.waitLog("telegram: skipping an update the library cannot decode")
		if l["path"] != "message.forward_origin" || l["update_id"] == nil {
			t.Errorf("log line %v, want the update ID and path message.forward_origin", l)
		}
		_, metrics := get(t, "http://"+metricsAddr+"/metrics")
		for _, series := range []string{
			`plumebot_updates_dropped_total{reason="duplicate"} 2`,
			`plumebot_updates_dropped_total{reason="undecodable"} 1`,
		} {
			if !strings.Contains(metrics, "\n"+series) {
				t.Errorf("/metrics lacks %s", series)
			}
		}
	})
	p.stop()
}

// SIGTERM with a queue: the process stops within the drain, and what it did not start comes
// back to the next process, which handles it once.
func TestServeDrainsAndGivesBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const user = 626262
	env := f.env(merge(f.operator(), map[string]string{
		"PLUMEBOT_ALLOWED_USERS": strconv.Itoa(user),
		"PLUMEBOT_DATA_DIR":      filepath.Join(t.TempDir(), "data"),
		"PLUMEBOT_DRAIN_TIMEOUT": "1s",
	}))
	ids := f.ids(t, "healthy")
	f.sim.SetLatency(time.Minute) // the first command hangs on Plume
	// Queued before the start, so one getUpdates takes all three: /status and /nodes wait
	// behind /health.
	f.tg.PushMessage(user, user, "/health "+ids)
	f.tg.PushMessage(user, user, "/status "+ids)
	f.tg.PushMessage(user, user, "/nodes "+ids)
	p := start(t, env, nil, "serve")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := f.tg.WaitCall(ctx, "sendChatAction", 1); err != nil { // /health is running
		t.Fatal(err)
	}
	p.stop()
	l := p.waitLog("telegram: stopped before every update was handled")
	if l["not_handled"] != 2.0 || l["cancelled"] != 1.0 {
		t.Errorf("drain log %v, want not_handled 2 and cancelled 1", l)
	}
	if n := f.tg.Pending(); n != 2 {
		t.Errorf("%d updates left unconfirmed, want 2 (/status and /nodes)", n)
	}

	f.sim.SetLatency(0)
	p2 := start(t, env, nil, "serve")
	waitText(t, f.tg, user, "🏠 <b>Home</b>")
	waitText(t, f.tg, user, "📡 <b>Pods</b>")
	p2.stop()
	if n := countReports(f.tg, user, "🟢"); n != 0 {
		t.Errorf("the /health cancelled at the stop was run again (%d reports)", n)
	}
}

// One user's 20 commands at once: the first runs, 5 wait, 14 are dropped with one notice;
// another user is answered all the same.
func TestServeFloodIsBounded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const flooder, other = 737373, 747474
	ids := f.ids(t, "healthy")
	for range 20 {
		f.tg.PushMessage(flooder, flooder, "/status "+ids)
	}
	f.tg.PushMessage(other, other, "/status "+ids)
	p := start(t, f.env(merge(f.operator(), map[string]string{
		"PLUMEBOT_ALLOWED_USERS": fmt.Sprintf("%d,%d", flooder, other),
		"PLUMEBOT_DATA_DIR":      filepath.Join(t.TempDir(), "data"),
		"PLUMEBOT_LISTEN_ADDR":   "127.0.0.1:0",
	})), nil, "serve")
	base := "http://" + p.addr()
	waitText(t, f.tg, other, "🏠 <b>Home</b>")
	waitMessage(t, f.tg, flooder, "with the 6th view", func(tgtest.Message) bool {
		return countText(f.tg, flooder, "🏠 <b>Home</b>") == 6
	})
	_, metrics := get(t, base+"/metrics")
	if !strings.Contains(metrics, "\n"+`plumebot_updates_dropped_total{reason="flood"} 14`) {
		t.Errorf("/metrics does not count 14 drops:\n%s", grepLines(metrics, "dropped"))
	}
	p.stop()
	if n := countText(f.tg, flooder, "You sent several messages at once"); n != 1 {
		t.Errorf("%d flood notices, want 1", n)
	}
	if n := countText(f.tg, flooder, "🏠 <b>Home</b>"); n != 6 {
		t.Errorf("%d answers to the flood, want 6", n)
	}
}

func grepLines(s, sub string) string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if strings.Contains(sc.Text(), sub) {
			out = append(out, sc.Text())
		}
	}
	return strings.Join(out, "\n")
}
