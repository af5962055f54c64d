package telegram

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"plumebot/internal/bot"
	"plumebot/internal/telegram/tgtest"
)

const hookSecret = "s3cret_TOKEN-1"

// hook serves the adapter's webhook handler on a real http.Server.
func (e *env) hook(t *testing.T, h Handler) string {
	t.Helper()
	hs := httptest.NewServer(e.a.WebhookHandler(hookSecret, h))
	t.Cleanup(hs.Close)
	return hs.URL
}

func post(t *testing.T, url, secret string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("POST: %v", err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// newOrigin is a forwarded message whose forward_origin.type is newer than the library: it
// does not decode. Its text must never reach a log.
var newOrigin = map[string]any{
	"text":           "/health secretish-content",
	"forward_origin": map[string]any{"type": "hidden_channel_v2", "date": 1700000000},
}

func TestWebhookHandler(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var handled atomic.Int32
	got := make(chan bot.Update, 5)
	url := e.hook(t, HandlerFunc(func(_ context.Context, u bot.Update) {
		handled.Add(1)
		got <- u
	}))
	update := e.srv.MessageUpdate(7, 7, "/help")
	tests := []struct {
		name, secret string
		body         []byte
		want         int
	}{
		{"missing secret", "", update, 401},
		{"wrong secret", "s3cret_TOKEN-2", update, 401},
		{"not JSON", hookSecret, []byte("{nope"), 200},
		{"a shape the library does not know", hookSecret, e.srv.MessageUpdateWith(7, 7, newOrigin), 200},
		{"too large", hookSecret, bytes.Repeat([]byte(" "), maxWebhookBody+1), 200},
		{"good", hookSecret, update, 200},
	}
	for _, tt := range tests {
		if st := post(t, url, tt.secret, tt.body); st != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, st, tt.want)
		}
	}
	if u := recv(t, got); u.Text != "/help" || u.UserID != 7 {
		t.Errorf("update = %+v", u)
	}
	e.a.Wait()
	if n := handled.Load(); n != 1 {
		t.Errorf("handler called %d times, want 1", n)
	}
	if n := e.metrics.count(func(m *recMetrics) int { return m.dropped[DropUndecodable] }); n != 3 {
		t.Errorf("%d undecodable deliveries counted, want 3", n)
	}

	// An invalid configured secret fails closed.
	bad := httptest.NewServer(e.a.WebhookHandler("", HandlerFunc(func(context.Context, bot.Update) { handled.Add(1) })))
	defer bad.Close()
	if st := post(t, bad.URL, "", update); st != 401 {
		t.Errorf("empty secret: status %d, want 401", st)
	}
}

// An update the library cannot decode is skipped the same way by both intakes: logged with
// its update ID and the path at fault, never its content, and confirmed (polling) or
// answered 200 (webhook), so Telegram does not deliver it again and again.
func TestUndecodableUpdateSkippedByBothIntakes(t *testing.T) {
	t.Parallel()
	for _, intake := range []string{"webhook", "polling"} {
		t.Run(intake, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			got := make(chan bot.Update, 5)
			h := HandlerFunc(func(_ context.Context, u bot.Update) { got <- u })
			raw := e.srv.MessageUpdateWith(7, 7, newOrigin)
			if intake == "webhook" {
				url := e.hook(t, h)
				if st := post(t, url, hookSecret, raw); st != 200 {
					t.Errorf("status %d", st)
				}
				if st := post(t, url, hookSecret, e.srv.MessageUpdate(7, 7, "after")); st != 200 {
					t.Errorf("status %d", st)
				}
			} else {
				e.srv.PushMessageWith(7, 7, newOrigin)
				e.srv.PushMessage(7, 7, "after")
				e.poll(t, h)
			}
			if u := recv(t, got); u.Text != "after" {
				t.Errorf("handled %+v", u)
			}
			logs := e.logs.String()
			if !strings.Contains(logs, "skipping an update the library cannot decode") || !strings.Contains(logs, "path=message.forward_origin") {
				t.Errorf("no log line with the path:\n%s", logs)
			}
			if !strings.Contains(logs, "update_id=") || strings.Contains(logs, "update_id=0 ") {
				t.Errorf("the log line lacks the update ID:\n%s", logs)
			}
			if strings.Contains(logs, "secretish") || strings.Contains(logs, "hidden_channel") {
				t.Errorf("the log shows the update's content:\n%s", logs)
			}
			if intake == "polling" {
				ctx := ctxT(t)
				if err := e.srv.WaitUntil(ctx, func(s *tgtest.Server) bool { return s.Pending() == 0 }); err != nil {
					t.Errorf("the undecodable update was not confirmed: %d pending", e.srv.Pending())
				}
			}
		})
	}
}

