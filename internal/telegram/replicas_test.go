package telegram_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"plumebot/internal/bot"
	"plumebot/internal/store"
	"plumebot/internal/telegram"
	"plumebot/internal/telegram/tgtest"
)

// redisStore opens the sealed store on PLUMEBOT_TEST_REDIS_URL under a key prefix of its own
// (so nothing else is touched), as one replica does, or skips.
func redisStore(t *testing.T, prefix string) *store.Store {
	t.Helper()
	url := os.Getenv("PLUMEBOT_TEST_REDIS_URL")
	if url == "" {
		t.Skip("set PLUMEBOT_TEST_REDIS_URL (for example redis://127.0.0.1:6379/15) to run the two-replica test; .ci/run does")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := store.OpenRedis(ctx, url, prefix)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := store.NewKeyring(bytes.Repeat([]byte{7}, store.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.New(ctx, b, kr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Two replicas behind one webhook URL share Redis: an update delivered to both (Telegram
// retrying on the other replica, or a load balancer repeating it) is handled by exactly one.
func TestTwoReplicasHandleAnUpdateOnce(t *testing.T) {
	t.Parallel()
	var p [8]byte
	_, _ = rand.Read(p[:])
	prefix := "plumebot-telegram-test-" + hex.EncodeToString(p[:]) + ":"
	tg := tgtest.New()
	t.Cleanup(tg.Close)
	var handled atomic.Int32
	urls := make([]string, 2)
	adapters := make([]*telegram.Adapter, 2)
	for i := range urls {
		a, err := telegram.New(telegram.Options{Token: tg.Token, APIURL: tg.APIURL(), HTTPClient: tg.Client(),
			Seen: redisStore(t, prefix)})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(a.WebhookHandler("secret", telegram.HandlerFunc(func(context.Context, bot.Update) { handled.Add(1) })))
		t.Cleanup(hs.Close)
		urls[i], adapters[i] = hs.URL, a
	}
	deliver := func(url string, body []byte) {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "secret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("delivery: %d", resp.StatusCode)
		}
	}
	updates := [][]byte{tg.MessageUpdate(1, 1, "/health"), tg.MessageUpdate(2, 2, "/nodes"), tg.CallbackUpdate(3, 3, 1, "x")}
	var wg sync.WaitGroup
	for range 10 {
		for _, u := range updates {
			for _, url := range urls {
				wg.Go(func() { deliver(url, u) })
			}
		}
	}
	wg.Wait()
	for _, url := range urls { // a late redelivery, after the first was handled
		deliver(url, updates[0])
	}
	for _, a := range adapters {
		a.Wait() // handlers run after the 200
	}
	if n := handled.Load(); n != int32(len(updates)) {
		t.Errorf("%d updates delivered 62 times to two replicas were handled %d times", len(updates), n)
	}
}
