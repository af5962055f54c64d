// Package metrics holds plumebot's Prometheus series. One *Metrics implements the small
// observer interfaces that the plume client, the bot core and the Telegram adapter declare.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the set of series documented in the README.
type Metrics struct {
	reg *prometheus.Registry

	updates       *prometheus.CounterVec
	dropped       *prometheus.CounterVec
	commands      *prometheus.CounterVec
	commandTime   *prometheus.HistogramVec
	plumeRequests *prometheus.CounterVec
	plumeTime     *prometheus.HistogramVec
	tokenFetches  *prometheus.CounterVec
	cache         *prometheus.CounterVec
	sends         *prometheus.CounterVec
	rateLimited   *prometheus.CounterVec
	actions       *prometheus.CounterVec
}

// New registers every series in a fresh registry (plus Go and process collectors).
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plumebot_updates_total", Help: "Telegram updates received, by type (message, callback, other).",
		}, []string{"type"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plumebot_updates_dropped_total", Help: "Telegram updates not handled, by reason (flood, duplicate, undecodable, shutdown).",
		}, []string{"reason"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plumebot_commands_total", Help: "Commands handled, by command and outcome.",
		}, []string{"command", "outcome"}),
		commandTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "plumebot_command_duration_seconds", Help: "Time to handle a command, by command.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"command"}),
		plumeRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plumebot_plume_requests_total", Help: "HTTP requests to Plume, by endpoint and status (0 = transport error).",
		}, []string{"endpoint", "status"}),
		plumeTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "plumebot_plume_request_duration_seconds", Help: "Latency of Plume requests, by endpoint.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"endpoint"}),
		tokenFetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plumebot_plume_token_fetches_total", Help: "Access tokens fetched from the Plume SSO, by result.",
		}, []string{"result"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plumebot_cache_requests_total", Help: "Plume data cache lookups, by endpoint and result (hit, miss).",
		}, []string{"endpoint", "result"}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plumebot_telegram_calls_total", Help: "Bot API calls made, by method and result (ok, unreachable: Telegram refuses the chat for good, error).",
		}, []string{"method", "result"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plumebot_telegram_429_total", Help: "Bot API 429 (Too Many Requests) answers, by method.",
		}, []string{"method"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plumebot_actions_total", Help: "Actions (reboot_pod, reboot_location, speedtest, optimize) by how the attempt ended.",
		}, []string{"action", "outcome"}),
	}
	reg.MustRegister(m.updates, m.dropped, m.commands, m.commandTime, m.plumeRequests, m.plumeTime,
		m.tokenFetches, m.cache, m.sends, m.rateLimited, m.actions,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry exposes the registry (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveRequest implements plume.Observer.
func (m *Metrics) ObserveRequest(endpoint string, status int, d time.Duration) {
	m.plumeRequests.WithLabelValues(endpoint, strconv.Itoa(status)).Inc()
	m.plumeTime.WithLabelValues(endpoint).Observe(d.Seconds())
}

// ObserveTokenFetch implements plume.Observer.
func (m *Metrics) ObserveTokenFetch(err error, _ time.Duration) {
	m.tokenFetches.WithLabelValues(result(err)).Inc()
}

// Command implements bot.Metrics.
func (m *Metrics) Command(name, outcome string, d time.Duration) {
	m.commands.WithLabelValues(name, outcome).Inc()
	m.commandTime.WithLabelValues(name).Observe(d.Seconds())
}

// Action implements bot.Metrics: one action attempt and how it ended.
func (m *Metrics) Action(kind, outcome string) {
	m.actions.WithLabelValues(kind, outcome).Inc()
}

// CacheResult implements bot.Metrics.
func (m *Metrics) CacheResult(endpoint string, hit bool) {
	r := "miss"
	if hit {
		r = "hit"
	}
	m.cache.WithLabelValues(endpoint, r).Inc()
}

// ObserveConversations registers the gauge of /auth conversations in progress, read from f
// at scrape time (the bot counts them; abandoned ones expire).
func (m *Metrics) ObserveConversations(f func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "plumebot_conversations_in_progress", Help: "/auth conversations in progress whose last step this process handled.",
	}, func() float64 { return float64(f()) }))
}

// UpdateReceived implements telegram.Metrics.
func (m *Metrics) UpdateReceived(kind string) { m.updates.WithLabelValues(kind).Inc() }

// UpdateDropped implements telegram.Metrics.
func (m *Metrics) UpdateDropped(reason string) { m.dropped.WithLabelValues(reason).Inc() }

// Sent implements telegram.Metrics: outcome is the adapter's (ok, unreachable, error).
func (m *Metrics) Sent(method, outcome string) { m.sends.WithLabelValues(method, outcome).Inc() }

// RateLimited implements telegram.Metrics.
func (m *Metrics) RateLimited(method string, _ time.Duration) {
	m.rateLimited.WithLabelValues(method).Inc()
}

func result(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}
