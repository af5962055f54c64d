package watch_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"plumebot/internal/store"
	"plumebot/internal/watch"
)

// TestTwoReplicasOnRedis: two engines, each with its own Redis connection, on one real
// Redis. Only the leaseholder reads Plume; when it dies mid-run (its store calls fail from
// then on, as a killed process's would), the other takes over; each alert is sent once.
func TestTwoReplicasOnRedis(t *testing.T) {
	t.Parallel()
	url := os.Getenv("PLUMEBOT_TEST_REDIS_URL")
	if url == "" {
		t.Skip("Redis tests need a server: PLUMEBOT_TEST_REDIS_URL=redis://127.0.0.1:6379/15 go test ./internal/watch/")
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	prefix := "plumebot-test:watch:" + hex.EncodeToString(rnd[:]) + ":"
	open := func() *store.Store {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		b, err := store.OpenRedis(ctx, url, prefix)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return newStore(t, b)
	}
	t.Cleanup(func() { cleanRedis(t, url, prefix) })

	cfg := func(o *events) watch.Config {
		// Real time: 100 ms between checks, a 600 ms lease, claims of 600 ms.
		return watch.Config{MinInterval: 100 * time.Millisecond, Budget: 1000, LeaseTTL: 600 * time.Millisecond,
			SendTimeout: 300 * time.Millisecond, Observer: o}
	}
	p1, p2 := newPlume(), newPlume()
	home1, home2 := p1.add(custA, locA, "Home"), p2.add(custA, locA, "Home")
	both := func(fn func(f *fakeLocation)) { fn(home1); fn(home2) }
	telegram := &recorder{changed: make(chan struct{}, 1)}

	oa, ob := newEvents(), newEvents()
	a := newHarness(t, &killable{Store: open()}, p1, telegram, cfg(oa)).start()
	oa.until(t, "the first replica leads", func(l bool, _ int) bool { return l })
	a.add(homeWatch())
	newHarness(t, &killable{Store: open()}, p2, telegram, cfg(ob)).start()
	oa.until(t, "the baseline check", func(_ bool, n int) bool { return n >= 1 })

	both((*fakeLocation).offline)
	telegram.waitSent(t, 1)
	n := oa.checkCount()
	oa.until(t, "two more checks", func(_ bool, c int) bool { return c >= n+2 })
	if c := p2.callCount(); c != 0 {
		t.Fatalf("the replica without the lease read Plume %d times", c)
	}

	a.st.(*killable).kill()
	ob.until(t, "the second replica leads", func(l bool, _ int) bool { return l })
	dead := p1.callCount()
	both((*fakeLocation).online)
	telegram.waitSent(t, 2)
	both(func(f *fakeLocation) { f.pod("Office", false) })
	telegram.waitSent(t, 3)
	n = ob.checkCount()
	ob.until(t, "ten more checks", func(_ bool, c int) bool { return c >= n+10 })

	var kinds []watch.Kind
	for _, al := range telegram.alerts() {
		kinds = append(kinds, al.Kind)
	}
	if want := []watch.Kind{watch.KindOffline, watch.KindOnline, watch.KindPodDown}; !slices.Equal(kinds, want) {
		t.Fatalf("alerts %v, want each once: %v", kinds, want)
	}
	if c := p1.callCount(); c != dead {
		t.Fatalf("the dead replica read Plume %d more times", c-dead)
	}
	if got := fmt.Sprint(telegram.alerts()[1].ReplyTo, telegram.alerts()[2].OpensIncident); got != "1 true" {
		t.Fatalf("threading after the takeover: reply-to, opens = %s, want 1 true", got)
	}
}

func cleanRedis(t testing.TB, url, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := store.OpenRedis(ctx, url, prefix)
	if err != nil {
		t.Error(err)
		return
	}
	defer b.Close()
	keys, err := b.Keys(ctx, "")
	if err != nil {
		t.Error(err)
		return
	}
	for _, k := range keys {
		b.Delete(ctx, k)
	}
}
