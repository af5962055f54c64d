package store_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"plumebot/internal/store"
)

// benchCreds is the size of a real credentials record (token URL, header, partner ID, base).
var benchCreds = []byte(`{"tokenUrl":"https://external.sso.plume.com/oauth2/aus1abcdefghijklm/v1/token",` +
	`"authHeader":"Basic MG9hMWFiY2RlZmdoaWprbG1ub3A6c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0",` +
	`"partnerId":"5f1e2d3c4b5a69788796a5b4","apiBase":"https://piranha-gamma.prod.us-west-2.aws.plumenet.io/api"}`)

var benchPrefs = []byte(`{"customerId":"5f1e2d3c4b5a69788796a5b4","locationId":"5f1e2d3c4b5a69788796a5b5"}`)

func benchStore(b *testing.B, backend store.Backend) *store.Store {
	b.Helper()
	s, err := store.New(context.Background(), backend, mustKeyringT(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func benchBolt(b *testing.B) *store.Store {
	backend, err := store.OpenBolt(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return benchStore(b, backend)
}

// BenchmarkPutUserBolt: one sealed, fsynced write per op.
func BenchmarkPutUserBolt(b *testing.B) {
	s, ctx := benchBolt(b), context.Background()
	b.ReportAllocs()
	i := int64(0)
	for b.Loop() {
		if err := s.PutUser(ctx, i%1000, "plume", benchCreds); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkGetUserBolt(b *testing.B) {
	s, ctx := benchBolt(b), context.Background()
	const users = 1000
	for u := range int64(users) {
		if err := s.PutUser(ctx, u, "plume", benchCreds); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := int64(0)
	for b.Loop() {
		if _, err := s.GetUser(ctx, i%users, "plume"); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkLockRedis: an uncontended lock and unlock (SET NX PX + compare-and-delete).
func BenchmarkLockRedis(b *testing.B) {
	backend := openTestRedis(b, redisURL(b))
	s, ctx := benchStore(b, backend), context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		unlock, err := s.Lock(ctx, fmt.Sprintf("user:%d", i%100), 30*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		unlock()
		i++
	}
}

// BenchmarkMemoryPerIdleUser reports the heap an idle user costs with the memory backend:
// sealed credentials and last-location settings for 100,000 users.
func BenchmarkMemoryPerIdleUser(b *testing.B) {
	const users = 100_000
	ctx := context.Background()
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s, err := store.New(ctx, store.NewMemory(), mustKeyringT(b))
		if err != nil {
			b.Fatal(err)
		}
		for u := range int64(users) {
			if err := s.PutUser(ctx, u, "plume", benchCreds); err != nil {
				b.Fatal(err)
			}
			if err := s.PutUser(ctx, u, "prefs", benchPrefs); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/users, "heapB/user")
		runtime.KeepAlive(s)
	}
}
