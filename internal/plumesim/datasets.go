package plumesim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// The datasets are plain Go values; every timestamp is a duration before the request's "now",
// so a dataset looks the same whenever it is asked. Plume field names are written in payloads.go and api.go.

type simPod struct {
	Serial, Nickname, DefaultName, Model, Firmware, IP, MAC string
	Gateway                                                 bool
	Connected                                               bool
	ChangedAgo                                              time.Duration // connectionStateChangeAt
	BootAgo                                                 time.Duration
	Backhaul                                                string // ethernet, wifi
	Parent                                                  int    // index of the parent pod; -1 for the gateway
	ParentBand                                              string // 5G, 2.4G…; "" for ethernet
	Ch2, Ch5, Ch6                                           string
	Health                                                  string
	Score                                                   float64
	Alerts                                                  []string
}

type simDevice struct {
	MAC, Name, Nickname, Icon, IP, Medium, Band string
	Channel                                     int
	Zone                                        string
	Connected                                   bool
	ChangedAgo                                  time.Duration
	Health                                      string
	Score                                       float64
	Pod                                         int // index into the dataset's pods
	Bare                                        bool
}

type simWiFi struct {
	SSID, Zone, WPAMode, Encryption, PSK string
	Enabled, Broadcast                   bool
}

type simQoE struct {
	Name    string
	Score   float64
	Devices int
}

// outage is an interval when the location was offline, as durations before now (To 0 = ongoing).
type outage struct{ From, To time.Duration }

type dataset struct {
	Name, Description                                       string
	CustomerID, LocationID                                  string
	CustomerName, Email, AccountID, ServiceID, LocationName string
	PartnerID                                               string
	Foreign, Sparse                                         bool
	Online                                                  bool
	StatusChangedAgo                                        time.Duration
	PrevStatusSeconds                                       int
	ServiceLevel                                            string
	City, State, Country, Timezone, PublicIP                string
	TZOffset                                                int // hours from UTC, shapes the diurnal WAN curve
	ISP                                                     string
	SpeedDown, SpeedUp, SpeedRTT                            float64
	SpeedAgo                                                time.Duration
	CreatedAgo                                              time.Duration
	Pods                                                    []simPod
	Devices                                                 []simDevice
	WiFi                                                    []simWiFi
	QoE                                                     []simQoE
	Outages                                                 []outage
	WANScale                                                float64 // Mbytes per 15 minutes at the evening peak
	Seed                                                    uint64
}

// Fixed simulator identities: stable so docs and demos can quote them; none of them is secret.
const (
	ClientID         = "0oaSIMPLUMEBOT000001"
	ClientSecret     = "plumesim-client-secret"
	PartnerID        = "5ee1a0c0ffee0000000b0a7d"
	ForeignPartnerID = "6a1b2c3d4e5f60718293a4b5"
	AuthServerID     = "ausSIM0000000000"
	// UnclaimedSerial is in the partner's inventory but claimed by no location.
	UnclaimedSerial = "SIMUNCLAIMED1"
	unclaimedModel  = "PP603X"
)

var datasetOrder = []string{"healthy", "degraded", "partial", "offline", "huge", "nasty", "sparse", "foreign", "flapping"}

// DatasetNames returns the dataset names in a stable display order.
func DatasetNames() []string { return append([]string(nil), datasetOrder...) }

var (
	datasets   = map[string]*dataset{}
	byCustomer = map[string]*dataset{}
	bySerial   = map[string]nodeRef{}
)

type nodeRef struct {
	ds  *dataset
	pod *simPod
}

func init() {
	for _, d := range []*dataset{dsHealthy(), dsDegraded(), dsPartial(), dsOffline(), dsHuge(), dsNasty(), dsSparse(), dsForeign(), dsFlapping()} {
		d.CustomerID = hexID("customer", d.Name)
		d.LocationID = hexID("location", d.Name)
		d.Seed = binary.BigEndian.Uint64(sha(d.Name))
		if d.PartnerID == "" {
			d.PartnerID = PartnerID
		}
		datasets[d.Name] = d
		byCustomer[d.CustomerID] = d
		for i := range d.Pods {
			bySerial[strings.ToUpper(d.Pods[i].Serial)] = nodeRef{d, &d.Pods[i]}
		}
	}
}

