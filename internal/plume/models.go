package plume

import (
	"strings"
	"time"
)

// The typed results of the client. Field names are Plume's JSON names (the simulator writes the
// same JSON from its own definitions, in internal/plumesim/payloads.go); anything Plume
// may omit or send as null decodes to the zero value. Secrets (PSKs, the backhaul wpaKey) have
// no field here on purpose: they are dropped at decode time and never held.

// Location is a subscriber location ("Home"): GET /Customers/{id}/locations/{locationId}.
type Location struct {
	ID            string        `json:"id"`
	Name          string        `json:"name"`
	CustomerID    string        `json:"customerId"`
	AccountID     string        `json:"accountId"`
	PartnerID     string        `json:"partnerId"`
	ServiceID     string        `json:"serviceId"`
	Profile       string        `json:"profile"`     // auto (HomePass), smallbusiness (WorkPass)
	NetworkMode   string        `json:"networkMode"` // auto, router
	NetworkStatus NetworkStatus `json:"networkStatus"`
	ServiceLevel  ServiceLevel  `json:"serviceLevel"`
	GeoIP         GeoIP         `json:"geoIp"`
	CreatedAt     time.Time     `json:"createdAt"`
	UpdatedAt     time.Time     `json:"updatedAt"`
}

// NetworkStatus is the location's cloud/internet link state.
type NetworkStatus struct {
	Status                   string    `json:"status"` // online, offline ("" when unknown)
	StatusChangedAt          time.Time `json:"statusChangedAt"`
	DurationOfPreviousStatus float64   `json:"durationOfPreviousStatus"` // seconds
}

