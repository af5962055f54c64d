package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"plumebot/internal/bot"
	"plumebot/internal/plume"
	"plumebot/internal/plumedata"
	"plumebot/internal/plumesim"
	"plumebot/internal/secret"
	"plumebot/internal/store"
)

// dataset is the simulator location every /health asks about: a typical home (3 pods, 10
// devices). The huge one is covered by the micro-benchmarks.
const dataset = "healthy"

// reportMarker is in the first page of every health report and in no placeholder or error.
const reportMarker = "Location <code>"

// isReport reports whether a message text is a health report (not "⏳ Checking…" nor an error).
func isReport(html string) bool { return strings.Contains(html, reportMarker) }

// world is the simulator and the IDs and credentials every scenario shares.
type world struct {
	sim   *plumesim.Server
	info  plumesim.Info
	creds plume.Credentials
	// plumeHTTP is how the bot reaches the simulator: its CA, and the same striped
	// transport as plume's default client in production.
	plumeHTTP *http.Client
}

func newWorld() (*world, error) {
	sim, err := plumesim.Start(plumesim.Options{})
	if err != nil {
		return nil, fmt.Errorf("start simulator: %w", err)
	}
	info := sim.Info()
	if _, ok := info.Locations[dataset]; !ok {
		sim.Close()
		return nil, fmt.Errorf("simulator has no %q dataset", dataset)
	}
	w := &world{
		sim:  sim,
		info: info,
		creds: plume.Credentials{TokenURL: info.SSOURL, AuthHeader: secret.String(info.AuthHeader),
			PartnerID: info.PartnerID, APIBase: info.APIBase, ReportsBase: info.ReportsBase},
		plumeHTTP: &http.Client{Transport: plume.StripedTransport(sim.Client().Transport.(*http.Transport), 4)},
	}
	return w, nil
}

func (w *world) close() { w.sim.Close() }

// cold returns IDs for a location no bot has asked about yet in this run: a clone of the
// dataset (the simulator serves it under IDs of its own), so each /health is fetched for real
// while there are only 8 datasets.
func (w *world) cold() (cid, lid string, err error) {
	l, err := w.sim.Clone(dataset)
	if err != nil {
		return "", "", err
	}
	return l.CustomerID, l.LocationID, nil
}

// newStore is the real sealed store over the memory backend, with a random key.
func newStore(ctx context.Context) (*store.Store, error) {
	key := make([]byte, store.KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	kr, err := store.NewKeyring(key)
	if err != nil {
		return nil, err
	}
	return store.New(ctx, store.NewMemory(), kr)
}

// userIDs are n distinct Telegram user IDs; each user talks to the bot in its private chat
// (chat ID = user ID), as agents do.
func userIDs(base int64, n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = base + int64(i)
	}
	return ids
}

// hosts are the hosts the bench's credentials name: the simulator's.
var hosts = []string{"127.0.0.1"}

// newSource is the Plume data source as cmd/plumebot builds it, with the simulator as Plume;
// limits nil turns Plume's rate limit off (the scenarios that want it pass it).
func (w *world) newSource(limits *plume.HostLimits) *plumedata.Source {
	if limits == nil {
		limits = plume.NewHostLimits(0, 0)
	}
	return plumedata.New(plumedata.Config{
		Plume:  plume.Options{HTTPClient: w.plumeHTTP, Limits: limits, AllowedHosts: hosts},
		Logger: slog.New(slog.DiscardHandler),
	})
}

// newBot wires the real core the way cmd/plumebot does, reading Plume through data with the
// operator's credentials (the simulator's) for every allowed user.
func (w *world) newBot(st bot.Store, chat bot.Chat, users []int64, data *plumedata.Source) (*bot.Bot, error) {
	creds := w.creds
	return bot.New(bot.Config{
		AllowedUsers:   users,
		DefaultSSOURL:  w.info.SSOURL,
		DefaultAPIBase: w.info.APIBase,
		AllowedHosts:   hosts,
		Operator:       &creds,
		Data:           data,
		Logger:         slog.New(slog.DiscardHandler),
	}, st, chat)
}

// warmToken makes data hold a token before a measurement, so "cold" means a cold cache,
// not a first login. It asks about a clone no user will use.
func (w *world) warmToken(ctx context.Context, data *plumedata.Source) error {
	cid, lid, err := w.cold()
	if err != nil {
		return err
	}
	s, err := data.Session(w.creds)
	if err != nil {
		return err
	}
	snap, err := s.Snapshot(ctx, cid, lid, plumedata.AllParts, true) // all parts: every connection warm too
	if err != nil {
		return err
	}
	if snap.LocationErr != nil {
		return fmt.Errorf("warm-up: %w", snap.LocationErr)
	}
	return nil
}

// memChat is an in-memory bot.Chat for measuring the core without Telegram: it keeps no
// messages, only counts, and calls onReport when a health report goes out.
type memChat struct {
	next     atomic.Int64
	messages atomic.Int64
	reports  atomic.Int64
	onReport func(chatID int64, at time.Time)
}

func (c *memChat) Send(_ context.Context, chatID int64, html string, _ bot.Keyboard) (int64, error) {
	c.sent(chatID, html)
	return c.next.Add(1), nil
}

func (c *memChat) Edit(_ context.Context, chatID, _ int64, html string, _ bot.Keyboard) error {
	c.sent(chatID, html)
	return nil
}

func (c *memChat) sent(chatID int64, html string) {
	c.messages.Add(1)
	if isReport(html) {
		c.reports.Add(1)
		if c.onReport != nil {
			c.onReport(chatID, time.Now())
		}
	}
}

func (c *memChat) Delete(context.Context, int64, int64) error           { return nil }
func (c *memChat) AnswerCallback(context.Context, string, string) error { return nil }
func (c *memChat) Typing(context.Context, int64) error                  { return nil }

// runParallel runs fn(i) for i in [0, n) on `workers` goroutines.
func runParallel(n, workers int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}
