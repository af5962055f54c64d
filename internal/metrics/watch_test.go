package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"plumebot/internal/watch"
)

func TestWatchSeries(t *testing.T) {
	t.Parallel()
	m := New()
	w := m.Watcher(2)
	w.Leading(true)
	w.Watches(3)
	w.Check(watch.CheckOK, 200*time.Millisecond)
	w.Check(watch.CheckOK, 0)
	w.Check(watch.CheckFailed, 0)
	w.Requests(2)
	w.Requests(1)
	w.Alert(watch.KindOffline, watch.AlertSent)
	w.Interval(time.Minute, 62*time.Second)
	w.BackOff(time.Unix(1800000000, 0))
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, line := range []string{
		"plumebot_watch_leader 1", "plumebot_watches 3", `plumebot_watch_checks_total{outcome="ok"} 2`,
		`plumebot_watch_checks_total{outcome="failed"} 1`, "plumebot_watch_check_lag_seconds_count 3",
		"plumebot_watch_plume_requests_total 3", `plumebot_watch_alerts_total{kind="offline",outcome="sent"} 1`,
		`plumebot_watch_interval_seconds{kind="achieved"} 62`, `plumebot_watch_interval_seconds{kind="target"} 60`,
		"plumebot_watch_backoff_until_seconds 1.8e+09", "plumebot_watch_budget_requests_per_second 2",
	} {
		if !strings.Contains(string(body), line+"\n") {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}
