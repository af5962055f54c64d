package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"plumebot/internal/bot"
	"plumebot/internal/telegram"
	"plumebot/internal/telegram/tgtest"
)

// LatencyResult is /health latency through Telegram long polling at one concurrency.
type LatencyResult struct {
	Users int     `json:"users"`
	Paced bool    `json:"telegram_pacing"` // adapter pacing as in production (and tgtest enforcing limits)
	L     float64 `json:"plume_latency_ms"`
	// EndToEnd: update pushed into tgtest → the report's editMessageText/sendMessage recorded by tgtest.
	EndToEnd Dist `json:"end_to_end"`
	// BotSide: handler called → report send issued, minus the time the handler spent blocked in
	// Telegram calls before it (the "⏳ Checking…" placeholder and its pacing).
	BotSide Dist `json:"bot_side"`
	// Intake: update pushed → handler called (polling, conversion, worker pool).
	Intake          Dist     `json:"intake"`
	RatioP50        float64  `json:"end_to_end_p50_over_L"`
	BotRatioP50     float64  `json:"bot_side_p50_over_L"`
	SeedPerAnswer   float64  `json:"seed_per_answer_ms"`   // 5 sequential Plume calls
	SeedMedian      float64  `json:"seed_median_ms"`       // one update at a time: median user waits ⌈N/2⌉ answers
	SeedLast        float64  `json:"seed_last_ms"`         // and the last waits N answers
	UpstreamPerCmd  float64  `json:"upstream_per_health"`  // Plume requests / answers: 4 means every answer was cold
	Elapsed         float64  `json:"elapsed_ms"`           // first push → last report recorded
	Messages        int      `json:"messages"`             // sendMessage + editMessageText calls that succeeded
	Rejected429     int      `json:"rejected_429"`         // calls tgtest answered 429 (the adapter retries them)
	Rejections      []string `json:"rejections,omitempty"` // method: description of each 429
	MissingReports  int      `json:"missing_reports"`      // users without a report (should be 0)
	MessagesPerSec  float64  `json:"messages_per_sec"`     // Messages / Elapsed
	FirstSecond     int      `json:"answered_within_1s"`   // reports recorded less than a second after their push
	AnswersPerSec   float64  `json:"answers_per_sec"`      // Users / Elapsed
	AdapterWorkers  int      `json:"adapter_max_workers"`  // handlers at once
	GlobalPerSecond int      `json:"adapter_global_per_s"` // adapter's overall pacing (-1 off)
}

// trace is one user's /health through the pipeline.
type trace struct {
	pushed, started, issued, recorded time.Time
	waited                            time.Duration
}

// tracer records per-chat timestamps from the handler and the Chat the bot sends through.
type tracer struct {
	mu        sync.Mutex
	m         map[int64]*trace
	remaining atomic.Int64
	done      chan struct{}
}

func newTracer(n int) *tracer {
	t := &tracer{m: map[int64]*trace{}, done: make(chan struct{})}
	t.remaining.Store(int64(n))
	return t
}

func (t *tracer) get(chatID int64) *trace {
	tr := t.m[chatID]
	if tr == nil {
		tr = &trace{}
		t.m[chatID] = tr
	}
	return tr
}

func (t *tracer) handler(b *bot.Bot) telegram.Handler {
	return telegram.HandlerFunc(func(ctx context.Context, u bot.Update) {
		t.mu.Lock()
		if tr := t.get(u.ChatID); tr.started.IsZero() {
			tr.started = time.Now()
		}
		t.mu.Unlock()
		b.Handle(ctx, u)
		if t.remaining.Add(-1) == 0 {
			close(t.done)
		}
	})
}

// tracingChat times the bot's sends: the report's issue time, and the time blocked in
// Telegram calls before it.
type tracingChat struct {
	bot.Chat
	t *tracer
}

func (c tracingChat) note(chatID int64, html string, start time.Time) {
	c.t.mu.Lock()
	defer c.t.mu.Unlock()
	tr := c.t.get(chatID)
	if isReport(html) {
		if tr.issued.IsZero() {
			tr.issued = start
		}
		return
	}
	if tr.issued.IsZero() {
		tr.waited += time.Since(start)
	}
}

func (c tracingChat) Send(ctx context.Context, chatID int64, html string, kb bot.Keyboard) (int64, error) {
	start := time.Now()
	id, err := c.Chat.Send(ctx, chatID, html, kb)
	c.note(chatID, html, start)
	return id, err
}

func (c tracingChat) Edit(ctx context.Context, chatID, messageID int64, html string, kb bot.Keyboard) error {
	start := time.Now()
	err := c.Chat.Edit(ctx, chatID, messageID, html, kb)
	c.note(chatID, html, start)
	return err
}

func adapterOptions(srv *tgtest.Server, paced bool) telegram.Options {
	o := telegram.Options{Token: srv.Token, APIURL: srv.APIURL(), Logger: slog.New(slog.DiscardHandler)}
	if !paced {
		o.PerChatInterval, o.GroupPerMinute, o.GlobalPerSecond = -1, -1, -1
	}
	return o
}

