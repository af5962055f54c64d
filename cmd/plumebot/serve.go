package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/sync/errgroup"

	"plumebot/internal/action"
	"plumebot/internal/bot"
	"plumebot/internal/config"
	"plumebot/internal/metrics"
	"plumebot/internal/plume"
	"plumebot/internal/plumedata"
	"plumebot/internal/store"
	"plumebot/internal/telegram"
)

const serveUsage = `usage: plumebot serve

Runs the bot until SIGTERM or SIGINT: long polling, or a webhook when PLUMEBOT_WEBHOOK_URL is
set. It takes no flags: it is configured by environment variables (TELEGRAM_BOT_TOKEN or
TELEGRAM_BOT_TOKEN_FILE, PLUMEBOT_ALLOWED_USERS, PLUMEBOT_DATA_DIR or PLUMEBOT_REDIS_URL, …),
every one of them in README.md, "Configuration". A configuration error names the variable and
exits with status 2.
`

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	rest, err := parseArgs(flag.NewFlagSet("serve", flag.ContinueOnError), args)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("serve takes no arguments, got %q", rest[0])
	}
	if err != nil {
		return usageResult(err, serveUsage, stdout, stderr, 2)
	}
	cfg, err := config.Load(getenv, config.ModeServe)
	if err != nil {
		fmt.Fprintf(stderr, "plumebot: configuration error:\n%v\n", err)
		return 2
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	if err := serveWith(ctx, cfg, log, nil); err != nil {
		log.Error("plumebot stopped", "err", err)
		return 1
	}
	return 0
}

// serveWith runs the bot until ctx is done. ready, when not nil, receives the listener's
// address once everything is up (tests).
func serveWith(ctx context.Context, cfg *config.Config, log *slog.Logger, ready chan<- string) error {
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()

	m := metrics.New()
	tg, err := telegram.New(telegram.Options{
		Token:        cfg.BotToken.Reveal(),
		APIURL:       cfg.TelegramAPIURL,
		Logger:       log,
		Metrics:      m,
		Seen:         st, // an update delivered twice is handled once, across replicas and restarts
		UserQueue:    cfg.UserQueue,
		DrainTimeout: cfg.DrainTimeout,
	})
	if err != nil {
		return err
	}
	src := dataSource(cfg, log, m, st)
	b, err := bot.New(bot.Config{
		AllowedUsers:   cfg.AllowedUsers,
		AllowedChats:   cfg.AllowedChats,
		Admins:         cfg.Admins,
		AllowEveryone:  cfg.AllowEveryone,
		DefaultSSOURL:  cfg.SSOURL,
		DefaultAPIBase: cfg.APIBase,
		AllowedHosts:   cfg.AllowedHosts,
		Operator:       cfg.Operator,
		Data:           src,
		Logger:         log,
		Metrics:        m,
		Support:        cfg.SupportUsers,
		Actions:        actionConfig(cfg),
	}, st, tg.Chat())
	if err != nil {
		return err
	}
	defer b.Close() // after the last update: stops the follow-throughs still waiting
	eng, err := newWatcher(cfg, log, m, st, src, b)
	if err != nil {
		return err
	}
	introduce(ctx, tg, b, log)
	m.ObserveConversations(b.ActiveConversations)
	return receive(ctx, cfg, log, ready, tg, b, probes(st, tg, m), eng.Run)
}

// actionConfig is how often the actions may run and how long a reboot is followed.
func actionConfig(cfg *config.Config) action.Config {
	perHour := cfg.ActionsPerHour
	if perHour == 0 {
		perHour = -1 // PLUMEBOT_ACTIONS_PER_HOUR=0: no limit
	}
	return action.Config{RebootCooldown: cfg.RebootCooldown, PerHour: perHour, RebootWait: cfg.RebootWait}
}

// plumeOptions are the Plume client options serve and check share: the timeout, the per-host
// rate limit and the hosts credentials may name.
func plumeOptions(cfg *config.Config) plume.Options {
	return plume.Options{
		Timeout:      cfg.PlumeTimeout,
		Limits:       plume.NewHostLimits(cfg.PlumeRate, burst(cfg.PlumeRate)),
		AllowedHosts: cfg.AllowedHosts,
	}
}

