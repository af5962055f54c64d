package render

import (
	"fmt"
	"strings"
	"time"

	"plumebot/internal/health"
	"plumebot/internal/plume"
)

// Fixtures mirroring the simulator's datasets (internal/plumesim/datasets.go), built here
// because the simulator's definitions are unexported; sim_golden_test.go renders the simulator's
// own, through the real client.

var now = time.Date(2026, 11, 25, 14, 3, 0, 0, time.UTC)

const (
	custID = "64f0c1a2b3c4d5e6f7a8b9c0"
	locID  = "64f0c1a2b3c4d5e6f7a8b9c2"
)

type dataset struct {
	name    string
	loc     *plume.Location
	nodes   []plume.Node
	devices []plume.Device
	wifi    []plume.WiFiNetwork
	qoe     *plume.AppQoE
	wan     *plume.WANStats
	online  *plume.OnlineStats
	lookup  *plume.NodeLookup
	matches []plume.CustomerMatch
}

func (d dataset) snapshot() health.Snapshot {
	return health.Snapshot{CustomerID: custID, LocationID: locID, Location: d.loc, Nodes: d.nodes,
		Devices: d.devices, QoE: d.qoe, FetchedAt: now}
}

func ptr[T any](v T) *T { return &v }

func location(name, status string, since time.Duration, service string) *plume.Location {
	return &plume.Location{ID: locID, Name: name, CustomerID: custID, AccountID: "ACC-100234", ServiceID: "SVC-55821",
		Profile: "auto", NetworkMode: "auto",
		NetworkStatus: plume.NetworkStatus{Status: status, StatusChangedAt: now.Add(-since)},
		ServiceLevel:  plume.ServiceLevel{Status: service},
		GeoIP:         plume.GeoIP{IP: "203.0.113.7", City: "Springfield", State: "IL", Country: "US", Timezone: "America/Chicago"},
		CreatedAt:     time.Date(2024, 5, 30, 15, 21, 44, 0, time.UTC)}
}

func gateway(name string) plume.Node {
	return plume.Node{ID: "1HX2AB3CD4", Nickname: name, DefaultName: "Gateway", Model: "PP203X", FirmwareVersion: "6.4.0-123",
		IP: "192.168.1.1", MAC: "60:b4:f7:00:00:01", WanIP: "100.64.12.7", PublicIP: "203.0.113.7",
		ConnectionState: "connected", ConnectionStateChangeAt: now.Add(-72 * time.Hour), BackhaulType: "ethernet",
		ConnectedDeviceCount: 6, Channel2G: "6", Channel5G: "44", Channel6G: "37", ResidentialGateway: true,
		Health: &plume.Health{Status: "excellent", Score: 5},
		SpeedTest: &plume.SpeedTest{StartedAt: now.Add(-3 * time.Hour), Status: "succeeded", Trigger: "scheduled",
			ServerName: "Springfield Speed", ISP: "Example Fiber", Download: 512.3, Upload: 38.9, RTT: 9},
		LinkStates: []plume.LinkState{{IfName: "eth0", Duplex: "full", LinkSpeed: 1000, IsUplink: true}}}
}

func pod(serial, name, state string, ago time.Duration, h *plume.Health) plume.Node {
	return plume.Node{ID: serial, Nickname: name, Model: "PP603X", FirmwareVersion: "6.4.0-123", IP: "192.168.1.2" + serial[len(serial)-1:],
		MAC: "60:b4:f7:00:00:" + strings.ToLower(serial[len(serial)-2:]), ConnectionState: state,
		ConnectionStateChangeAt: now.Add(-ago), BackhaulType: "wifi", ConnectedDeviceCount: 3, Channel2G: "6", Channel5G: "44",
		LeafToRoot: []plume.Hop{{ID: "1HX2AB3CD4", FreqBand: "5G"}}, Health: h}
}

func device(i int, name, state string, ago time.Duration, pod string) plume.Device {
	bands := []string{"5G", "2.4G", "6G"}
	d := plume.Device{MAC: fmt.Sprintf("a4:83:e7:12:%02x:%02x", i/256, i%256), Name: name, IP: fmt.Sprintf("192.168.1.%d", 50+i%200),
		Medium: "wifi", FreqBand: bands[i%3], Channel: []int{44, 6, 37}[i%3], AccessZone: "home",
		ConnectionState: state, ConnectionStateChangeAt: now.Add(-ago),
		Health: &plume.Health{Status: "healthy"}, LeafToRoot: []plume.Hop{{ID: pod}}}
	if i%5 == 4 {
		d.Medium, d.FreqBand, d.Channel = "ethernet", "", 0
	}
	return d
}

