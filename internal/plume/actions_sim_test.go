package plume_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"plumebot/internal/plume"
	"plumebot/internal/plumesim"
)

// The client's actions against the simulator: the same paths, forms and statuses on both sides
// (plumesim writes its side without importing plume), and their effect on the next read.
func TestSim_actions(t *testing.T) {
	t.Parallel()
	srv, c := startSim(t)
	ctx := context.Background()
	h := srv.Info().Locations["healthy"]
	nodes, err := c.Nodes(ctx, h.CustomerID, h.LocationID)
	if err != nil {
		t.Fatal(err)
	}
	office := nodes[1].ID
	if _, err := c.RebootNode(ctx, h.CustomerID, h.LocationID, office, 0); err != nil {
		t.Fatalf("RebootNode: %v", err)
	}
	if nodes, err = c.Nodes(ctx, h.CustomerID, h.LocationID); err != nil || nodes[1].Connected() {
		t.Errorf("after the reboot Office is %q (err %v)", nodes[1].ConnectionState, err)
	}
	if _, err := c.RebootLocation(ctx, h.CustomerID, h.LocationID, 5*time.Second); err != nil {
		t.Errorf("RebootLocation: %v", err)
	}
	if _, err := c.StartISPSpeedTest(ctx, h.CustomerID, h.LocationID); err != nil {
		t.Errorf("StartISPSpeedTest: %v", err)
	}
	if _, err := c.Optimize(ctx, h.CustomerID, h.LocationID); err != nil {
		t.Errorf("Optimize: %v", err)
	}
	other := srv.Info().Locations["degraded"].NodeSerial
	wantKind(t, second(c.RebootNode(ctx, h.CustomerID, h.LocationID, other, 0)), plume.KindNotFound)
	f := srv.Info().Locations["foreign"]
	wantKind(t, second(c.RebootLocation(ctx, f.CustomerID, f.LocationID, 0)), plume.KindForbidden)
	srv.SetFault(plumesim.EndpointISPSpeedTest, plumesim.Fault{Status: 422})
	e := wantKind(t, second(c.StartISPSpeedTest(ctx, h.CustomerID, h.LocationID)), plume.KindInvalidInput)
	if e.Status != 422 {
		t.Errorf("status = %d", e.Status)
	}
	srv.SetFault(plumesim.EndpointRebootLocation, plumesim.Fault{WAFAfter: 1})
	if _, err := c.RebootLocation(ctx, h.CustomerID, h.LocationID, 0); err != nil {
		t.Errorf("first reboot under the WAF's budget: %v", err)
	}
	if e := wantKind(t, second(c.RebootLocation(ctx, h.CustomerID, h.LocationID, 0)), plume.KindRateLimited); e.RetryAfter <= 0 {
		t.Errorf("WAF block without a wait: %+v", e)
	}
	// Faulted requests never reach the handlers: 4 accepted, 2 refused, 1 more accepted.
	if got := len(srv.Actions()); got != 7 {
		t.Errorf("%d actions reached the simulator's handlers, want 7", got)
	}
}

func wantKind(t *testing.T, err error, k plume.Kind) *plume.Error {
	t.Helper()
	var e *plume.Error
	if !errors.As(err, &e) || e.Kind != k {
		t.Fatalf("err = %v, want kind %v", err, k)
	}
	return e
}

// second drops an action's status.
func second(_ int, err error) error { return err }
