package plume

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestClient_errorKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		advance   time.Duration // fake clock offset from 12:00:00 before the call
		handler   func(w http.ResponseWriter, now time.Time)
		kind      Kind
		detail    string
		retry     time.Duration
		wantCalls int32
	}{
		{name: "ownership 403", kind: KindForbidden, detail: "Partner does not own this customer", wantCalls: 1,
			handler: func(w http.ResponseWriter, _ time.Time) {
				w.WriteHeader(403)
				fmt.Fprint(w, `{"error":{"statusCode":403,"name":"Error","message":"Partner does not own this customer","code":"FORBIDDEN","status":403}}`)
			}},
		{name: "WAF 403 html", kind: KindRateLimited, retry: 5 * time.Minute, wantCalls: 1,
			handler: func(w http.ResponseWriter, _ time.Time) {
				w.WriteHeader(403)
				fmt.Fprint(w, `<html><body>403 Forbidden</body></html>`)
			}},
		{name: "WAF 403 empty, mid-window", advance: 200 * time.Second, kind: KindRateLimited, retry: 100 * time.Second, wantCalls: 1,
			handler: func(w http.ResponseWriter, _ time.Time) { w.WriteHeader(403) }},
		{name: "429 Retry-After seconds", kind: KindRateLimited, retry: 30 * time.Second, wantCalls: 1,
			handler: func(w http.ResponseWriter, _ time.Time) {
				w.Header().Set("Retry-After", "30")
				w.WriteHeader(429)
			}},
		{name: "429 Retry-After date", kind: KindRateLimited, retry: 2 * time.Minute, wantCalls: 1,
			handler: func(w http.ResponseWriter, now time.Time) {
				w.Header().Set("Retry-After", now.Add(2*time.Minute).Format(http.TimeFormat))
				w.WriteHeader(429)
			}},
		{name: "404", kind: KindNotFound, wantCalls: 1,
			handler: func(w http.ResponseWriter, _ time.Time) {
				w.WriteHeader(404)
				fmt.Fprint(w, `{"error":{"statusCode":404,"message":"Location not found"}}`)
			}},
		{name: "422", kind: KindInvalidInput, detail: "Plume rejected the request: Invalid 'period' value", wantCalls: 1,
			handler: func(w http.ResponseWriter, _ time.Time) {
				w.WriteHeader(422)
				fmt.Fprint(w, `{"error":{"statusCode":422,"message":"Invalid 'period' value"}}`)
			}},
		{name: "500 not retried", kind: KindUpstream, wantCalls: 1,
			handler: func(w http.ResponseWriter, _ time.Time) { w.WriteHeader(500) }},
		{name: "503 retried twice", kind: KindUpstream, wantCalls: 3,
			handler: func(w http.ResponseWriter, _ time.Time) { w.WriteHeader(503) }},
		{name: "malformed JSON", kind: KindInvalidResponse, wantCalls: 1,
			handler: func(w http.ResponseWriter, _ time.Time) { fmt.Fprint(w, `{"status":"fullSer`) }},
		{name: "array instead of object", kind: KindInvalidResponse, wantCalls: 1,
			handler: func(w http.ResponseWriter, _ time.Time) { fmt.Fprint(w, `[]`) }},
		{name: "long detail capped", kind: KindForbidden, detail: strings.Repeat("x", maxDetail) + "…", wantCalls: 1,
			handler: func(w http.ResponseWriter, _ time.Time) {
				w.WriteHeader(403)
				fmt.Fprintf(w, `{"error":{"message":"%s\u0007"}}`, strings.Repeat("x", 500))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.clock.Advance(tt.advance)
			var calls atomic.Int32
			f.mux.HandleFunc(locPath, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				tt.handler(w, f.clock.Now())
			})
			_, err := f.client.Location(context.Background(), cid, lid)
			e := wantKind(t, err, tt.kind)
			if e.Endpoint != "location" {
				t.Errorf("endpoint = %q", e.Endpoint)
			}
			if tt.detail != "" && e.Detail != tt.detail {
				t.Errorf("detail = %q, want %q", e.Detail, tt.detail)
			}
			if e.RetryAfter != tt.retry {
				t.Errorf("RetryAfter = %v, want %v", e.RetryAfter, tt.retry)
			}
			if n := calls.Load(); n != tt.wantCalls {
				t.Errorf("calls = %d, want %d", n, tt.wantCalls)
			}
			assertNoSecret(t, err)
		})
	}
}