// ServiceLevel is the ISP entitlement level: noService, basicService, fullService.
type ServiceLevel struct {
	Status    string    `json:"status"`
	Created   time.Time `json:"created"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// GeoIP is Plume's geolocation of the location's public IP.
type GeoIP struct {
	IP       string `json:"ip"`
	City     string `json:"city"`
	State    string `json:"state"`
	Country  string `json:"country"`
	Timezone string `json:"timezone"`
}

// Hop is one element of a leafToRoot chain: the parent a node or device hangs off.
type Hop struct {
	ID       string `json:"id"`
	Nickname string `json:"nickname"`
	FreqBand string `json:"freqBand"`
}

// Health is the node/device health object {status, score, details}.
type Health struct {
	Status  string  `json:"status"` // excellent, good, fair, poor (devices: healthy, degraded, poor)
	Score   float64 `json:"score"`  // 1..5 where present
	Details string  `json:"details"`
}

// Alert is an active alert on a pod.
type Alert struct {
	Type string `json:"type"`
}

// SpeedTest is the last ISP speed test embedded in the gateway node.
type SpeedTest struct {
	StartedAt  time.Time `json:"startedAt"`
	Status     string    `json:"status"`  // succeeded, failed, ...
	Trigger    string    `json:"trigger"` // scheduled, manual, ...
	ServerName string    `json:"serverName"`
	ServerHost string    `json:"serverHost"`
	ISP        string    `json:"isp"`
	Download   float64   `json:"download"` // Mbit/s
	Upload     float64   `json:"upload"`   // Mbit/s
	RTT        float64   `json:"rtt"`      // ms
}

// LinkState is one wired interface of a node.
type LinkState struct {
	IfName       string `json:"ifName"`
	Duplex       string `json:"duplex"`
	LinkSpeed    int    `json:"linkSpeed"` // Mbit/s
	IsUplink     bool   `json:"isUplink"`
	HasEthClient bool   `json:"hasEthClient"`
}

// Node is a pod or gateway: GET …/nodes.
type Node struct {
	ID                      string      `json:"id"` // serial number
	Nickname                string      `json:"nickname"`
	DefaultName             string      `json:"defaultName"`
	Model                   string      `json:"model"`
	SerialNumber            string      `json:"serialNumber"`
	FirmwareVersion         string      `json:"firmwareVersion"`
	IP                      string      `json:"ip"`
	MAC                     string      `json:"mac"`
	WanIP                   string      `json:"wanIp"`
	PublicIP                string      `json:"publicIp"`
	ConnectionState         string      `json:"connectionState"` // connected, disconnected, unavailable
	ConnectionStateChangeAt time.Time   `json:"connectionStateChangeAt"`
	BackhaulType            string      `json:"backhaulType"` // ethernet, wifi, unknown
	LeafToRoot              []Hop       `json:"leafToRoot"`
	ConnectedDeviceCount    int         `json:"connectedDeviceCount"`
	Channel2G               string      `json:"2gChannel"`
	Channel5G               string      `json:"5gChannel"`
	Channel6G               string      `json:"6gChannel"`
	ResidentialGateway      bool        `json:"residentialGateway"`
	NetworkMode             string      `json:"networkMode"`
	BootAt                  time.Time   `json:"bootAt"`
	Health                  *Health     `json:"health"`
	Alerts                  []Alert     `json:"alerts"`
	SpeedTest               *SpeedTest  `json:"speedTest"`
	LinkStates              []LinkState `json:"linkStates"`
}

// Name is what a person calls the pod: nickname, else default name, else serial.
func (n Node) Name() string {
	switch {
	case n.Nickname != "":
		return n.Nickname
	case n.DefaultName != "":
		return n.DefaultName
	}
	return n.ID
}

// IsGateway reports whether the node is the location's gateway (no parent chain).
func (n Node) IsGateway() bool { return n.ResidentialGateway || len(n.LeafToRoot) == 0 }

// Connected reports whether the node's connectionState is "connected".
func (n Node) Connected() bool { return n.ConnectionState == "connected" }

// Backhaul is how the node reaches its parent, in words: backhaulType ("ethernet", "wifi"),
// and for a wireless link the band of the first leafToRoot hop ("wifi 5G"); "" when Plume
// gave neither.
func (n Node) Backhaul() string {
	if len(n.LeafToRoot) == 0 || n.LeafToRoot[0].FreqBand == "" || n.BackhaulType == "ethernet" {
		return n.BackhaulType
	}
	return strings.TrimSpace(n.BackhaulType + " " + n.LeafToRoot[0].FreqBand)
}

// PodNames maps a node ID (the pod's serial) to the pod's Name: the pods a leafToRoot hop
// can point at. The zero value knows no pod.
type PodNames map[string]string

// NamePods indexes a location's nodes by ID.
func NamePods(nodes []Node) PodNames {
	p := make(PodNames, len(nodes))
	for _, n := range nodes {
		if n.ID != "" { // a hop with no ID must not take the name of a node with none
			p[n.ID] = n.Name()
		}
	}
	return p
}

// Hop is what a person calls the node a hop points at: that pod's Name when it is one of the
// location's nodes, else the hop's nickname, else its ID.
func (p PodNames) Hop(h Hop) string {
	if name := p[h.ID]; name != "" {
		return name
	}
	if h.Nickname != "" {
		return h.Nickname
	}
	return h.ID
}

// ParentOf names the node n hangs off (the first hop of its leafToRoot); "" for a node with
// no parent chain (a gateway).
func (p PodNames) ParentOf(n Node) string {
	if len(n.LeafToRoot) == 0 {
		return ""
	}
	return p.Hop(n.LeafToRoot[0])
}

// PodOf names the pod device d is attached to (the first hop of its leafToRoot), or "".
func (p PodNames) PodOf(d Device) string {
	if len(d.LeafToRoot) == 0 {
		return ""
	}
	return p.Hop(d.LeafToRoot[0])
}

// Device is a client device: GET …/devices.
type Device struct {
	MAC                     string    `json:"mac"`
	ID                      string    `json:"id"`
	Name                    string    `json:"name"`
	Nickname                string    `json:"nickname"`
	Icon                    string    `json:"icon"`
	IP                      string    `json:"ip"`
	Medium                  string    `json:"medium"`   // wifi, ethernet, moca
	FreqBand                string    `json:"freqBand"` // 2.4G, 5G, 6G
	Channel                 int       `json:"channel"`
	AccessZone              string    `json:"accessZone"`      // home, guests, internetAccessOnly
	ConnectionState         string    `json:"connectionState"` // connected, disconnected, unavailable
	ConnectionStateChangeAt time.Time `json:"connectionStateChangeAt"`
	Health                  *Health   `json:"health"`
	LeafToRoot              []Hop     `json:"leafToRoot"`
}

// DisplayName is nickname, else name, else MAC.
func (d Device) DisplayName() string {
	switch {
	case d.Nickname != "":
		return d.Nickname
	case d.Name != "":
		return d.Name
	}
	return d.MAC
}

// Connected reports whether the device's connectionState is "connected".
func (d Device) Connected() bool { return d.ConnectionState == "connected" }

// PodID is the node the device is attached to (first hop of leafToRoot), or "".
func (d Device) PodID() string {
	if len(d.LeafToRoot) == 0 {
		return ""
	}
	return d.LeafToRoot[0].ID
}

// WiFiNetwork is one entry of GET …/wifiNetworks. The PSK is never decoded.
type WiFiNetwork struct {
	SSID          string `json:"ssid"`
	Enabled       *bool  `json:"enabled"`
	SSIDBroadcast *bool  `json:"ssidBroadcast"`
	AccessZone    string `json:"accessZone"`
	Encryption    string `json:"encryption"` // OPEN, WEP, WPA-EAP, WPA-PSK
	WPAMode       string `json:"wpaMode"`    // open, psk-mixed, sae-mixed, psk2, sae
}

// QoEPeriod is the AppQoE timePeriod form field.
type QoEPeriod string

// AppQoE time periods accepted by Plume.
const (
	QoELastHour    QoEPeriod = "lastHour"
	QoELast24Hours QoEPeriod = "last24Hours"
	QoELast7Days   QoEPeriod = "last7Days"
	QoELast30Days  QoEPeriod = "last30Days"
)

// AppQoE is the POST …/appqoe/AppQoeStatsByTrafficClass result. Its shape is unpublished:
// the decoder accepts the plausible shapes and sets Recognized=false for anything else, so
// callers can say "unavailable" instead of guessing.
type AppQoE struct {
	Recognized bool
	Classes    []QoEClass
}

// QoEClass is one traffic class (av_streaming, gaming, video_conferencing, …).
type QoEClass struct {
	Name     string
	Score    float64 // Plume's QoE score, 0..5 (higher is better)
	HasScore bool
	Devices  int // devices contributing, when given
}

// NodeLookup is GET /partners/nodes/{serial}: where a pod is claimed.
type NodeLookup struct {
	SerialNumber string `json:"serialNumber"`
	CustomerID   string `json:"customerId"`
	LocationID   string `json:"locationId"`
	PackID       string `json:"packId"`
	PartnerID    string `json:"partnerId"`
	Model        string `json:"model"`
}

// Claimed reports whether the node belongs to a customer location (else: inventory only).
func (n NodeLookup) Claimed() bool { return n.CustomerID != "" && n.LocationID != "" }

// CustomerMatch is one result of GET /Customers/v2/search.
type CustomerMatch struct {
	CustomerID     string        `json:"customerId"`
	Name           string        `json:"customerName"`
	Email          string        `json:"customerEmail"`
	AccountID      string        `json:"accountId"`
	MatchingString string        `json:"matchingString"` // which entity matched: email, name, …
	MatchedValue   string        `json:"matchedValue"`
	LocationID     string        `json:"locationIdToSelect"`
	Locations      []LocationRef `json:"locations"`
}

// LocationRef is a location named in a search result.
type LocationRef struct {
	ID        string `json:"locationId"`
	Name      string `json:"locationName"`
	ServiceID string `json:"serviceId"`
}

// WANStats is GET /reports/…/wanStats?period=daily: 15-minute WAN consumption points.
type WANStats struct {
	Period string
	Points []WANPoint
}

// WANPoint is one 15-minute sample. Valid is false when Plume sent nulls for it.
type WANPoint struct {
	Time      time.Time
	Valid     bool
	RxMbytes  float64
	TxMbytes  float64
	RxMaxMbps float64
	TxMaxMbps float64
}

// OnlineStats is GET /reports/…/onlineStats?granularity=&limit=: online share per bucket.
type OnlineStats struct {
	Granularity string // minutes, hours, days
	Points      []OnlinePoint
}

// OnlinePoint is one bucket: the percentage (0..100) of it the location was online.
type OnlinePoint struct {
	Time    time.Time
	Valid   bool
	Percent float64
}
