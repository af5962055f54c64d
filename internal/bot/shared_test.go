package bot

import (
	"reflect"
	"testing"

	"plumebot/internal/plumesim"
)

// Two replicas on one store: what one fetched, the other serves without calling Plume, and the
// value survives the trip through the store intact for every dataset.
func TestSharedCacheAcrossReplicas(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{ownSim: true, cfg: func(c *Config) { c.SharedCache = true }})
	replica, err := New(e.bot.cfg, e.st, newMemChat(t))
	if err != nil {
		t.Fatal(err)
	}
	creds := *e.bot.cfg.Operator
	for _, name := range plumesim.DatasetNames() {
		if name == "foreign" {
			continue
		}
		l := e.loc(name)
		a, err := e.bot.Snapshot(e.ctx(), creds, l.CustomerID, l.LocationID, false)
		if err != nil {
			t.Fatal(err)
		}
		before := e.sim.Requests("")
		b, err := replica.Snapshot(e.ctx(), creds, l.CustomerID, l.LocationID, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.sim.Requests(""); got != before {
			t.Errorf("%s: the second replica made %d Plume requests; want 0 (shared cache)", name, got-before)
		}
		if !reflect.DeepEqual(a.Location, b.Location) || !reflect.DeepEqual(a.Nodes, b.Nodes) ||
			!reflect.DeepEqual(a.Devices, b.Devices) || !reflect.DeepEqual(a.QoE, b.QoE) {
			t.Errorf("%s: the shared copy differs from what was fetched", name)
		}
		if !b.FetchedAt.Equal(a.FetchedAt) {
			t.Errorf("%s: shared copy lost its age: %v vs %v", name, b.FetchedAt, a.FetchedAt)
		}
	}
	// Refresh on the replica goes to Plume.
	l := e.loc("healthy")
	before := e.sim.Requests("nodes")
	if _, err := replica.Snapshot(e.ctx(), creds, l.CustomerID, l.LocationID, true); err != nil {
		t.Fatal(err)
	}
	if e.sim.Requests("nodes") != before+1 {
		t.Error("fresh snapshot did not bypass the shared cache")
	}
}

// Without SharedCache nothing Plume sent is written to the store.
func TestNoSharedCacheByDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{ownSim: true})
	replica, err := New(e.bot.cfg, e.st, newMemChat(t))
	if err != nil {
		t.Fatal(err)
	}
	l := e.loc("healthy")
	creds := *e.bot.cfg.Operator
	if _, err := e.bot.Snapshot(e.ctx(), creds, l.CustomerID, l.LocationID, false); err != nil {
		t.Fatal(err)
	}
	before := e.sim.Requests("nodes")
	if _, err := replica.Snapshot(e.ctx(), creds, l.CustomerID, l.LocationID, false); err != nil {
		t.Fatal(err)
	}
	if e.sim.Requests("nodes") != before+1 {
		t.Error("an unshared replica served another's data")
	}
}
