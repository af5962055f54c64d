package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"plumebot/internal/store"
	"plumebot/internal/store/storetest"
)

func TestMemoryConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(*testing.T) store.Backend { return store.NewMemory() })
}

func TestBoltConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Backend {
		b, err := store.OpenBolt(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

func TestRedisConformance(t *testing.T) {
	t.Parallel()
	url := redisURL(t)
	storetest.Run(t, func(t *testing.T) store.Backend { return openTestRedis(t, url) })
}

// redisURL returns PLUMEBOT_TEST_REDIS_URL or skips.
func redisURL(tb testing.TB) string {
	u := os.Getenv("PLUMEBOT_TEST_REDIS_URL")
	if u == "" {
		tb.Skip("Redis tests need a server: PLUMEBOT_TEST_REDIS_URL=redis://127.0.0.1:6379/15 go test ./internal/store/ (or run .ci/run)")
	}
	return u
}

// openTestRedis opens a backend under a prefix unique to this test and deletes its keys
// afterwards, so parallel runs on one database never meet.
func openTestRedis(tb testing.TB, url string) store.Backend {
	tb.Helper()
	var rnd [6]byte
	rand.Read(rnd[:])
	prefix := "plumebot-test:" + strings.ReplaceAll(tb.Name(), "/", ".") + ":" + hex.EncodeToString(rnd[:]) + ":"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := store.OpenRedis(ctx, url, prefix)
	if err != nil {
		tb.Fatalf("OpenRedis: %v", err)
	}
	tb.Cleanup(func() { cleanRedis(tb, url, prefix) })
	return b
}

func cleanRedis(tb testing.TB, url, prefix string) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		tb.Error(err)
		return
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		tb.Errorf("clean Redis keys: %v", err)
		return
	}
	if len(keys) > 0 {
		if err := c.Del(ctx, keys...).Err(); err != nil {
			tb.Errorf("clean Redis keys: %v", err)
		}
	}
}