func TestClient_retryThenSuccess(t *testing.T) {
	t.Parallel()
	for _, status := range []int{502, 503, 504} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			var calls atomic.Int32
			f.mux.HandleFunc(locPath+"/appqoe/AppQoeStatsByTrafficClass", func(w http.ResponseWriter, r *http.Request) {
				if r.PostFormValue("timePeriod") != "lastHour" {
					t.Errorf("retry lost the form body: %v", r.PostForm)
				}
				if calls.Add(1) == 1 {
					w.WriteHeader(status)
					return
				}
				fmt.Fprint(w, `{"gaming":4.2}`)
			})
			q, err := f.client.AppQoE(context.Background(), cid, lid, QoELastHour)
			if err != nil {
				t.Fatal(err)
			}
			if !q.Recognized || len(q.Classes) != 1 || q.Classes[0].Score != 4.2 {
				t.Errorf("AppQoE = %+v", q)
			}
			if n := calls.Load(); n != 2 {
				t.Errorf("calls = %d, want 2", n)
			}
		})
	}
}

func TestClient_retryOnNetworkError(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var calls atomic.Int32
	f.mux.HandleFunc(locPath+"/nodes", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close() // the connection drops mid-request
			}
			return
		}
		fmt.Fprint(w, `{"nodes":[{"id":"A1"}]}`)
	})
	nodes, err := f.client.Nodes(context.Background(), cid, lid)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 1 || calls.Load() < 2 {
		t.Errorf("nodes = %+v after %d calls", nodes, calls.Load())
	}
}

func TestClient_noRetryPastDeadline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var calls atomic.Int32
	f.mux.HandleFunc(locPath+"/nodes", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(503)
	})
	if err := f.client.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The smallest backoff is 50 ms; with 10 ms left no retry may start.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := f.client.Nodes(ctx, cid, lid)
	if err == nil {
		t.Fatal("want an error")
	}
	if n := calls.Load(); n > 1 {
		t.Errorf("calls = %d, want at most 1", n)
	}
}

func TestClient_timeout(t *testing.T) {
	t.Parallel()
	// Timeout also bounds the token fetch, which must succeed here: keep it well above loopback.
	f := newFixture(t, func(o *Options) { o.Timeout = time.Second })
	release := make(chan struct{})
	defer close(release)
	// The handler answers only when the test ends: returning when the request is cancelled
	// would write an empty 200 that can race the client's deadline and decode as "no devices".
	f.mux.HandleFunc(locPath+"/devices", func(w http.ResponseWriter, r *http.Request) { <-release })
	_, err := f.client.Devices(context.Background(), cid, lid)
	wantKind(t, err, KindTimeout)

	// The caller's own deadline gives the same kind.
	f2 := newFixture(t)
	f2.mux.HandleFunc(locPath+"/devices", func(w http.ResponseWriter, r *http.Request) { <-release })
	if err := f2.client.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = f2.client.Devices(ctx, cid, lid)
	wantKind(t, err, KindTimeout)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to wrap DeadlineExceeded", err)
	}
}

func TestClient_bodyTooLarge(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.client.maxBody = 64 << 10 // the production cap (8 MiB) works the same, only slower under -race
	f.mux.HandleFunc(locPath+"/devices", func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat(" ", 1<<10))
		for written := 0; written <= 64<<10; written += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	_, err := f.client.Devices(context.Background(), cid, lid)
	e := wantKind(t, err, KindInvalidResponse)
	if e.Endpoint != "devices" {
		t.Errorf("endpoint = %q", e.Endpoint)
	}
}

