package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"plumebot/internal/watch"
)

// WatchMetrics are the watcher's series; it implements watch.Observer. The schedule series
// (watches, intervals, back-off) come from the replica that checks; on the others they stay
// as that replica last saw them, and plumebot_watch_leader says which one checks.
type WatchMetrics struct {
	leader   prometheus.Gauge
	watches  prometheus.Gauge
	checks   *prometheus.CounterVec
	lag      prometheus.Histogram
	requests prometheus.Counter
	alerts   *prometheus.CounterVec
	interval *prometheus.GaugeVec
	backoff  prometheus.Gauge
}

// Watcher registers the watcher's series, with its budget (PLUMEBOT_WATCH_BUDGET) as a gauge
// next to the requests it counts, and returns their observer.
func (m *Metrics) Watcher(budget float64) *WatchMetrics {
	w := &WatchMetrics{
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "plumebot_watch_leader", Help: "1 while this replica holds the watcher's lease and checks the watches.",
		}),
		watches: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "plumebot_watches", Help: "Watched locations in the store, paused ones included.",
		}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plumebot_watch_checks_total", Help: "Checks of watched locations, by outcome (ok, failed, paused, rate_limited, skipped).",
		}, []string{"outcome"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "plumebot_watch_check_lag_seconds", Help: "How late a check started after it was due.",
			Buckets: []float64{.1, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}),
		requests: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "plumebot_watch_plume_requests_total", Help: "Plume requests the checks made (cache hits cost none): the budget used.",
		}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plumebot_watch_alerts_total", Help: "Alert deliveries, by kind and outcome (sent, retry, dropped).",
		}, []string{"kind", "outcome"}),
		interval: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "plumebot_watch_interval_seconds", Help: "Time between two checks of a watch: the target the budget allows, and the achieved.",
		}, []string{"kind"}),
		backoff: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "plumebot_watch_backoff_until_seconds", Help: "Unix time until which Plume's firewall stopped the checks (0: none).",
		}),
	}
	b := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "plumebot_watch_budget_requests_per_second", Help: "Plume requests per second the watcher may use (PLUMEBOT_WATCH_BUDGET).",
	})
	b.Set(budget)
	m.reg.MustRegister(w.leader, w.watches, w.checks, w.lag, w.requests, w.alerts, w.interval, w.backoff, b)
	return w
}

var _ watch.Observer = (*WatchMetrics)(nil)

// Leading implements watch.Observer.
func (w *WatchMetrics) Leading(held bool) {
	v := 0.0
	if held {
		v = 1
	}
	w.leader.Set(v)
}

// Watches implements watch.Observer.
func (w *WatchMetrics) Watches(n int) { w.watches.Set(float64(n)) }

// Check implements watch.Observer.
func (w *WatchMetrics) Check(outcome watch.CheckOutcome, lag time.Duration) {
	w.checks.WithLabelValues(string(outcome)).Inc()
	w.lag.Observe(lag.Seconds())
}

// Requests implements watch.Observer.
func (w *WatchMetrics) Requests(n int) { w.requests.Add(float64(n)) }

// Alert implements watch.Observer.
func (w *WatchMetrics) Alert(kind watch.Kind, outcome watch.AlertOutcome) {
	w.alerts.WithLabelValues(string(kind), string(outcome)).Inc()
}

// Interval implements watch.Observer.
func (w *WatchMetrics) Interval(target, achieved time.Duration) {
	w.interval.WithLabelValues("target").Set(target.Seconds())
	w.interval.WithLabelValues("achieved").Set(achieved.Seconds())
}

// BackOff implements watch.Observer.
func (w *WatchMetrics) BackOff(until time.Time) { w.backoff.Set(float64(until.Unix())) }
