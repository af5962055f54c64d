package bench

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"plumebot/internal/health"
	"plumebot/internal/plume"
	"plumebot/internal/plumedata"
	"plumebot/internal/render"
)

// Micro-benchmarks on the simulator's data (go test -bench . ./internal/bench; compare runs
// with benchstat). The packages' own benchmarks use hand-made fixtures; these use the
// simulator's "huge" location (14 pods, 200 devices) and the real client over loopback HTTPS.

func newBenchWorld(b *testing.B) *world {
	b.Helper()
	w, err := newWorld()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.close)
	return w
}

func hugeClient(b *testing.B, w *world) (*plume.Client, string, string) {
	b.Helper()
	c, err := plume.NewClient(w.creds, plume.Options{HTTPClient: w.plumeHTTP, Limits: plume.NewHostLimits(0, 0)})
	if err != nil {
		b.Fatal(err)
	}
	loc := w.info.Locations["huge"]
	return c, loc.CustomerID, loc.LocationID
}

// BenchmarkFetchNodesHuge is one nodes call: HTTPS round trip to the simulator and decoding.
func BenchmarkFetchNodesHuge(b *testing.B) {
	w := newBenchWorld(b)
	c, cid, lid := hugeClient(b, w)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Nodes(ctx, cid, lid); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFetchDevicesHuge is one devices call (200 devices).
func BenchmarkFetchDevicesHuge(b *testing.B) {
	w := newBenchWorld(b)
	c, cid, lid := hugeClient(b, w)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Devices(ctx, cid, lid); err != nil {
			b.Fatal(err)
		}
	}
}

func hugeSnapshot(b *testing.B) health.Snapshot {
	b.Helper()
	w := newBenchWorld(b)
	data, err := w.newSource(nil).Session(w.creds)
	if err != nil {
		b.Fatal(err)
	}
	loc := w.info.Locations["huge"]
	s, err := data.Snapshot(context.Background(), loc.CustomerID, loc.LocationID, plumedata.AllParts, true)
	if err != nil || s.LocationErr != nil || s.NodesErr != nil || s.DevicesErr != nil || s.QoEErr != nil {
		b.Fatal(err, s.LocationErr, s.NodesErr, s.DevicesErr, s.QoEErr)
	}
	return s.Snapshot
}

// BenchmarkAnalyzeHuge is the health verdict of the huge location.
func BenchmarkAnalyzeHuge(b *testing.B) {
	s := hugeSnapshot(b)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		health.Analyze(s, now)
	}
}

// BenchmarkRenderHealthHuge renders the huge location's report into Telegram HTML pages.
func BenchmarkRenderHealthHuge(b *testing.B) {
	s := hugeSnapshot(b)
	now := time.Now()
	r := health.Analyze(s, now)
	b.ReportAllocs()
	for b.Loop() {
		if len(render.HealthReport(r, render.Options{Now: now})) == 0 {
			b.Fatal("no pages")
		}
	}
}

// BenchmarkRenderNodesHuge renders /nodes of the huge location.
func BenchmarkRenderNodesHuge(b *testing.B) {
	s := hugeSnapshot(b)
	o := render.Options{Now: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		render.Nodes(s.Location, s.Nodes, o)
	}
}

// BenchmarkRenderDevicesHuge renders /devices of the huge location (several pages).
func BenchmarkRenderDevicesHuge(b *testing.B) {
	s := hugeSnapshot(b)
	o := render.Options{Now: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		render.Devices(s.Devices, s.Nodes, o)
	}
}

// benchHandle runs /health through bot.Handle in parallel (in-memory Chat, L = 0).
func benchHandle(b *testing.B, cold bool) {
	w := newBenchWorld(b)
	ctx := context.Background()
	st, err := newStore(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	chat := &memChat{}
	users := userIDs(1, 1000)
	data := w.newSource(nil)
	bt, err := w.newBot(st, chat, users, data)
	if err != nil {
		b.Fatal(err)
	}
	if err := w.warmToken(ctx, data); err != nil {
		b.Fatal(err)
	}
	wcid, wlid, err := w.cold()
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			cid, lid := wcid, wlid
			if cold {
				if cid, lid, err = w.cold(); err != nil {
					b.Error(err)
					return
				}
			}
			bt.Handle(ctx, healthUpdate(int(i), users[i%int64(len(users))], cid, lid))
		}
	})
	b.StopTimer()
	if got := chat.reports.Load(); got != n.Load() {
		b.Fatalf("%d reports for %d commands", got, n.Load())
	}
}

// BenchmarkHealthCold is one /health about a never-cached location: 4 HTTPS calls to the
// in-process simulator (whose CPU is included), analysis, rendering, buttons.
func BenchmarkHealthCold(b *testing.B) { benchHandle(b, true) }

// BenchmarkHealthWarm is one /health answered from the cache.
func BenchmarkHealthWarm(b *testing.B) { benchHandle(b, false) }