func sha(parts ...string) []byte {
	s := sha256.Sum256([]byte("plumesim/" + strings.Join(parts, "/")))
	return s[:]
}

// hexID is a 24-lowercase-hex ObjectId-like ID derived from the dataset name.
func hexID(kind, name string) string { return hex.EncodeToString(sha(kind, name)[:12]) }

// serialFor is a 10-character upper-case alphanumeric pod serial, like "1HX2AB3CD4".
func serialFor(ds string, i int) string {
	const first, rest = "123456789", "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	b := sha("serial", ds, fmt.Sprint(i))
	out := []byte{first[int(b[0])%len(first)]}
	for _, c := range b[1:10] {
		out = append(out, rest[int(c)%len(rest)])
	}
	return string(out)
}

func macFor(oui, ds, kind string, i int) string {
	b := sha("mac", ds, kind, fmt.Sprint(i))
	return fmt.Sprintf("%s:%02x:%02x:%02x", oui, b[0], b[1], b[2])
}

func wpaKeyFor(ds string) string {
	b := sha("wpakey", ds)
	b2 := sha("wpakey2", ds)
	return strings.ToUpper(hex.EncodeToString(append(b, b2...)))[:63]
}

var deviceOUIs = []string{"a4:83:e7", "3c:22:fb", "f0:9f:c2", "dc:a6:32", "64:16:66", "00:17:88", "fc:65:de", "8c:85:90", "ac:bc:32", "44:65:0d", "b0:be:76", "70:ee:50"}

const podOUI = "60:b4:f7"

type podSpec struct {
	nick, def, model string
	parent           int    // -1 = gateway
	band             string // "" = ethernet backhaul
	down             time.Duration
	health           string
	score            float64
	alerts           []string
	ch6              bool
}

func buildPods(ds string, specs []podSpec) []simPod {
	pods := make([]simPod, len(specs))
	for i, s := range specs {
		p := simPod{
			Serial: serialFor(ds, i), Nickname: s.nick, DefaultName: s.def, Model: s.model,
			Firmware: fmt.Sprintf("6.4.0-%d", 100+int(sha("fw", ds)[0])%60),
			IP:       fmt.Sprintf("192.168.1.%d", 1+i), MAC: macFor(podOUI, ds, "pod", i),
			Gateway: s.parent < 0, Connected: s.down == 0, Parent: s.parent, ParentBand: s.band,
			Health: s.health, Score: s.score, Alerts: s.alerts,
			Ch2: []string{"1", "6", "11"}[i%3], Ch5: []string{"44", "149", "36", "157"}[i%4],
		}
		if s.ch6 {
			p.Ch6 = []string{"37", "69", "101"}[i%3]
		}
		p.Backhaul = "wifi"
		if s.band == "" {
			p.Backhaul = "ethernet"
		}
		p.BootAgo = 96*time.Hour + time.Duration(i)*37*time.Minute
		p.ChangedAgo = p.BootAgo - 2*time.Minute
		if s.down > 0 {
			p.ChangedAgo = s.down
		}
		pods[i] = p
	}
	return pods
}

type devSpec struct {
	name, icon string
	band       string // 2.4G, 5G, 6G; "" = ethernet
	pod        int
	off        time.Duration // > 0: disconnected this long ago
	health     string
	score      float64
	zone       string
	nick       string
}

