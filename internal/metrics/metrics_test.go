package metrics

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestSeries(t *testing.T) {
	t.Parallel()
	m := New()
	m.ObserveRequest("nodes", 200, 30*time.Millisecond)
	m.ObserveRequest("nodes", 200, 40*time.Millisecond)
	m.ObserveRequest("devices", 0, time.Second)
	m.ObserveTokenFetch(nil, time.Millisecond)
	m.ObserveTokenFetch(errors.New("x"), time.Millisecond)
	m.Command("health", "ok", 120*time.Millisecond)
	m.CacheResult("nodes", true)
	m.CacheResult("nodes", false)
	m.UpdateReceived("message")
	m.Sent("sendMessage", "ok")
	m.Sent("sendMessage", "unreachable")
	m.UpdateDropped("flood")
	m.RateLimited("sendMessage", time.Second)
	convs := 3
	m.ObserveConversations(func() int { return convs })

	checks := []struct {
		got  float64
		want float64
		what string
	}{
		{testutil.ToFloat64(m.plumeRequests.WithLabelValues("nodes", "200")), 2, "nodes 200"},
		{testutil.ToFloat64(m.plumeRequests.WithLabelValues("devices", "0")), 1, "devices transport error"},
		{testutil.ToFloat64(m.tokenFetches.WithLabelValues("ok")), 1, "token ok"},
		{testutil.ToFloat64(m.tokenFetches.WithLabelValues("error")), 1, "token error"},
		{testutil.ToFloat64(m.commands.WithLabelValues("health", "ok")), 1, "health ok"},
		{testutil.ToFloat64(m.cache.WithLabelValues("nodes", "hit")), 1, "cache hit"},
		{testutil.ToFloat64(m.cache.WithLabelValues("nodes", "miss")), 1, "cache miss"},
		{testutil.ToFloat64(m.updates.WithLabelValues("message")), 1, "updates"},
		{testutil.ToFloat64(m.rateLimited.WithLabelValues("sendMessage")), 1, "429"},
		{testutil.ToFloat64(m.sends.WithLabelValues("sendMessage", "unreachable")), 1, "refused by Telegram"},
		{testutil.ToFloat64(m.dropped.WithLabelValues("flood")), 1, "dropped"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, name := range []string{
		"plumebot_updates_total", "plumebot_commands_total", "plumebot_command_duration_seconds_bucket",
		"plumebot_plume_requests_total", "plumebot_plume_request_duration_seconds_bucket",
		"plumebot_plume_token_fetches_total", "plumebot_cache_requests_total", "plumebot_telegram_calls_total",
		"plumebot_telegram_429_total", "plumebot_conversations_in_progress 3", "go_goroutines",
		"plumebot_updates_dropped_total",
	} {
		if !strings.Contains(string(body), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}
