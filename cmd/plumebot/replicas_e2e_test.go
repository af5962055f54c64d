package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// replicaRedisDB is this test's own Redis database: the store's tests use 15.
const replicaRedisDB = 13

// actionsRedisDB is the actions' two-replica test's database.
const actionsRedisDB = 12

// testRedisURL returns PLUMEBOT_TEST_REDIS_URL switched to replicaRedisDB, flushed.
func testRedisURL(t *testing.T) string {
	t.Helper()
	return redisDB(t, replicaRedisDB)
}

// redisDB returns PLUMEBOT_TEST_REDIS_URL switched to database db, flushed: a test of its own.
func redisDB(t *testing.T, db int) string {
	t.Helper()
	raw := os.Getenv("PLUMEBOT_TEST_REDIS_URL")
	if raw == "" {
		t.Skip("set PLUMEBOT_TEST_REDIS_URL (for example redis://127.0.0.1:6379/15) to run the two-replica test; .ci/run does")
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("PLUMEBOT_TEST_REDIS_URL: %v", err)
	}
	u.Path = "/" + strconv.Itoa(db)
	opt, err := redis.ParseURL(u.String())
	if err != nil {
		t.Fatalf("PLUMEBOT_TEST_REDIS_URL: %v", err)
	}
	rc := redis.NewClient(opt)
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rc.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("FLUSHDB on Redis DB %d: %v", db, err)
	}
	return u.String()
}

// replicaVars is the environment of webhook replicas on redisURL that user may use.
func replicaVars(t *testing.T, user int64, secret, redisURL string) map[string]string {
	return map[string]string{
		"PLUMEBOT_ALLOWED_USERS":  strconv.FormatInt(user, 10),
		"PLUMEBOT_WEBHOOK_URL":    "https://bot.example/hook",
		"PLUMEBOT_WEBHOOK_SECRET": secret,
		"PLUMEBOT_LISTEN_ADDR":    "127.0.0.1:0",
		"PLUMEBOT_REDIS_URL":      redisURL,
		// Not used with Redis; set so a fallback to the embedded store would be visible here.
		"PLUMEBOT_DATA_DIR": filepath.Join(t.TempDir(), "data"),
	}
}

// replica is a plumebot serving its webhook, and user's way to send it a message.
type replica struct {
	*proc
	hook string
	send func(text string) int64
}

// startReplicas starts two replicas with vars and waits until both serve their webhook.
func startReplicas(t *testing.T, f *fixture, user int64, vars map[string]string) (a, b replica) {
	t.Helper()
	rs := make([]replica, 2)
	for i := range rs {
		p := start(t, f.env(vars), nil, "serve")
		hook := "http://" + p.addr() + "/hook"
		rs[i] = replica{proc: p, hook: hook, send: hookSender(t, f.tg, user, hook, vars["PLUMEBOT_WEBHOOK_SECRET"])}
	}
	for _, r := range rs {
		r.waitLog("webhook mode")
	}
	return rs[0], rs[1]
}

func TestTwoReplicasOnRedis(t *testing.T) {
	t.Parallel()
	redisURL := testRedisURL(t)
	f := newFixture(t)
	const user, secret = 818181, "replica-secret"
	vars := replicaVars(t, user, secret, redisURL)

	// Without a shared key each replica would seal with its own: refuse to start.
	code, _, errOut := runBin(t, f.env(vars), "", "serve")
	if code == 0 || !strings.Contains(errOut, "PLUMEBOT_SECRET_KEY") {
		t.Fatalf("Redis without a key: exit %d, want non-zero naming PLUMEBOT_SECRET_KEY; stderr:\n%s", code, errOut)
	}

	vars["PLUMEBOT_SECRET_KEY"] = newKey(t)
	a, b := startReplicas(t, f, user, vars)
	hookA, hookB, sendA, sendB := a.hook, b.hook, a.send, b.send

	// One /auth conversation, its steps alternating between the replicas.
	headerMsg := authFlow(t, f, user, sendA, sendB)
	if !f.tg.IsDeleted(user, headerMsg) {
		t.Errorf("the message carrying the Authorization header (%d) was not deleted", headerMsg)
	}

	// Credentials saved through A and B work on both (no operator credentials here).
	sendB("/health " + f.ids(t, "healthy"))
	waitReport(t, f.tg, user, "🟢")
	sendA("/nodes")
	waitText(t, f.tg, user, "📡 <b>Pods</b>")

	// Shared cache: B answers from what A fetched within the TTL.
	before := f.sim.Requests("nodes")
	sendA("/health " + f.ids(t, "degraded"))
	waitReports(t, f.tg, user, "🟡", 1)
	fetched := f.sim.Requests("nodes")
	if fetched == before {
		t.Fatalf("/health on A made no nodes request: the shared-cache check below would prove nothing")
	}
	sendB("/health " + f.ids(t, "degraded"))
	waitReports(t, f.tg, user, "🟡", 2)
	if got := f.sim.Requests("nodes"); got != fetched {
		t.Errorf("B fetched nodes again (%d → %d requests): the cache is not shared", fetched, got)
	}

	// Two updates of one user at the same moment, one per replica: the per-user lock in
	// Redis makes one wait for the other, so the first reply is finished (its placeholder
	// edited into the report) before the second one's placeholder is sent. The latency is
	// above the bot's 400 ms progress delay so that each answer shows a placeholder.
	f.sim.SetLatency(1200 * time.Millisecond)
	mark := len(f.tg.Calls("*"))
	var wg sync.WaitGroup
	for _, d := range []struct{ hook, dataset string }{{hookA, "partial"}, {hookB, "offline"}} {
		body := f.tg.MessageUpdate(user, user, "/health "+f.ids(t, d.dataset))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code := postUpdate(t, d.hook, secret, body); code != 200 {
				t.Errorf("webhook %s answered %d", d.hook, code)
			}
		}()
	}
	wg.Wait()
	waitReport(t, f.tg, user, "🟠")
	waitReport(t, f.tg, user, "🔴")
	var seq []string
	for _, c := range f.tg.Calls("*")[mark:] {
		if c.Int("chat_id") != user {
			continue
		}
		switch c.Method {
		case "sendMessage":
			seq = append(seq, "send")
		case "editMessageText":
			seq = append(seq, "edit")
		}
	}
	if want := []string{"send", "edit", "send", "edit"}; !slices.Equal(seq, want) {
		t.Errorf("calls to the chat were %v, want %v: the two updates ran at the same time", seq, want)
	}

	a.stop()
	b.stop()
	if n := countReports(f.tg, user, "🟢"); n != 1 {
		t.Errorf("%d 🟢 reports, want 1", n)
	}
}
