package bot

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"plumebot/internal/plume"
	"plumebot/internal/plumedata"
	"plumebot/internal/plumesim"
	"plumebot/internal/secret"
	"plumebot/internal/store"
)

// fixedNow is where every test clock starts and the simulator's clock stays: its datasets are
// relative to its clock, so every reply is the same on every run (the render goldens use it too).
var fixedNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func simNow() time.Time { return fixedNow }

// fakeClock is the bot's clock in tests: cache TTLs, /auth expiry and the actions' waits move
// only when told. After's channels fire when Advance passes their time.
type fakeClock struct {
	ns      atomic.Int64
	mu      sync.Mutex
	waiters []clockWaiter
	changed chan struct{} // closed and replaced when a waiter is added
}

type clockWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	c := &fakeClock{changed: make(chan struct{})}
	c.ns.Store(fixedNow.UnixNano())
	return c
}
func (c *fakeClock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Unix(0, c.ns.Add(int64(d))).UTC()
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- now
	}
	c.waiters = kept
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.Now()
		return ch
	}
	c.waiters = append(c.waiters, clockWaiter{c.Now().Add(d), ch})
	close(c.changed)
	c.changed = make(chan struct{})
	return ch
}

// waitSleepers waits until n goroutines wait on the clock: the bot's background work (an
// action's expiry, its follow-through) has done what it can until the clock moves.
func (c *fakeClock) waitSleepers(t testing.TB, n int) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		c.mu.Lock()
		got, ch := len(c.waiters), c.changed
		c.mu.Unlock()
		if got == n {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("%d goroutines wait on the clock, want %d", got, n)
		}
	}
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is one bot wired to the real store (memory backend, sealed) and the real simulator.
type env struct {
	t    testing.TB
	bg   context.Context
	sim  *plumesim.Server
	info plumesim.Info
	st   *store.Store
	// storage is st's backend; a test can take it down (outage.down) or write raw records.
	storage *outage
	chat    *memChat
	bot     *Bot
	clock   *fakeClock
	logs    *syncBuffer
	msgID   atomic.Int64
	cbID    atomic.Int64
}

const (
	alice    int64 = 101 // allowed, uses operator credentials unless a test says otherwise
	bob      int64 = 102 // allowed
	stranger int64 = 666
	group    int64 = -1001
)

// sharedSim is one simulator for tests that don't inject faults (cheaper than one each).
var (
	sharedSimOnce sync.Once
	sharedSim     *plumesim.Server
	sharedSimErr  error
)

type envOpt struct {
	ownSim     bool // faults or counters: a private simulator
	simClock   bool // with ownSim: the simulator runs on the bot's clock (actions move it)
	noOperator bool
	cfg        func(*Config)
	wrap       func(*memChat) Chat // the chat the bot uses, around e.chat; nil: e.chat itself
	after      func(e *env)        // runs once the bot is made (to give it a watcher, say)
}

func newEnv(t testing.TB, o envOpt) *env {
	t.Helper()
	var sim *plumesim.Server
	clock := newFakeClock()
	if o.ownSim {
		now := simNow
		if o.simClock {
			now = clock.Now
		}
		s, err := plumesim.Start(plumesim.Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		sim = s
	} else {
		sharedSimOnce.Do(func() { sharedSim, sharedSimErr = plumesim.Start(plumesim.Options{Now: simNow}) })
		if sharedSimErr != nil {
			t.Fatal(sharedSimErr)
		}
		sim = sharedSim
	}
	info := sim.Info()
	key := bytes.Repeat([]byte{7}, 32)
	kr, err := store.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	storage := &outage{Backend: store.NewMemory()}
	st, err := store.New(context.Background(), storage, kr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	bg, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	e := &env{t: t, bg: bg, sim: sim, info: info, st: st, storage: storage, chat: newMemChat(t), clock: clock, logs: &syncBuffer{}}
	cfg := Config{
		AllowedUsers:   []int64{alice, bob},
		AllowedChats:   []int64{group},
		DefaultSSOURL:  info.SSOURL,
		DefaultAPIBase: info.APIBase,
		AllowedHosts:   []string{"127.0.0.1"},
		Logger:         slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:            e.clock.Now,
		Clock:          e.clock,
	}
	if !o.noOperator {
		cfg.Operator = &plume.Credentials{TokenURL: info.SSOURL, AuthHeader: secret.String(info.AuthHeader),
			PartnerID: info.PartnerID, APIBase: info.APIBase, ReportsBase: info.ReportsBase}
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	if cfg.Data == nil {
		// The Source as serve builds it: the same hosts as the bot, its clock, its metrics.
		obs, _ := cfg.Metrics.(plumedata.Observer)
		cfg.Data = plumedata.New(plumedata.Config{
			Plume: plume.Options{
				HTTPClient:   sim.Client(),
				Limits:       plume.NewHostLimits(100000, 100000),
				AllowedHosts: cfg.AllowedHosts,
			},
			Observer: obs,
			Logger:   cfg.Logger,
			Now:      cfg.Now,
		})
	}
	var chat Chat = e.chat
	if o.wrap != nil {
		chat = o.wrap(e.chat)
	}
	b, err := New(cfg, st, chat)
	if err != nil {
		t.Fatal(err)
	}
	e.bot = b
	t.Cleanup(b.Close)
	if o.after != nil {
		o.after(e)
	}
	return e
}

func (e *env) ctx() context.Context { return e.bg }

// say sends a private text message from user and returns its message ID.
func (e *env) say(user int64, text string) int64 {
	id := e.msgID.Add(1)
	e.bot.Handle(e.ctx(), Update{UserID: user, ChatID: user, ChatType: ChatPrivate, MessageID: id, Text: text})
	return id
}

// press presses a button (by data) on message msgID and returns the callback ID.
func (e *env) press(user, chat int64, msgID int64, data string) string {
	id := "cb" + strconv.FormatInt(e.cbID.Add(1), 10)
	ct := ChatPrivate
	if chat != user {
		ct = ChatSupergroup
	}
	e.bot.Handle(e.ctx(), Update{UserID: user, ChatID: chat, ChatType: ct, MessageID: msgID,
		Callback: &Callback{ID: id, Data: data}})
	return id
}

func (e *env) loc(dataset string) plumesim.LocationInfo {
	e.t.Helper()
	l, ok := e.info.Locations[dataset]
	if !ok {
		e.t.Fatalf("no dataset %q", dataset)
	}
	return l
}

// signIn stores the simulator's credentials as user's own, the way /auth would.
func (e *env) signIn(user int64, header string) {
	e.t.Helper()
	e.say(user, "/auth")
	e.say(user, e.info.SSOURL)
	e.say(user, header)
	e.say(user, e.info.PartnerID)
	e.say(user, "/skip")
}