func wan(seed int) *plume.WANStats {
	s := &plume.WANStats{Period: "daily"}
	start := now.Truncate(15 * time.Minute).Add(-96 * 15 * time.Minute)
	for i := range 96 {
		t := start.Add(time.Duration(i) * 15 * time.Minute)
		h := float64(t.Hour())
		load := 20 + 180*gauss(h, 20, 2.5) + float64((i*seed)%7)
		p := plume.WANPoint{Time: t, Valid: i%17 != 5, RxMbytes: load * 10, TxMbytes: load, RxMaxMbps: load * 1.5, TxMaxMbps: load / 4}
		s.Points = append(s.Points, p)
	}
	return s
}

func gauss(x, mu, sigma float64) float64 {
	d := (x - mu) / sigma
	return 1 / (1 + d*d)
}

func online(outageFrom, outageTo int) *plume.OnlineStats {
	s := &plume.OnlineStats{Granularity: "hours"}
	for i := range 24 {
		p := plume.OnlinePoint{Time: now.Truncate(time.Hour).Add(time.Duration(i-24) * time.Hour), Valid: i != 3, Percent: 100}
		if i >= outageFrom && i < outageTo {
			p.Percent = 0
		}
		if i == 10 {
			p.Percent = 96.5
		}
		s.Points = append(s.Points, p)
	}
	return s
}

func healthyQoE() *plume.AppQoE {
	return &plume.AppQoE{Recognized: true, Classes: []plume.QoEClass{
		{Name: "av_streaming", Score: 4.6, HasScore: true, Devices: 3},
		{Name: "gaming", Score: 4.1, HasScore: true, Devices: 1},
		{Name: "video_conferencing", Score: 4.4, HasScore: true, Devices: 2}}}
}

func nets(home string) []plume.WiFiNetwork {
	return []plume.WiFiNetwork{
		{SSID: home, Enabled: ptr(true), SSIDBroadcast: ptr(true), AccessZone: "home", Encryption: "WPA-PSK", WPAMode: "psk2"},
		{SSID: home + "-Guest", Enabled: ptr(true), SSIDBroadcast: ptr(false), AccessZone: "guests", Encryption: "WPA-PSK", WPAMode: "sae-mixed"},
	}
}

func matches(name string) []plume.CustomerMatch {
	return []plume.CustomerMatch{{CustomerID: custID, Name: name, Email: "jane.smith@example.com", AccountID: "ACC-100234",
		MatchingString: "email", MatchedValue: "jane.smith@example.com", LocationID: locID,
		Locations: []plume.LocationRef{{ID: locID, Name: "Home", ServiceID: "SVC-55821"}}}}
}

