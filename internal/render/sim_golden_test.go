package render

import (
	"context"
	"testing"
	"time"

	"plumebot/internal/health"
	"plumebot/internal/plume"
	"plumebot/internal/plumesim"
	"plumebot/internal/secret"
)

// TestGoldenSimulator renders every view from what the real client decodes from the real
// simulator, for every dataset: the fixtures above cannot drift from what Plume-shaped JSON
// actually produces. The simulator's clock is fixed, so its data is too.
func TestGoldenSimulator(t *testing.T) {
	t.Parallel()
	fixed := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return fixed }
	sim, err := plumesim.Start(plumesim.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	info := sim.Info()
	c, err := plume.NewClient(plume.Credentials{TokenURL: info.SSOURL, AuthHeader: secret.String(info.AuthHeader),
		PartnerID: info.PartnerID, APIBase: info.APIBase, ReportsBase: info.ReportsBase},
		plume.Options{HTTPClient: sim.Client(), Now: clock, Limits: plume.NewHostLimits(1000, 1000)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o := Options{Now: fixed}
	for _, name := range plumesim.DatasetNames() {
		l := info.Locations[name]
		cid, lid := l.CustomerID, l.LocationID
		snap := health.Snapshot{CustomerID: cid, LocationID: lid, FetchedAt: fixed}
		snap.Location, snap.LocationErr = c.Location(ctx, cid, lid)
		snap.Nodes, snap.NodesErr = c.Nodes(ctx, cid, lid)
		snap.Devices, snap.DevicesErr = c.Devices(ctx, cid, lid)
		snap.QoE, snap.QoEErr = c.AppQoE(ctx, cid, lid, plume.QoELast24Hours)
		wifi, wifiErr := c.WiFiNetworks(ctx, cid, lid)
		wan, wanErr := c.WANStats(ctx, cid, lid, "daily")
		online, onlineErr := c.OnlineStats(ctx, cid, lid, "hours", 24)
		locs, locsErr := c.Locations(ctx, cid)
		lookup, lookupErr := c.NodeLookup(ctx, l.NodeSerial)
		found, foundErr := c.SearchCustomers(ctx, l.Email)

		or := func(p Pages, err error) Pages {
			if err != nil {
				return Pages{Error(err)}
			}
			return p
		}
		views := map[string]Pages{
			"health":   HealthReport(health.Analyze(snap, fixed), o),
			"status":   or(Status(snap.Location, o), snap.LocationErr),
			"nodes":    or(Nodes(snap.Location, snap.Nodes, o), snap.NodesErr),
			"devices":  or(Devices(snap.Devices, snap.Nodes, o), snap.DevicesErr),
			"internet": or(Internet(snap.Location, snap.Nodes, o), snap.NodesErr),
			"wifi":     or(WiFi(wifi, o), wifiErr),
			"wan":      or(WAN(wan, o), wanErr),
			"online":   or(OnlineHistory(online, "24h", o), onlineErr),
			"locs":     or(Locations(cid, locs, o), locsErr),
			"node":     or(NodeLookup(lookup, o), lookupErr),
			"find":     or(SearchResults(l.Email, found, o), foundErr),
		}
		for view, p := range views {
			t.Run(name+"_"+view, func(t *testing.T) {
				checkPages(t, name+"_"+view, p)
				golden(t, "sim_"+name+"_"+view, p)
			})
		}
	}
}