// dataSource is the process's one Plume data source, counted in m. On Redis, replicas share
// what they fetched through the sealed store; the embedded store serves one process, whose
// in-process cache is enough.
func dataSource(cfg *config.Config, log *slog.Logger, m *metrics.Metrics, st *store.Store) *plumedata.Source {
	opts := plumeOptions(cfg)
	opts.Observer, opts.Logger = m, log
	dc := plumedata.Config{Plume: opts, Observer: m, Logger: log, CacheBytes: cfg.CacheBytes}
	if cfg.RedisURL != "" {
		dc.Shared = st
	}
	return plumedata.New(dc)
}

// introduce tells Telegram who the bot is: getMe teaches the adapter its own username (so
// "/health@OtherBot" in a group is ignored, and "/health@ourname" answered), setMyCommands
// fills the command menu. Neither failure is fatal: getMe is retried in the background.
func introduce(ctx context.Context, tg *telegram.Adapter, b *bot.Bot, log *slog.Logger) {
	if name, err := tg.Me(ctx); err != nil {
		// Until the name is known, "/health@name" cannot be told from another bot's command
		// and is ignored: learn it in the background.
		log.Warn("getMe failed; is TELEGRAM_BOT_TOKEN right? retrying in the background", "err", err)
		go func() {
			if name, err := tg.LearnName(ctx, time.Second, time.Minute); err == nil {
				log.Info("signed in to Telegram", "bot", name)
			}
		}()
	} else {
		log.Info("signed in to Telegram", "bot", name)
	}
	cmds := make([]telegram.Command, 0, len(b.Commands()))
	for _, c := range b.Commands() {
		cmds = append(cmds, telegram.Command{Name: c.Name, Description: c.Description})
	}
	if err := tg.SetCommands(ctx, cmds); err != nil {
		log.Warn("setMyCommands failed", "err", err)
	}
}

// probes serves /healthz (the process runs), /readyz (the store and Telegram answer) and
// /metrics.
func probes(st *store.Store, tg *telegram.Adapter, m *metrics.Metrics) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		rctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := st.Ping(rctx); err != nil {
			http.Error(w, "store not reachable", http.StatusServiceUnavailable)
			return
		}
		// Cached for a few seconds: a probe storm makes one getMe, not one each.
		if err := tg.Reachable(rctx); err != nil {
			http.Error(w, "Telegram not reachable", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	mux.Handle("GET /metrics", m.Handler())
	return mux
}

// webhookMux is PLUMEBOT_LISTEN_ADDR's: the webhook when PLUMEBOT_WEBHOOK_URL is set, and the
// probes unless PLUMEBOT_METRICS_ADDR gives them a listener of their own.
func webhookMux(cfg *config.Config, tg *telegram.Adapter, b *bot.Bot, probes http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	if cfg.MetricsAddr == "" {
		mux.Handle("/", probes)
	}
	if cfg.WebhookURL != "" {
		u, _ := url.Parse(cfg.WebhookURL) // validated by config
		path := u.Path
		if path == "" {
			path = "/"
		}
		mux.Handle("POST "+path, tg.WebhookHandler(cfg.WebhookSecret.Reveal(), b))
	}
	return mux
}

// Limits of the HTTP listeners, besides PLUMEBOT_HTTP_TIMEOUT: Telegram's requests carry a few
// headers and an update of a few KiB (the webhook caps the body itself).
const (
	maxHeaderBytes  = 16 << 10
	idleTimeout     = time.Minute
	shutdownTimeout = 10 * time.Second
)

// httpServer serves h so that no client holds a connection: the headers must arrive within
// min(timeout, 5 s), the whole request within timeout, the answer must be written within
// twice that (the webhook may wait a few seconds for room in the queue), an idle keep-alive
// connection is closed after a minute, and headers are capped.
func httpServer(h http.Handler, timeout time.Duration, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: min(timeout, 5*time.Second),
		ReadTimeout:       timeout,
		WriteTimeout:      2 * timeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// listen serves h on addr in g until gctx is done, then shuts it down; it returns the bound
// address.
func listen(gctx context.Context, g *errgroup.Group, cfg *config.Config, log *slog.Logger, addr string, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	srv := httpServer(h, cfg.HTTPTimeout, log)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		_ = srv.Shutdown(sctx) // past the deadline, open connections are just dropped
		return nil
	})
	return ln.Addr().String(), nil
}