func buildDevices(ds string, pods []simPod, specs []devSpec) []simDevice {
	devs := make([]simDevice, len(specs))
	for i, s := range specs {
		d := simDevice{
			MAC: macFor(deviceOUIs[i%len(deviceOUIs)], ds, "dev", i), Name: s.name, Nickname: s.nick, Icon: s.icon,
			Band: s.band, Zone: s.zone,
			Connected: s.off == 0, Health: s.health, Score: s.score, Pod: s.pod,
		}
		d.IP = fmt.Sprintf("192.168.%d.%d", 1+(i/200), 20+i%200)
		if d.Zone == "" {
			d.Zone = "home"
		}
		if d.Zone == "guests" {
			d.IP = fmt.Sprintf("192.168.%d.%d", 100+(i/200), 20+i%200)
		}
		d.Medium = "wifi"
		p := pods[s.pod]
		switch s.band {
		case "":
			d.Medium = "ethernet"
		case "2.4G":
			d.Channel = atoi(p.Ch2)
		case "5G":
			d.Channel = atoi(p.Ch5)
		case "6G":
			d.Channel = atoi(p.Ch6)
			if d.Channel == 0 {
				d.Channel = 37
			}
		}
		d.ChangedAgo = 20*time.Hour + time.Duration(i)*53*time.Minute
		if s.off > 0 {
			d.ChangedAgo = s.off
		}
		devs[i] = d
	}
	return devs
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func defaultQoE() []simQoE {
	return []simQoE{{"av_streaming", 4.6, 3}, {"gaming", 4.4, 1}, {"video_conferencing", 4.7, 2}}
}

func homeWiFi(prefix string) []simWiFi {
	return []simWiFi{
		{SSID: prefix + "-Home", Zone: "home", WPAMode: "psk2", Encryption: "WPA-PSK", PSK: "correct-horse-battery", Enabled: true, Broadcast: true},
		{SSID: prefix + "-Guests", Zone: "guests", WPAMode: "psk2", Encryption: "WPA-PSK", PSK: "guest-pass-2024", Enabled: true, Broadcast: true},
	}
}

const day = 24 * time.Hour

func base(name, desc, customer, email string, n int) *dataset {
	return &dataset{
		Name: name, Description: desc, CustomerName: customer, Email: email,
		AccountID: fmt.Sprintf("ACC-1000%02d", n), ServiceID: fmt.Sprintf("SVC-2000%02d", n), LocationName: "Home",
		Online: true, StatusChangedAgo: 9*day + 5*time.Hour, PrevStatusSeconds: 420, ServiceLevel: "fullService",
		City: "Springfield", State: "IL", Country: "US", Timezone: "America/Chicago", TZOffset: -6,
		PublicIP: fmt.Sprintf("203.0.113.%d", 10+n), ISP: "Example Fiber",
		SpeedDown: 512.4, SpeedUp: 41.7, SpeedRTT: 9, SpeedAgo: 3*time.Hour + 12*time.Minute,
		CreatedAgo: 400 * day, WANScale: 1800,
	}
}

// threePods is the usual small home: gateway in the living room, two wireless pods.
func threePods(health [3]string, score [3]float64) []podSpec {
	return []podSpec{
		{nick: "Living room", def: "Gateway", model: "PP203X", parent: -1, health: health[0], score: score[0], ch6: true},
		{nick: "Office", def: "Pod 2", model: "PP603X", parent: 0, band: "5G", health: health[1], score: score[1], ch6: true},
		{nick: "Bedroom", def: "Pod 3", model: "PP213X", parent: 0, band: "5G", health: health[2], score: score[2]},
	}
}

func homeDevices() []devSpec {
	return []devSpec{
		{name: "Marias-iPhone", icon: "phone", band: "5G", pod: 0, health: "good", score: 4},
		{name: "Living-Room-TV", icon: "tv", band: "5G", pod: 0, health: "excellent", score: 5},
		{name: "MacBook-Pro", icon: "laptop", band: "6G", pod: 1, health: "excellent", score: 5},
		{name: "Work-Laptop", icon: "laptop", band: "5G", pod: 1, health: "good", score: 4},
		{name: "PS5", icon: "gamingConsole", band: "", pod: 0, health: "excellent", score: 5},
		{name: "Nest-Thermostat", icon: "thermostat", band: "2.4G", pod: 0, health: "good", score: 4},
		{name: "Hue-Bridge", icon: "hub", band: "", pod: 0, health: "excellent", score: 5},
		{name: "Kindle", icon: "tablet", band: "2.4G", pod: 2, health: "good", score: 4},
		{name: "Galaxy-S23", icon: "phone", band: "5G", pod: 2, health: "good", score: 4},
		{name: "Echo-Dot", icon: "speaker", band: "2.4G", pod: 2, health: "good", score: 4},
		{name: "Old-iPad", icon: "tablet", band: "5G", pod: 2, off: 4*day + 3*time.Hour, health: "good", score: 4},
		{name: "Guest-Phone", icon: "phone", band: "5G", pod: 1, off: 2*day + 7*time.Hour, health: "good", score: 4, zone: "guests"},
	}
}

func dsHealthy() *dataset {
	d := base("healthy", "online, 3 pods all connected, 12 devices → 🟢", "Maria Lopez", "maria.lopez@example.com", 1)
	d.Pods = buildPods(d.Name, threePods([3]string{"excellent", "good", "excellent"}, [3]float64{5, 4, 5}))
	d.Devices = buildDevices(d.Name, d.Pods, homeDevices())
	d.WiFi = homeWiFi("Lopez")
	d.QoE = defaultQoE()
	return d
}

func dsDegraded() *dataset {
	d := base("degraded", "basicService, a pod in fair health with an alert, a poor device, gaming QoE poor → 🟡", "Tom Becker", "tom.becker@example.net", 2)
	d.ServiceLevel = "basicService"
	d.PublicIP = "203.0.113.12"
	specs := threePods([3]string{"good", "fair", "good"}, [3]float64{4, 3, 4})
	specs[1].alerts = []string{"highInterference"}
	d.Pods = buildPods(d.Name, specs)
	devs := homeDevices()
	devs[0].name = "Toms-iPhone"
	devs[3].health, devs[3].score = "poor", 2
	devs[8].off = 10 * time.Minute
	d.Devices = buildDevices(d.Name, d.Pods, devs)
	d.WiFi = homeWiFi("Becker")
	d.QoE = []simQoE{{"av_streaming", 3.9, 2}, {"gaming", 1.8, 1}, {"video_conferencing", 3.4, 2}}
	d.Outages = []outage{{26 * time.Hour, 26*time.Hour - 9*time.Minute}, {50 * time.Hour, 50*time.Hour - 3*time.Minute}}
	d.SpeedDown, d.SpeedUp, d.SpeedRTT = 96.3, 9.8, 31
	return d
}

func dsPartial() *dataset {
	d := base("partial", "online, 4 pods, one disconnected ~2 h ago → 🟠", "Aiko Tanaka", "aiko.tanaka@example.org", 3)
	specs := append(threePods([3]string{"excellent", "good", "good"}, [3]float64{5, 4, 4}),
		podSpec{nick: "Garage", def: "Pod 4", model: "PP403Z", parent: 1, band: "2.4G", down: 2*time.Hour + 4*time.Minute})
	d.Pods = buildPods(d.Name, specs)
	devs := homeDevices()
	devs[0].name = "Aikos-iPhone"
	devs = append(devs, devSpec{name: "Garage-Door-Opener", icon: "iot", band: "2.4G", pod: 3, off: 2*time.Hour + 4*time.Minute, health: "good", score: 4})
	d.Devices = buildDevices(d.Name, d.Pods, devs)
	d.WiFi = homeWiFi("Tanaka")
	d.QoE = defaultQoE()
	d.StatusChangedAgo = 4*time.Hour + 20*time.Minute
	d.PrevStatusSeconds = 2400
	d.Outages = []outage{{5 * time.Hour, 4*time.Hour + 20*time.Minute}}
	return d
}

func dsOffline() *dataset {
	d := base("offline", "networkStatus offline for ~3 h, all pods disconnected → 🔴", "Sam O'Neil", "sam.oneil@example.com", 4)
	d.Online = false
	d.StatusChangedAgo = 3*time.Hour + 2*time.Minute
	d.PrevStatusSeconds = 31 * 86400
	specs := threePods([3]string{"good", "good", "good"}, [3]float64{4, 4, 4})
	for i := range specs {
		specs[i].down = 3*time.Hour + 2*time.Minute - time.Duration(i)*time.Second
		specs[i].health, specs[i].score = "", 0
	}
	d.Pods = buildPods(d.Name, specs)
	devs := homeDevices()
	devs[0].name = "Sams-iPhone"
	for i := range devs {
		if devs[i].off == 0 {
			devs[i].off = 3*time.Hour + time.Minute
		}
	}
	d.Devices = buildDevices(d.Name, d.Pods, devs)
	d.WiFi = homeWiFi("ONeil")
	d.QoE = []simQoE{{"av_streaming", 4.1, 0}, {"gaming", 4.0, 0}, {"video_conferencing", 4.3, 0}}
	d.Outages = []outage{{3*time.Hour + 2*time.Minute, 0}}
	d.SpeedAgo = 27 * time.Hour
	return d
}

func dsHuge() *dataset {
	d := base("huge", "hotel: 14 pods, 320 devices, 60+ character names → pagination", "Grand Riverside Hotel & Conference Center – Facilities Management", "facilities@grand-riverside.example", 5)
	d.LocationName = "Grand Riverside Hotel – Main Building, All Floors and Conference Wing"
	d.WANScale = 9000
	d.SpeedDown, d.SpeedUp, d.SpeedRTT = 940.2, 880.5, 4
	models := []string{"PP603X", "PP213X", "PP403Z", "PP603X"}
	specs := []podSpec{{nick: "Main Lobby Reception Desk Gateway – Ground Floor Network Closet", def: "Gateway", model: "PP203X", parent: -1, health: "excellent", score: 5, ch6: true}}
	for i := 1; i < 14; i++ {
		s := podSpec{
			nick:   fmt.Sprintf("Floor %d – %s Wing Corridor Ceiling Access Point Number %02d", 1+i/3, []string{"East", "West", "North"}[i%3], i),
			def:    fmt.Sprintf("Pod %d", i+1),
			model:  models[i%len(models)],
			parent: (i - 1) / 3, band: []string{"5G", "5G", "6G"}[i%3], ch6: i%2 == 0,
			health: []string{"excellent", "good", "good", "fair"}[i%4], score: []float64{5, 4, 4, 3}[i%4],
		}
		if i%4 == 0 {
			s.band = "" // some wired backhaul
		}
		specs = append(specs, s)
	}
	d.Pods = buildPods(d.Name, specs)
	// Spread the 2.4/5 GHz channels so the huge dataset really shows many channels.
	for i := range d.Pods {
		d.Pods[i].Ch2 = []string{"1", "6", "11", "3", "9"}[i%5]
		d.Pods[i].Ch5 = []string{"36", "44", "52", "100", "116", "149", "157", "165"}[i%8]
	}
	kinds := []struct{ name, icon string }{
		{"Guest Room %03d Smart Television With An Exceptionally Long Hostname", "tv"},
		{"Conference Attendee Laptop %03d Registered Through The Front Desk Portal", "laptop"},
		{"Housekeeping Handheld Scanner %03d Assigned To The Night Shift Team", "phone"},
		{"Minibar Inventory Sensor %03d Installed In The Executive Suites Section", "iot"},
		{"Visitor Smartphone %03d Connected To The Complimentary Guest Network", "phone"},
	}
	bands := []string{"2.4G", "5G", "6G", "5G", "5G"}
	var devs []devSpec
	for i := 0; i < 320; i++ {
		b := sha("huge-dev", fmt.Sprint(i))
		k := kinds[i%len(kinds)]
		s := devSpec{name: fmt.Sprintf(k.name, i), icon: k.icon, band: bands[int(b[0])%len(bands)], pod: int(b[1]) % 14,
			health: "good", score: 4}
		if i%15 == 0 {
			s.band = ""
		}
		switch {
		case b[2] < 36:
			s.off = time.Duration(5+int(b[3])*11) * time.Minute
		case b[2] < 50:
			s.health, s.score = "fair", 3
		case b[2] < 58:
			s.health, s.score = "poor", 2
		case b[2] > 200:
			s.health, s.score = "excellent", 5
		}
		if i%5 == 4 {
			s.zone = "guests"
		}
		devs = append(devs, s)
	}
	d.Devices = buildDevices(d.Name, d.Pods, devs)
	d.WiFi = []simWiFi{
		{SSID: "GrandRiverside-Staff-Secure-Network-Floor-All", Zone: "home", WPAMode: "sae-mixed", Encryption: "WPA-PSK", PSK: "staff-only-passphrase", Enabled: true, Broadcast: false},
		{SSID: "GrandRiverside-Guest", Zone: "guests", WPAMode: "psk2", Encryption: "WPA-PSK", PSK: "welcome2024", Enabled: true, Broadcast: true},
		{SSID: "GrandRiverside-IoT", Zone: "internetAccessOnly", WPAMode: "psk2", Encryption: "WPA-PSK", PSK: "iot-devices-only", Enabled: true, Broadcast: false},
		{SSID: "GrandRiverside-Events", Zone: "guests", WPAMode: "open", Encryption: "OPEN", Enabled: false, Broadcast: true},
	}
	d.QoE = []simQoE{{"av_streaming", 4.2, 140}, {"gaming", 3.8, 22}, {"video_conferencing", 4.0, 61}}
	return d
}

// The 200-character name, built so its length is exact in runes.
var longName = func() string {
	s := "This device name is exactly two hundred characters long so that every renderer has to wrap, split or paginate it correctly instead of silently truncating it or breaking Telegram's message limits"
	for len([]rune(s)) < 200 {
		s += "!"
	}
	return string([]rune(s)[:200])
}()

func dsNasty() *dataset {
	d := base("nasty", "healthy, but HTML/Markdown/emoji/RTL names, a 200-char name, an SSID with <script>", `Bobby <b>Tables</b> & "Co" _x_`, "bobby+tables@example.org", 6)
	d.LocationName = "Home </pre><b>unclosed"
	d.ISP = "Fiber & <Friends> ISP"
	pods := threePods([3]string{"excellent", "good", "excellent"}, [3]float64{5, 4, 5})
	pods[0].nick = "<b>bold</b>"
	pods[1].nick = "</pre>"
	pods[2].nick = "غرفة النوم 🔥"
	d.Pods = buildPods(d.Name, pods)
	devs := homeDevices()
	names := []string{"&amp;", "_x_", "*x*", "`rm -rf /`", "👨‍👩‍👧 Family iPad", "🔥 Hot Laptop", "هاتف أحمد", "הטלפון של דנה", longName, "<i>unclosed", "a&b<c>d\"e'f", "```code```"}
	for i := range devs {
		devs[i].name = names[i]
	}
	devs[5].nick = "[link](https://example.invalid) <a href=\"x\">"
	d.Devices = buildDevices(d.Name, d.Pods, devs)
	d.WiFi = []simWiFi{
		{SSID: "<script>alert(1)</script>", Zone: "home", WPAMode: "psk2", Encryption: "WPA-PSK", PSK: "p&ss<word>", Enabled: true, Broadcast: true},
		{SSID: "Gäste 👨‍👩‍👧 _guest_ *net*", Zone: "guests", WPAMode: "sae", Encryption: "WPA-PSK", PSK: "guest", Enabled: true, Broadcast: true},
	}
	d.QoE = defaultQoE()
	return d
}

func dsSparse() *dataset {
	d := base("sparse", "optional fields missing or null, double-wrapped lists, no geoIp", "Pat Doe", "pat.doe@example.com", 7)
	d.Sparse = true
	d.PublicIP = ""
	d.Pods = buildPods(d.Name, []podSpec{
		{def: "Gateway", model: "PP203X", parent: -1},
		{model: "PP213X", parent: 0, band: "5G"},
	})
	d.Devices = buildDevices(d.Name, d.Pods, []devSpec{
		{name: "android-3f2a", band: "5G", pod: 0},
		{name: "", band: "2.4G", pod: 1},
		{name: "desktop", band: "", pod: 0, off: 6 * day},
	})
	d.Devices[1].Bare = true
	d.WiFi = []simWiFi{{SSID: "PatNet"}}
	d.QoE = []simQoE{{"av_streaming", -1, 0}, {"gaming", 4.0, 1}}
	return d
}

func dsForeign() *dataset {
	d := base("foreign", "a customer of another partner: every call answers 403", "Other Partner Customer", "someone@other-partner.example", 8)
	d.PartnerID = ForeignPartnerID
	d.Foreign = true
	d.Pods = buildPods(d.Name, threePods([3]string{"good", "good", "good"}, [3]float64{4, 4, 4}))
	d.Devices = buildDevices(d.Name, d.Pods, homeDevices()[:3])
	d.WiFi = homeWiFi("Other")
	d.QoE = defaultQoE()
	return d
}
