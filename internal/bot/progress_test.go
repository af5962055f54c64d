package bot

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// A fast answer is one message: no placeholder. (The delay is long so that a loaded test
// machine never makes a cached-speed answer look slow.)
func TestProgressNoPlaceholderWhenFast(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{ownSim: true, cfg: func(c *Config) { c.ProgressDelay = 5 * time.Second }})
	h := e.loc("healthy")
	e.say(alice, "/health "+h.CustomerID+" "+h.LocationID)
	msgs := e.chat.messages(alice)
	if len(msgs) != 1 || msgs[0].Edits != 0 || !strings.Contains(msgs[0].Text, "Checked") {
		t.Fatalf("fast answer: want one report message, no placeholder; got %+v", msgs)
	}
}

// A slow answer shows "⏳ Checking…" first and edits it into the report, so the chat never
// keeps a stale placeholder. Plume takes 300 ms; the placeholder is due after 50 ms.
func TestProgressPlaceholderWhenSlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{ownSim: true, cfg: func(c *Config) { c.ProgressDelay = 50 * time.Millisecond }})
	e.sim.SetLatency(300 * time.Millisecond)
	h := e.loc("healthy")
	e.say(alice, "/health "+h.CustomerID+" "+h.LocationID)
	msgs := e.chat.messages(alice)
	if len(msgs) != 1 {
		t.Fatalf("slow answer: want the placeholder edited into one report, got %d messages", len(msgs))
	}
	if msgs[0].Edits != 1 || !strings.Contains(msgs[0].Text, "Checked") {
		t.Errorf("slow answer: placeholder not edited into the report: %+v", msgs[0])
	}
	if e.chat.typingCount(alice) == 0 {
		t.Error("no typing indicator")
	}
}

// countingStore counts sealed writes per kind.
type countingStore struct {
	Store
	mu     sync.Mutex
	writes map[string]int
}

func (c *countingStore) PutUser(ctx context.Context, userID int64, kind string, v []byte) error {
	c.mu.Lock()
	c.writes[kind]++
	c.mu.Unlock()
	return c.Store.PutUser(ctx, userID, kind, v)
}

func (c *countingStore) PutSealedTemp(ctx context.Context, userID int64, key string, v []byte, ttl time.Duration) error {
	c.mu.Lock()
	c.writes[strings.SplitN(key, ":", 2)[0]+":"]++
	c.mu.Unlock()
	return c.Store.PutSealedTemp(ctx, userID, key, v, ttl)
}

// The last location is written when it changes, not on every command about it, and a
// keyboard's buttons are stored in one write.
func TestRememberWritesOnlyChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{})
	cs := &countingStore{Store: e.st, writes: map[string]int{}}
	b, err := New(e.bot.cfg, cs, e.chat)
	if err != nil {
		t.Fatal(err)
	}
	e.bot = b
	h, d := e.loc("healthy"), e.loc("degraded")
	e.say(alice, "/status "+h.CustomerID+" "+h.LocationID)
	e.say(alice, "/nodes")
	e.say(alice, "/health")
	e.say(alice, "/status "+d.CustomerID+" "+d.LocationID)
	if n := cs.writes[kindSettings]; n != 2 {
		t.Errorf("%d settings writes for two distinct locations, want 2", n)
	}
	// Four views, each with seven buttons: one button record per view, not one per button.
	if n := cs.writes["cb:"]; n != 4 {
		t.Errorf("%d button records for 4 keyboards, want 4", n)
	}
}
