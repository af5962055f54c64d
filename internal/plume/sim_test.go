package plume_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"plumebot/internal/plume"
	"plumebot/internal/plumesim"
	"plumebot/internal/secret"
)

// startSim runs the simulator on loopback and returns a client for it, trusting only its CA.
func startSim(t *testing.T) (*plumesim.Server, *plume.Client) {
	t.Helper()
	srv, err := plumesim.Start(plumesim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv, simClient(t, srv, srv.Client())
}

// simClient is a client of the simulator's credentials that connects through hc.
func simClient(t *testing.T, srv *plumesim.Server, hc *http.Client) *plume.Client {
	t.Helper()
	info := srv.Info()
	c, err := plume.NewClient(plume.Credentials{
		TokenURL: info.SSOURL, AuthHeader: secret.String(info.AuthHeader), PartnerID: info.PartnerID,
		APIBase: info.APIBase, ReportsBase: info.ReportsBase,
	}, plume.Options{
		HTTPClient:   hc,
		AllowedHosts: plume.ParseAllowedHosts("127.0.0.1,localhost"),
		Limits:       plume.NewHostLimits(0, 1),
		Logger:       slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSim_datasets(t *testing.T) {
	t.Parallel()
	srv, c := startSim(t)
	info := srv.Info()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, name := range []string{"healthy", "sparse", "nasty"} {
		t.Run(name, func(t *testing.T) {
			loc := info.Locations[name]
			l, err := c.Location(ctx, loc.CustomerID, loc.LocationID)
			if err != nil || l.ID != loc.LocationID {
				t.Fatalf("Location = %+v, %v", l, err)
			}
			locs, err := c.Locations(ctx, loc.CustomerID)
			if err != nil || len(locs) == 0 {
				t.Errorf("Locations = %+v, %v", locs, err)
			}
			nodes, err := c.Nodes(ctx, loc.CustomerID, loc.LocationID)
			if err != nil || len(nodes) == 0 {
				t.Errorf("Nodes = %d, %v", len(nodes), err)
			}
			devices, err := c.Devices(ctx, loc.CustomerID, loc.LocationID)
			if err != nil || len(devices) == 0 {
				t.Errorf("Devices = %d, %v", len(devices), err)
			}
			nets, err := c.WiFiNetworks(ctx, loc.CustomerID, loc.LocationID)
			if err != nil || len(nets) == 0 || nets[0].SSID == "" {
				t.Errorf("WiFiNetworks = %+v, %v", nets, err)
			}
			if b, _ := json.Marshal(nets); strings.Contains(strings.ToLower(string(b)), "key") {
				t.Errorf("a key field survived: %s", b)
			}
			q, err := c.AppQoE(ctx, loc.CustomerID, loc.LocationID, plume.QoELast24Hours)
			if err != nil || !q.Recognized || len(q.Classes) == 0 {
				t.Errorf("AppQoE = %+v, %v", q, err)
			}
			nl, err := c.NodeLookup(ctx, loc.NodeSerial)
			if err != nil || nl.CustomerID != loc.CustomerID || nl.LocationID != loc.LocationID {
				t.Errorf("NodeLookup(%s) = %+v, %v", loc.NodeSerial, nl, err)
			}
			matches, err := c.SearchCustomers(ctx, loc.Email)
			if err != nil || len(matches) == 0 || matches[0].CustomerID != loc.CustomerID {
				t.Errorf("SearchCustomers(%s) = %+v, %v", loc.Email, matches, err)
			}
			ws, err := c.WANStats(ctx, loc.CustomerID, loc.LocationID, "daily")
			if err != nil || len(ws.Points) != 96 {
				t.Errorf("WANStats = %v points, %v", ws, err)
			}
			os, err := c.OnlineStats(ctx, loc.CustomerID, loc.LocationID, "hours", 24)
			if err != nil || len(os.Points) != 24 {
				t.Errorf("OnlineStats = %v, %v", os, err)
			}
		})
	}
	t.Run("foreign", func(t *testing.T) {
		loc := info.Locations["foreign"]
		calls := map[string]func() error{
			"location": func() error { _, err := c.Location(ctx, loc.CustomerID, loc.LocationID); return err },
			"nodes":    func() error { _, err := c.Nodes(ctx, loc.CustomerID, loc.LocationID); return err },
			"devices":  func() error { _, err := c.Devices(ctx, loc.CustomerID, loc.LocationID); return err },
			"wifi":     func() error { _, err := c.WiFiNetworks(ctx, loc.CustomerID, loc.LocationID); return err },
			"appqoe": func() error {
				_, err := c.AppQoE(ctx, loc.CustomerID, loc.LocationID, plume.QoELastHour)
				return err
			},
			"wan":    func() error { _, err := c.WANStats(ctx, loc.CustomerID, loc.LocationID, "daily"); return err },
			"online": func() error { _, err := c.OnlineStats(ctx, loc.CustomerID, loc.LocationID, "days", 7); return err },
			"lookup": func() error { _, err := c.NodeLookup(ctx, loc.NodeSerial); return err },
		}
		for name, call := range calls {
			if err := call(); !errors.Is(err, plume.ErrForbidden) {
				t.Errorf("%s: err = %v, want forbidden", name, err)
			}
		}
		if m, err := c.SearchCustomers(ctx, loc.Email); err != nil || len(m) != 0 {
			t.Errorf("foreign customer found by search: %+v, %v", m, err)
		}
	})
	if n := srv.TokenFetches(); n != 1 {
		t.Errorf("token fetches = %d, want 1", n)
	}
}

func TestSim_unclaimedAndUnknown(t *testing.T) {
	t.Parallel()
	_, c := startSim(t)
	ctx := context.Background()
	nl, err := c.NodeLookup(ctx, plumesim.UnclaimedSerial)
	if err != nil || nl.Claimed() {
		t.Errorf("unclaimed lookup = %+v, %v", nl, err)
	}
	if _, err := c.NodeLookup(ctx, "NOSUCHNODE0"); !errors.Is(err, plume.ErrNotFound) {
		t.Errorf("unknown serial: err = %v", err)
	}
	if _, err := c.Nodes(ctx, strings.Repeat("0", 24), strings.Repeat("0", 24)); !errors.Is(err, plume.ErrNotFound) {
		t.Errorf("unknown location: err = %v", err)
	}
}

func TestSim_revokedTokenAndFaults(t *testing.T) {
	t.Parallel()
	srv, c := startSim(t)
	loc := srv.Info().Locations["healthy"]
	ctx := context.Background()
	if _, err := c.Nodes(ctx, loc.CustomerID, loc.LocationID); err != nil {
		t.Fatal(err)
	}
	srv.RevokeTokens()
	if _, err := c.Nodes(ctx, loc.CustomerID, loc.LocationID); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if n := srv.TokenFetches(); n != 2 {
		t.Errorf("token fetches = %d, want 2", n)
	}
	srv.SetFault("devices", plumesim.Fault{Status: 503, Times: 1})
	if _, err := c.Devices(ctx, loc.CustomerID, loc.LocationID); err != nil {
		t.Errorf("503 once should be retried: %v", err)
	}
	srv.SetFault("devices", plumesim.Fault{Malformed: true})
	if _, err := c.Devices(ctx, loc.CustomerID, loc.LocationID); !errors.Is(err, plume.ErrInvalidResponse) {
		t.Errorf("malformed: err = %v", err)
	}
	srv.SetFault("devices", plumesim.Fault{WAFAfter: 1, WAFWindow: time.Minute})
	_, _ = c.Devices(ctx, loc.CustomerID, loc.LocationID)
	_, err := c.Devices(ctx, loc.CustomerID, loc.LocationID)
	var e *plume.Error
	if !errors.As(err, &e) || e.Kind != plume.KindRateLimited || e.RetryAfter <= 0 {
		t.Errorf("WAF: err = %v", err)
	}
}
