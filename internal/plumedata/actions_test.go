package plumedata

import (
	"testing"

	"plumebot/internal/plumesim"
)

// Fresh reads always reach Plume and refresh the cache; the actor is the session's own client.
func TestFreshReaderAndActor(t *testing.T) {
	f := setup(t)
	src := f.source()
	s := f.session(src)
	l := f.loc("healthy")
	if _, err := s.Nodes(f.ctx, l.CustomerID, l.LocationID, false); err != nil {
		t.Fatal(err)
	}
	before := f.requests(plumesim.EndpointNodes, plumesim.EndpointLocation)
	for range 2 {
		if _, err := s.Fresh().Nodes(f.ctx, l.CustomerID, l.LocationID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Fresh().Location(f.ctx, l.CustomerID, l.LocationID); err != nil {
			t.Fatal(err)
		}
	}
	after := f.requests(plumesim.EndpointNodes, plumesim.EndpointLocation)
	if after[plumesim.EndpointNodes]-before[plumesim.EndpointNodes] != 2 || after[plumesim.EndpointLocation]-before[plumesim.EndpointLocation] != 2 {
		t.Errorf("fresh reads: %v → %v, want two of each", before, after)
	}
	// The fresh value refreshed the cache: a cached read now is a hit, no request.
	if r, err := s.Location(f.ctx, l.CustomerID, l.LocationID, false); err != nil || !r.Hit {
		t.Errorf("cached read after a fresh one: hit %v, err %v", r.Hit, err)
	}
	if s.Actor() != f.session(src).Actor() {
		t.Error("two sessions of one credentials have different clients")
	}
	if s.Fingerprint() != f.creds.Fingerprint() {
		t.Error("Fingerprint is not the credentials'")
	}
	if _, err := s.Actor().Optimize(f.ctx, l.CustomerID, l.LocationID); err != nil {
		t.Errorf("Optimize through the actor: %v", err)
	}
}