// receive serves HTTP and receives updates (webhook or long polling) until ctx is done or one of
// them fails, then stops both and drains the updates in progress (bounded: see Drain).
// watcher, the bot's second main job, runs beside them.
func receive(ctx context.Context, cfg *config.Config, log *slog.Logger, ready chan<- string,
	tg *telegram.Adapter, b *bot.Bot, probes http.Handler, watcher func(context.Context) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return watcher(gctx) })
	if cfg.MetricsAddr != "" {
		addr, err := listen(gctx, g, cfg, log, cfg.MetricsAddr, probes)
		if err != nil {
			return fmt.Errorf("PLUMEBOT_METRICS_ADDR: %w", err)
		}
		log.Info("metrics listening", "addr", addr)
	}
	addr := ""
	if cfg.ListenAddr != "" {
		var err error
		if addr, err = listen(gctx, g, cfg, log, cfg.ListenAddr, webhookMux(cfg, tg, b, probes)); err != nil {
			return fmt.Errorf("PLUMEBOT_LISTEN_ADDR: %w", err)
		}
		log.Info("listening", "addr", addr, "webhook", cfg.WebhookURL != "")
	}
	if ready != nil {
		ready <- addr
	}
	if cfg.WebhookURL != "" {
		g.Go(func() error {
			if err := tg.SetWebhook(gctx, cfg.WebhookURL, cfg.WebhookSecret.Reveal()); err != nil {
				return fmt.Errorf("setWebhook: %w", err)
			}
			log.Info("webhook mode", "url", cfg.WebhookURL)
			return nil
		})
	} else {
		log.Info("long polling")
		g.Go(func() error { return tg.Poll(gctx, b) })
	}
	err := g.Wait()
	log.Info("shutting down")
	tg.Drain() // Poll has drained already; in webhook mode the listener no longer takes deliveries
	return err
}

// openStore opens Redis or the embedded store, with the sealing key (see README: key handling).
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store.Store, error) {
	key, err := loadKey(cfg)
	if err != nil {
		return nil, err
	}
	var backend store.Backend
	if cfg.RedisURL != "" {
		if key == nil {
			return nil, errors.New("PLUMEBOT_SECRET_KEY: required with PLUMEBOT_REDIS_URL (every replica must share it); generate one with: head -c 32 /dev/urandom | base64")
		}
		backend, err = store.OpenRedis(ctx, cfg.RedisURL.Reveal(), "plumebot:")
		if err != nil {
			return nil, fmt.Errorf("PLUMEBOT_REDIS_URL: %w", err)
		}
	} else {
		if key == nil {
			k, path, created, err := store.EnsureKeyFile(cfg.DataDir)
			if err != nil {
				return nil, fmt.Errorf("PLUMEBOT_DATA_DIR: %w", err)
			}
			if created {
				log.Warn("no PLUMEBOT_SECRET_KEY: generated a sealing key; back it up with the data, or set PLUMEBOT_SECRET_KEY_FILE", "path", path)
			}
			key = k
		}
		backend, err = store.OpenBolt(cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("PLUMEBOT_DATA_DIR: %w", err)
		}
	}
	var prev [][]byte
	if cfg.PreviousKey != "" {
		p, err := store.ParseKey(cfg.PreviousKey.Reveal())
		if err != nil {
			backend.Close()
			return nil, fmt.Errorf("PLUMEBOT_SECRET_KEY_PREVIOUS: %w", err)
		}
		prev = append(prev, p)
	}
	kr, err := store.NewKeyring(key, prev...)
	if err != nil {
		backend.Close()
		return nil, err
	}
	st, err := store.New(ctx, backend, kr)
	if err != nil {
		backend.Close()
		return nil, err
	}
	return st, nil
}

func loadKey(cfg *config.Config) ([]byte, error) {
	if cfg.SecretKey == "" && cfg.SecretKeyFile == "" {
		return nil, nil
	}
	k, err := store.LoadKey(cfg.SecretKey.Reveal(), cfg.SecretKeyFile)
	if err != nil {
		return nil, fmt.Errorf("PLUMEBOT_SECRET_KEY: %w", err)
	}
	return k, nil
}
