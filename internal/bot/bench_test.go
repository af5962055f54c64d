package bot

import (
	"bytes"
	"context"
	"testing"

	"plumebot/internal/store"
)

// BenchmarkHandleHealthCached is one /health answered from the cache: routing, access,
// store lock, analysis, rendering and the 7 stored buttons (go test -bench . ./internal/bot).
// The cached read alone is plumedata's BenchmarkSnapshotCached.
func BenchmarkHandleHealthCached(b *testing.B) {
	e := newEnv(b, envOpt{})
	h := e.info.Locations["healthy"]
	e.say(alice, "/health "+h.CustomerID+" "+h.LocationID)
	b.ReportAllocs()
	for b.Loop() {
		e.say(alice, "/health")
		e.chat.reset(alice)
	}
}

// BenchmarkHandleHealthCachedBolt is BenchmarkHandleHealthCached on the embedded (bbolt)
// store, where every write is an fsync: what a single-binary deployment pays per answer.
func BenchmarkHandleHealthCachedBolt(b *testing.B) {
	e := newEnv(b, envOpt{})
	backend, err := store.OpenBolt(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	kr, _ := store.NewKeyring(bytes.Repeat([]byte{3}, 32))
	st, err := store.New(context.Background(), backend, kr)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if e.bot, err = New(e.bot.cfg, st, e.chat); err != nil {
		b.Fatal(err)
	}
	h := e.info.Locations["healthy"]
	e.say(alice, "/health "+h.CustomerID+" "+h.LocationID)
	b.ReportAllocs()
	for b.Loop() {
		e.say(alice, "/health")
		e.chat.reset(alice)
	}
}