func datasets() []dataset {
	healthyDevices := []plume.Device{}
	names := []string{"Johns-iPhone", "Living room TV", "MacBook-Pro", "Nest thermostat", "PS5", "Kitchen speaker",
		"Janes-Pixel", "Printer", "Ring doorbell", "Kids tablet", "Old laptop", "Guest phone"}
	for i, n := range names {
		state, ago := "connected", time.Duration(i+1)*time.Hour
		if i >= 10 {
			state, ago = "disconnected", time.Duration(i)*24*time.Hour
		}
		healthyDevices = append(healthyDevices, device(i, n, state, ago, []string{"1HX2AB3CD4", "1HX2AB3CD5", "1HX2AB3CD6"}[i%3]))
	}
	healthyNodes := []plume.Node{gateway("Living room"), pod("1HX2AB3CD5", "Bedroom", "connected", 70*time.Hour, &plume.Health{Status: "good", Score: 4}),
		pod("1HX2AB3CD6", "Office", "connected", 70*time.Hour, &plume.Health{Status: "excellent", Score: 5})}

	healthy := dataset{name: "healthy", loc: location("Home", "online", 72*time.Hour, "fullService"), nodes: healthyNodes,
		devices: healthyDevices, wifi: nets("Smith-Home"), qoe: healthyQoE(), wan: wan(1), online: online(0, 0),
		lookup:  &plume.NodeLookup{SerialNumber: "1HX2AB3CD4", CustomerID: custID, LocationID: locID, PackID: "PK123456", PartnerID: "65f06dae3fca80000ad38331", Model: "PP203X"},
		matches: matches("Jane Smith")}

	deg := healthy
	deg.name = "degraded"
	deg.loc = location("Home", "online", 30*time.Hour, "basicService")
	deg.nodes = append([]plume.Node{}, healthyNodes...)
	deg.nodes[1].Health = &plume.Health{Status: "fair", Score: 3}
	deg.nodes[1].Alerts = []plume.Alert{{Type: "highInterference"}}
	deg.devices = append([]plume.Device{}, healthyDevices...)
	deg.devices[2].Health = &plume.Health{Status: "poor", Score: 1}
	deg.devices[3].ConnectionState, deg.devices[3].ConnectionStateChangeAt = "disconnected", now.Add(-10*time.Minute)
	deg.qoe = healthyQoE()
	deg.qoe.Classes[1].Score = 1.8

	partial := healthy
	partial.name = "partial"
	partial.nodes = append(append([]plume.Node{}, healthyNodes...), pod("1HX2AB3CD7", "Garage", "disconnected", 2*time.Hour, nil))
	partial.online = online(20, 22)

	off := healthy
	off.name = "offline"
	off.loc = location("Home", "offline", 3*time.Hour, "fullService")
	off.nodes = nil
	for _, n := range healthyNodes {
		n.ConnectionState, n.ConnectionStateChangeAt = "disconnected", now.Add(-3*time.Hour)
		off.nodes = append(off.nodes, n)
	}
	off.devices = nil
	for _, d := range healthyDevices {
		d.ConnectionState, d.ConnectionStateChangeAt = "disconnected", now.Add(-3*time.Hour)
		off.devices = append(off.devices, d)
	}
	off.qoe = nil
	off.online = online(21, 24)

	huge := healthy
	huge.name = "huge"
	huge.loc = location("Main office building with a very long location name used for testing", "online", 500*time.Hour, "fullService")
	huge.nodes = []plume.Node{gateway("Reception area gateway pod with an unusually long nickname 000")}
	for i := range 13 {
		huge.nodes = append(huge.nodes, pod(fmt.Sprintf("1HX2AB3E%02d", i), fmt.Sprintf("Floor %d meeting room pod with a very long descriptive nickname", i), "connected",
			time.Duration(i+1)*time.Hour, &plume.Health{Status: "good", Score: 4}))
	}
	huge.devices = nil
	for i := range 320 {
		state, ago := "connected", time.Duration(i)*time.Minute
		if i%9 == 0 {
			state, ago = "disconnected", time.Duration(i)*time.Hour+2*time.Hour
		}
		huge.devices = append(huge.devices, device(i, fmt.Sprintf("Workstation %03d of the accounting department (long name)", i), state, ago, huge.nodes[i%14].ID))
	}
	huge.wifi = nil
	for i := range 8 {
		huge.wifi = append(huge.wifi, nets(fmt.Sprintf("Office-Network-%d", i))...)
	}

	nasty := healthy
	nasty.name = "nasty"
	nastyNames := []string{"<b>bold</b>", "</pre>", "&amp;", "_x_", "*x*", "`tick` ```", "Family 👨‍👩‍👧 🔥",
		"غرفة المعيشة", "סלון", strings.Repeat("Very long name ", 13) + "end.", "<script>alert(1)</script>", "a & b < c > d \"q\""}
	nasty.loc = location("<i>Home</i> & \"garden\"", "online", 72*time.Hour, "fullService")
	nasty.nodes = append([]plume.Node{}, healthyNodes...)
	nasty.nodes[0].Nickname = nastyNames[0]
	nasty.nodes[1].Nickname = nastyNames[7]
	nasty.nodes[2].Nickname = nastyNames[9]
	nasty.devices = nil
	for i, n := range nastyNames {
		nasty.devices = append(nasty.devices, device(i, n, "connected", time.Hour, healthyNodes[i%3].ID))
	}
	nasty.wifi = nets("<script>alert('x')</script>")
	nasty.matches = matches("</pre> & <b>")

	sparse := dataset{name: "sparse", loc: &plume.Location{ID: locID},
		nodes:   []plume.Node{{ID: "1HX2AB3CD4", ConnectionState: "connected"}, {ID: "1HX2AB3CD5", ConnectionState: "connected"}},
		devices: []plume.Device{{MAC: "a4:83:e7:12:34:56", ConnectionState: "connected"}, {MAC: "3c:22:fb:aa:bb:cc", ConnectionState: "disconnected"}},
		wifi:    []plume.WiFiNetwork{{SSID: "x"}, {}}, wan: &plume.WANStats{}, online: &plume.OnlineStats{},
		lookup: &plume.NodeLookup{SerialNumber: "SIMUNCLAIMED1"}, matches: []plume.CustomerMatch{{CustomerID: custID}}}

	return []dataset{healthy, deg, partial, off, huge, nasty, sparse}
}

// views renders every view of d, by view name.
func views(d dataset, o Options) map[string]Pages {
	r := health.Analyze(d.snapshot(), o.Now)
	return map[string]Pages{
		"health":    HealthReport(r, o),
		"status":    Status(d.loc, o),
		"nodes":     Nodes(d.loc, d.nodes, o),
		"devices":   Devices(d.devices, d.nodes, o),
		"wifi":      WiFi(d.wifi, o),
		"internet":  Internet(d.loc, d.nodes, o),
		"node":      NodeLookup(d.lookup, o),
		"wan":       WAN(d.wan, o),
		"online24h": OnlineHistory(d.online, "24h", o),
		"locations": Locations(custID, []plume.Location{*d.loc}, o),
		"search":    SearchResults("smith", d.matches, o),
	}
}
