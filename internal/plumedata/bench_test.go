package plumedata

import (
	"context"
	"testing"

	"plumebot/internal/plume"
	"plumebot/internal/plumesim"
	"plumebot/internal/secret"
)

// benchSource is a Source on a private simulator, the operator's credentials and its
// "healthy" location.
func benchSource(b *testing.B) (*Source, plume.Credentials, plumesim.LocationInfo) {
	b.Helper()
	sim, err := plumesim.Start(plumesim.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sim.Close)
	info := sim.Info()
	src := New(Config{Plume: plume.Options{HTTPClient: sim.Client(), Limits: plume.NewHostLimits(100000, 100000)}})
	creds := plume.Credentials{TokenURL: info.SSOURL, AuthHeader: secret.String(info.AuthHeader),
		PartnerID: info.PartnerID, APIBase: info.APIBase, ReportsBase: info.ReportsBase}
	return src, creds, info.Locations["healthy"]
}

// BenchmarkSnapshotCached is a /health's read answered from the cache, the session of the
// credentials resolved as for every update (go test -bench . ./internal/plumedata).
func BenchmarkSnapshotCached(b *testing.B) { benchSnapshot(b, false) }

// BenchmarkSnapshotCold is the read of a /health that misses the cache: four HTTPS calls in
// parallel to the simulator on loopback (its CPU included), decoding included.
func BenchmarkSnapshotCold(b *testing.B) { benchSnapshot(b, true) }

func benchSnapshot(b *testing.B, fresh bool) {
	src, creds, h := benchSource(b)
	ctx := context.Background()
	read := func(fresh bool) {
		s, err := src.Session(creds)
		if err != nil {
			b.Fatal(err)
		}
		snap, err := s.Snapshot(ctx, h.CustomerID, h.LocationID, AllParts, fresh)
		if err != nil || snap.NodesErr != nil {
			b.Fatal(err, snap.NodesErr)
		}
	}
	read(true) // the token and the cache are warm from here
	b.ReportAllocs()
	for b.Loop() {
		read(fresh)
	}
}