// latencyScenario: n users each send one /health about a location nobody asked about before,
// all at once, through tgtest → long polling → adapter → bot → simulator (latency L) and back.
func (w *world) latencyScenario(ctx context.Context, n int, L time.Duration, paced bool) (LatencyResult, error) {
	res := LatencyResult{Users: n, Paced: paced, L: ms(L), SeedPerAnswer: ms(5 * L),
		SeedMedian: ms(time.Duration((n+1)/2) * 5 * L), SeedLast: ms(time.Duration(n) * 5 * L)}
	srv := tgtest.New()
	defer srv.Close()
	srv.EnforceRates(paced)
	opts := adapterOptions(srv, paced)
	ad, err := telegram.New(opts)
	if err != nil {
		return res, err
	}
	res.AdapterWorkers, res.GlobalPerSecond = telegram.DefaultMaxWorkers, telegram.DefaultGlobalPerSecond
	if !paced {
		res.GlobalPerSecond = -1
	}
	st, err := newStore(ctx)
	if err != nil {
		return res, err
	}
	defer st.Close()
	tr := newTracer(n)
	users := userIDs(3_000_000, n)
	data := w.newSource(nil)
	b, err := w.newBot(st, tracingChat{ad.Chat(), tr}, users, data)
	if err != nil {
		return res, err
	}
	w.sim.SetLatency(L)
	defer w.sim.SetLatency(0)
	if err := w.warmToken(ctx, data); err != nil {
		return res, err
	}
	texts := make([]string, n)
	for i := range texts {
		cid, lid, err := w.cold()
		if err != nil {
			return res, err
		}
		texts[i] = "/health " + cid + " " + lid
	}
	pctx, stop := context.WithCancel(ctx)
	polled := make(chan error, 1)
	go func() { polled <- ad.Poll(pctx, tr.handler(b)) }()
	defer func() { stop(); <-polled }()

	w.sim.ResetCounters()
	first := time.Now()
	for i, u := range users {
		now := time.Now()
		tr.mu.Lock()
		tr.get(u).pushed = now
		tr.mu.Unlock()
		srv.PushMessage(u, u, texts[i])
	}
	select {
	case <-tr.done:
	case <-ctx.Done():
		return res, fmt.Errorf("latency %d users: %w", n, ctx.Err())
	}
	requests := w.sim.Requests("")

	var last time.Time
	for _, method := range []string{"editMessageText", "sendMessage"} {
		for _, c := range srv.Calls(method) {
			if c.Status == http.StatusOK {
				res.Messages++
			}
			if c.Status != http.StatusOK || !isReport(c.String("text")) {
				continue
			}
			if t := tr.m[c.Int("chat_id")]; t != nil && t.recorded.IsZero() {
				t.recorded = c.At
				if c.At.After(last) {
					last = c.At
				}
			}
		}
	}
	for _, c := range srv.Calls("") {
		if c.Status == http.StatusTooManyRequests {
			res.Rejected429++
			if len(res.Rejections) < 10 {
				res.Rejections = append(res.Rejections, fmt.Sprintf("%s chat %d: %s", c.Method, c.Int("chat_id"), c.Err))
			}
		}
	}
	var e2e, side, intake []time.Duration
	for _, u := range users {
		t := tr.m[u]
		if t == nil || t.recorded.IsZero() || t.issued.IsZero() {
			res.MissingReports++
			continue
		}
		e2e = append(e2e, t.recorded.Sub(t.pushed))
		if t.recorded.Sub(t.pushed) < time.Second {
			res.FirstSecond++
		}
		side = append(side, t.issued.Sub(t.started)-t.waited)
		intake = append(intake, t.started.Sub(t.pushed))
	}
	res.EndToEnd, res.BotSide, res.Intake = distOf(e2e), distOf(side), distOf(intake)
	if L > 0 {
		res.RatioP50, res.BotRatioP50 = res.EndToEnd.P50/ms(L), res.BotSide.P50/ms(L)
	}
	if answered := n - res.MissingReports; answered > 0 {
		res.UpstreamPerCmd = float64(requests) / float64(answered)
	}
	if !last.IsZero() {
		el := last.Sub(first)
		res.Elapsed = ms(el)
		res.MessagesPerSec = float64(res.Messages) / el.Seconds()
		res.AnswersPerSec = float64(n-res.MissingReports) / el.Seconds()
	}
	return res, nil
}

// IntakeResult is how fast long polling delivers updates to handlers.
type IntakeResult struct {
	Updates    int     `json:"updates"`
	Elapsed    float64 `json:"elapsed_ms"`
	PerSec     float64 `json:"updates_per_sec"`
	Note       string  `json:"note"`
	GetUpdates int     `json:"get_updates_calls"`
}

// intakeScenario queues n updates, then starts polling with a handler that only counts: the
// adapter's receive path (getUpdates, decoding, conversion, per-user dispatch) alone.
func intakeScenario(ctx context.Context, n int) (IntakeResult, error) {
	res := IntakeResult{Updates: n, Note: "queued first, then long polling with a no-op handler (receive path only; replies are bounded by Telegram's 30 msg/s, see paced latency)"}
	srv := tgtest.New()
	defer srv.Close()
	ad, err := telegram.New(adapterOptions(srv, true))
	if err != nil {
		return res, err
	}
	for i := range n {
		u := int64(4_000_000 + i%1000)
		srv.PushMessage(u, u, "/help")
	}
	var left atomic.Int64
	left.Store(int64(n))
	done := make(chan struct{})
	h := telegram.HandlerFunc(func(context.Context, bot.Update) {
		if left.Add(-1) == 0 {
			close(done)
		}
	})
	pctx, stop := context.WithCancel(ctx)
	polled := make(chan error, 1)
	start := time.Now()
	go func() { polled <- ad.Poll(pctx, h) }()
	defer func() { stop(); <-polled }()
	select {
	case <-done:
	case <-ctx.Done():
		return res, fmt.Errorf("intake: %w", ctx.Err())
	}
	el := time.Since(start)
	res.Elapsed, res.PerSec = ms(el), float64(n)/el.Seconds()
	res.GetUpdates = len(srv.Calls("getUpdates"))
	return res, nil
}
