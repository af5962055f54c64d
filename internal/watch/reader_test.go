package watch_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"plumebot/internal/plume"
	"plumebot/internal/plumedata"
	"plumebot/internal/plumesim"
	"plumebot/internal/secret"
	"plumebot/internal/watch"
)

// TestSourceReader: a check reads the location and its pods through the shared cache, at most
// two requests; what the cache holds serves while younger than MaxAge, and is fetched again
// after; Plume's errors come back as they are.
func TestSourceReader(t *testing.T) {
	t.Parallel()
	sim, err := plumesim.Start(plumesim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	info := sim.Info()
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	src := plumedata.New(plumedata.Config{Now: now,
		Plume: plume.Options{HTTPClient: sim.Client(), AllowedHosts: []string{"127.0.0.1"}, Limits: plume.NewHostLimits(1000, 1000)}})
	creds := plume.Credentials{TokenURL: info.SSOURL, AuthHeader: secret.String(info.AuthHeader), PartnerID: info.PartnerID,
		APIBase: info.APIBase, ReportsBase: info.ReportsBase}
	rd := watch.SourceReader{Source: src, MaxAge: 10 * time.Second, Now: now}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	home := info.Locations["healthy"]
	read := func(wantRequests int) watch.Reading {
		t.Helper()
		before := sim.Requests("")
		r, err := rd.LocationAndPods(ctx, creds, home.CustomerID, home.LocationID)
		if err != nil {
			t.Fatal(err)
		}
		if got := sim.Requests("") - before; r.Requests != wantRequests || got != wantRequests {
			t.Fatalf("reading says %d requests, the simulator counted %d; want %d", r.Requests, got, wantRequests)
		}
		if r.Location == nil || r.Location.ID != home.LocationID || len(r.Nodes) != 3 {
			t.Fatalf("reading %+v", r)
		}
		return r
	}
	read(2)
	read(0) // both cached, fresh enough
	clock.Add(int64(11 * time.Second))
	read(2) // both older than MaxAge
	// An agent's /nodes refreshed the pods; the location is fetched again alone.
	clock.Add(int64(9 * time.Second))
	s, _ := src.Session(creds)
	if _, err := s.Nodes(ctx, home.CustomerID, home.LocationID, true); err != nil {
		t.Fatal(err)
	}
	clock.Add(int64(2 * time.Second))
	read(1)

	if err := sim.SetLocationOnline(home.LocationID, false); err != nil {
		t.Fatal(err)
	}
	clock.Add(int64(11 * time.Second))
	if r := read(2); r.Location.NetworkStatus.Status != "offline" || r.Nodes[0].Connected() {
		t.Errorf("after the location went down: %+v %+v", r.Location.NetworkStatus, r.Nodes[0])
	}

	foreign := info.Locations["foreign"]
	_, err = rd.LocationAndPods(ctx, creds, foreign.CustomerID, foreign.LocationID)
	if !errors.Is(err, plume.ErrForbidden) {
		t.Errorf("another partner's location: %v, want Plume's 403", err)
	}
	fresh := watch.SourceReader{Source: src}
	before := sim.Requests("")
	if r, err := fresh.LocationAndPods(ctx, creds, home.CustomerID, home.LocationID); err != nil || r.Requests != 2 || sim.Requests("")-before != 2 {
		t.Errorf("MaxAge 0 reads fresh: %d requests (%v)", r.Requests, err)
	}
}