func TestClient_rateLimit(t *testing.T) {
	t.Parallel()
	limits := NewHostLimits(0.01, 1) // one request, then one per 100 s
	f := newFixture(t, func(o *Options) { o.Limits = limits })
	var calls atomic.Int32
	f.mux.HandleFunc(locPath, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		fmt.Fprint(w, `{}`)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := locationErr(ctx, f.client); err != nil {
		t.Fatal(err)
	}
	// The next slot is ~100 s away, past the deadline: fail fast, send nothing.
	e := wantKind(t, locationErr(ctx, f.client), KindRateLimited)
	if e.RetryAfter <= 0 {
		t.Errorf("RetryAfter = %v, want the wait", e.RetryAfter)
	}
	// A second client sharing the limits is limited too (the WAF counts per IP).
	f2 := newFixture(t, func(o *Options) { o.Limits = limits })
	f2.client.api = f.client.api
	wantKind(t, locationErr(ctx, f2.client), KindRateLimited)
	// Without a deadline the wait ends with the context.
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	wantKind(t, locationErr(cctx, f.client), KindTimeout)
	if n := calls.Load(); n != 1 {
		t.Errorf("calls = %d, want 1", n)
	}
}

func TestClient_rateLimitWaits(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(o *Options) { o.Limits = NewHostLimits(100, 1) })
	var calls atomic.Int32
	f.mux.HandleFunc(locPath, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		fmt.Fprint(w, `{}`)
	})
	for range 5 {
		if err := locationErr(context.Background(), f.client); err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 5 {
		t.Errorf("calls = %d, want 5", n)
	}
}

func TestError_isAndMessages(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("wrapped: %w", &Error{Kind: KindNotFound, Endpoint: "nodes", Status: 404})
	if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrForbidden) {
		t.Errorf("errors.Is mismatch for %v", err)
	}
	if !strings.Contains(err.Error(), "nodes (HTTP 404)") {
		t.Errorf("Error() = %q", err)
	}
}

// TestKind_String pins the names: they are metrics labels (plumebot_commands_total's
// outcome "error:<kind>") that dashboards and alerts rely on.
func TestKind_String(t *testing.T) {
	t.Parallel()
	want := map[Kind]string{
		KindUnknown: "unknown", KindInvalidInput: "invalid_input", KindUnauthorized: "unauthorized",
		KindForbidden: "forbidden", KindRateLimited: "rate_limited", KindNotFound: "not_found",
		KindTimeout: "timeout", KindNetwork: "network", KindUpstream: "upstream",
		KindInvalidResponse: "invalid_response", KindTokenFailed: "token_failed",
		KindTLS: "tls", KindRedirect: "redirect", KindRedirect + 1: "unknown", -1: "unknown",
	}
	for k, name := range want {
		if got := k.String(); got != name {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, name)
		}
	}
	if got := fmt.Sprint(KindRateLimited); got != "rate_limited" {
		t.Errorf("fmt.Sprint(kind) = %q", got)
	}
}

// TestUserMessage_namesNoChatCommand: plume serves the bot, check and the watcher alike, so its
// texts must not send a reader to a chat command ("/auth"); the bot adds that advice.
func TestUserMessage_namesNoChatCommand(t *testing.T) {
	t.Parallel()
	command := regexp.MustCompile(`(^|\s)/[a-z]`)
	for k := KindUnknown; k <= KindRedirect; k++ {
		for c := CauseNone; c <= CauseRedirect; c++ {
			e := &Error{Kind: k, Cause: c, Status: 500, RetryAfter: time.Minute}
			if msg := e.UserMessage(); command.MatchString(msg) {
				t.Errorf("%s/%d: %q names a chat command", k, c, msg)
			}
		}
	}
}

// locationErr is one authenticated call, for tests about what surrounds every call.
func locationErr(ctx context.Context, c *Client) error {
	_, err := c.Location(ctx, cid, lid)
	return err
}