// The same update delivered twice (Telegram retrying a slow webhook, or to two replicas at
// once) is handled once.
func TestDuplicateDeliveryHandledOnce(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var handled atomic.Int32
	url := e.hook(t, HandlerFunc(func(context.Context, bot.Update) { handled.Add(1) }))
	first, second := e.srv.MessageUpdate(7, 7, "/health"), e.srv.MessageUpdate(7, 7, "/health")
	if st := post(t, url, hookSecret, first); st != 200 {
		t.Fatalf("status %d", st)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if st := post(t, url, hookSecret, first); st != 200 {
				t.Errorf("redelivery: status %d", st)
			}
		})
		wg.Go(func() { post(t, url, hookSecret, second) })
	}
	wg.Wait()
	e.a.Wait()
	if n := handled.Load(); n != 2 {
		t.Errorf("two updates delivered 21 times were handled %d times, want 2", n)
	}
	if n := e.metrics.count(func(m *recMetrics) int { return m.dropped[DropDuplicate] }); n != 19 {
		t.Errorf("%d duplicates counted, want 19", n)
	}
}

func TestFaultPath(t *testing.T) {
	t.Parallel()
	tests := []struct{ raw, want string }{
		{`{"update_id":5,"message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"forward_origin":{"type":"new","date":1}}}`, "message.forward_origin"},
		{`{"update_id":5,"message":{"message_id":"x","date":1,"chat":{"id":1,"type":"private"}}}`, "message.message_id"},
		{`{"update_id":5,"message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"entities":[{"type":"bold","offset":0,"length":1},{"type":"bold","offset":"0","length":1}]}}`, "message.entities[1].offset"},
		{`{"update_id":"5"}`, "update_id"},
		{`[1,2`, "(not JSON)"},
	}
	for _, tt := range tests {
		if got := faultPath([]byte(tt.raw)); got != tt.want {
			t.Errorf("faultPath(%s) = %q, want %q", tt.raw, got, tt.want)
		}
		if _, err := decodeUpdate([]byte(tt.raw)); err == nil {
			t.Errorf("%s decoded", tt.raw)
		}
	}
}

// pausedSeen is a Seen that answers nothing until resume is closed (Redis paused).
type pausedSeen struct {
	resume chan struct{}
	asked  atomic.Int32
}

func (p *pausedSeen) AcquireLease(context.Context, string, string, time.Duration) (bool, error) {
	p.asked.Add(1)
	<-p.resume
	return true, nil
}

func (p *pausedSeen) ReleaseLease(context.Context, string, string) error {
	<-p.resume
	return nil
}

// A store that stops answering must not hold up the intake, which takes every user's updates
// one after the other: each update's duplicate check used to wait for it (with Redis paused,
// seconds per update, a minute for a dozen). The updates are handled without the check, and
// the store is not asked again at once.
func TestIntakeDoesNotWaitForAPausedStore(t *testing.T) {
	t.Parallel()
	e := setup(t)
	seen := &pausedSeen{resume: make(chan struct{})}
	e.a.opts.Seen = seen
	defer close(seen.resume)
	got := make(chan bot.Update, 20)
	url := e.hook(t, HandlerFunc(func(_ context.Context, u bot.Update) { got <- u }))
	go func() {
		for i := range 20 {
			if st := post(t, url, hookSecret, e.srv.MessageUpdate(int64(100+i), int64(100+i), "/start")); st != 200 {
				t.Errorf("update %d: status %d", i, st)
			}
		}
	}()
	ctx := ctxT(t)
	for i := range 20 {
		select {
		case <-got:
		case <-ctx.Done():
			t.Fatalf("%d of 20 updates handled while the store was paused", i)
		}
	}
	if n := seen.asked.Load(); n >= 20 {
		t.Errorf("the paused store was asked about %d updates, want fewer (not asked again at once)", n)
	}
}
