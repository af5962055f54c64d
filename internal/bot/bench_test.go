package bot

import (
	"bytes"
	"context"
	"testing"

	"plumebot/internal/store"
)

// BenchmarkHandleHealthCached is one /health answered from the cache: routing, access,
// store lock, analysis, rendering and the 7 stored buttons (go test -bench . ./internal/bot).
func BenchmarkHandleHealthCached(b *testing.B) {
	benchHealth(b, false)
}

// BenchmarkSnapshotCached is the cached parallel fetch alone.
func BenchmarkSnapshotCached(b *testing.B) { benchHealth(b, true) }

func benchHealth(b *testing.B, snapshotOnly bool) {
	e := newEnv(b, envOpt{})
	h := e.info.Locations["healthy"]
	ctx := context.Background()
	e.say(alice, "/health "+h.CustomerID+" "+h.LocationID)
	b.ReportAllocs()
	for b.Loop() {
		if snapshotOnly {
			if _, err := e.bot.Snapshot(ctx, *e.bot.cfg.Operator, h.CustomerID, h.LocationID, false); err != nil {
				b.Fatal(err)
			}
			continue
		}
		e.say(alice, "/health")
		e.chat.reset(alice)
	}
}

// BenchmarkSnapshotCold is the parallel fetch of a /health that misses the cache: four HTTPS
// calls to the simulator on loopback (its CPU included), decoding included.
func BenchmarkSnapshotCold(b *testing.B) {
	e := newEnv(b, envOpt{ownSim: true})
	h := e.info.Locations["healthy"]
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.bot.Snapshot(ctx, *e.bot.cfg.Operator, h.CustomerID, h.LocationID, true); err != nil {
			b.Fatal(err)
		}
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
