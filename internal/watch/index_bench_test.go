package watch_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"

	"plumebot/internal/store"
	"plumebot/internal/watch"
)

// BenchmarkChatLookupRedis: what a chat's questions cost on a real Redis holding many other
// keys (20,000: cached Plume reads, sessions, other chats' watches): List (/watches,
// /unwatch) and the 🔕/🔔 button of every /health, for a chat with 3 watches among 103.
//
//	PLUMEBOT_TEST_REDIS_URL=redis://127.0.0.1:6379/15 go test -run '^$' -bench ChatLookupRedis ./internal/watch/
func BenchmarkChatLookupRedis(b *testing.B) {
	url := os.Getenv("PLUMEBOT_TEST_REDIS_URL")
	if url == "" {
		b.Skip("needs PLUMEBOT_TEST_REDIS_URL")
	}
	ctx := context.Background()
	var rnd [6]byte
	rand.Read(rnd[:])
	prefix := "plumebot-bench:watch:" + hex.EncodeToString(rnd[:]) + ":"
	backend, err := store.OpenRedis(ctx, url, prefix)
	if err != nil {
		b.Fatal(err)
	}
	defer cleanRedis(b, url, prefix)
	defer backend.Close()
	for i := range 20_000 {
		if err := backend.Put(ctx, fmt.Sprintf("cache:%d", i), []byte("x"), 0); err != nil {
			b.Fatal(err)
		}
	}
	e, err := watch.New(newStore(b, backend), newPlume(), &fakeCreds{}, &recorder{}, watch.Config{})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 100 {
		if _, err := e.Add(ctx, watch.NewWatch{ChatID: chat2 - int64(i), UserID: userB, CustomerID: custA, LocationID: locA}); err != nil {
			b.Fatal(err)
		}
	}
	for _, loc := range []string{locA, locB, locC} {
		if _, err := e.Add(ctx, watch.NewWatch{ChatID: chat1, UserID: userA, CustomerID: custA, LocationID: loc}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("List", func(b *testing.B) {
		for b.Loop() {
			if list, err := e.List(ctx, chat1); err != nil || len(list) != 3 {
				b.Fatalf("List: %d watches, %v", len(list), err)
			}
		}
	})
	b.Run("Find", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.Find(ctx, chat1, 0, custA, locB); err != nil {
				b.Fatalf("Find: %v", err)
			}
		}
	})
}
