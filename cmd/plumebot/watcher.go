package main

import (
	"log/slog"

	"plumebot/internal/bot"
	"plumebot/internal/config"
	"plumebot/internal/metrics"
	"plumebot/internal/plumedata"
	"plumebot/internal/store"
	"plumebot/internal/watch"
)

// newWatcher is the watcher of serve: it reads Plume through the bot's data source (one cache,
// one token per credentials, one per-host rate limit), checks with the bot's rule for
// credentials, sends its alerts through the bot (the paced Telegram sender), keeps its state in
// the store (one replica checks: the store's lease), and is counted in /metrics. The bot
// gets it before it handles anything.
func newWatcher(cfg *config.Config, log *slog.Logger, m *metrics.Metrics, st *store.Store,
	src *plumedata.Source, b *bot.Bot) (*watch.Engine, error) {
	w := cfg.Watch
	eng, err := watch.New(st, watch.SourceReader{Source: src, MaxAge: w.Interval / 2}, b, b, watch.Config{
		MinInterval: w.Interval,
		Budget:      w.Budget,
		MaxPerChat:  w.MaxPerChat,
		MaxWatches:  w.Max,
		HoldChecks:  w.HoldChecks,
		HoldTime:    w.HoldTime,
		FlapLimit:   w.FlapLimit,
		Observer:    m.Watcher(w.Budget),
		Logger:      log,
	})
	if err != nil {
		return nil, err
	}
	b.EnableWatches(eng)
	return eng, nil
}
