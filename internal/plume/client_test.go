package plume

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testHeader  = "Basic dGVzdC1jbGllbnQ6dG9wLXNlY3JldC12YWx1ZQ=="
	testPartner = "65f06dae3fca80000ad38331"
	cid         = "64f0c1a2b3c4d5e6f7a8b9c0"
	lid         = "64f0c1a2b3c4d5e6f7a8b9c2"
	tokenPath   = "/oauth2/ausTEST/v1/token"
)

// fixture is a loopback TLS Plume: an SSO token endpoint and a mux for API handlers.
type fixture struct {
	client  *Client
	mux     *http.ServeMux
	srv     *httptest.Server
	clock   *fakeClock
	obs     *recObserver
	fetches atomic.Int32
	ttl     atomic.Int64 // expires_in seconds
	// tokenHandler, when set, replaces the default SSO behaviour.
	tokenHandler http.HandlerFunc
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type obsCall struct {
	endpoint string
	status   int
}

type recObserver struct {
	mu      sync.Mutex
	calls   []obsCall
	fetches []error
}

func (o *recObserver) ObserveRequest(endpoint string, status int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, obsCall{endpoint, status})
}

func (o *recObserver) ObserveTokenFetch(err error, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.fetches = append(o.fetches, err)
}

func (o *recObserver) requests() []obsCall {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]obsCall(nil), o.calls...)
}

func newFixture(t *testing.T, tweak ...func(*Options)) *fixture {
	t.Helper()
	return newBenchFixture(t, tweak...)
}

func newBenchFixture(t testing.TB, tweak ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{mux: http.NewServeMux(), clock: &fakeClock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}, obs: &recObserver{}}
	f.ttl.Store(1800)
	f.mux.HandleFunc("POST "+tokenPath, func(w http.ResponseWriter, r *http.Request) {
		if f.tokenHandler != nil {
			f.tokenHandler(w, r)
			return
		}
		if r.Header.Get("Authorization") != testHeader {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"Invalid value for 'client_id' parameter."}`)
			return
		}
		if r.PostFormValue("grant_type") != "client_credentials" || r.PostFormValue("scope") != "partnerId:"+testPartner+" role:partnerIdAdmin" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_scope","error_description":"bad scope"}`)
			return
		}
		n := f.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"token_type":"Bearer","expires_in":%d,"access_token":"tok-%d","scope":"x"}`, f.ttl.Load(), n)
	})
	f.srv = httptest.NewTLSServer(f.mux)
	opts := Options{
		HTTPClient: f.srv.Client(),
		Timeout:    5 * time.Second,
		Limits:     NewHostLimits(0, 1), // unlimited unless a test says otherwise
		Observer:   f.obs,
		Now:        f.clock.Now,
		Logger:     slog.New(slog.DiscardHandler),
	}
	for _, fn := range tweak {
		fn(&opts)
	}
	c, err := NewClient(Credentials{
		TokenURL:   f.srv.URL + tokenPath,
		AuthHeader: testHeader,
		PartnerID:  testPartner,
		APIBase:    f.srv.URL + "/api",
	}, opts)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	f.client = c
	t.Cleanup(f.srv.Close)
	return f
}

// setup is the go-github style helper: a client wired to a loopback TLS server and its mux.
func setup(t *testing.T) (*Client, *http.ServeMux, func()) {
	f := newFixture(t)
	return f.client, f.mux, f.srv.Close
}

func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	if r.Method != want {
		t.Errorf("method = %s, want %s", r.Method, want)
	}
}

func testHeaders(t *testing.T, r *http.Request) {
	t.Helper()
	if got := r.Header.Get("Authorization"); !strings.HasPrefix(got, "Bearer tok-") {
		t.Errorf("Authorization = %q, want a Bearer token", got)
	}
	if got := r.Header.Get("User-Agent"); got != "plumebot/1" {
		t.Errorf("User-Agent = %q", got)
	}
	if got := r.Header.Get("Accept"); got != "application/json" {
		t.Errorf("Accept = %q", got)
	}
}

func testQuery(t *testing.T, r *http.Request, want url.Values) {
	t.Helper()
	if got := r.URL.Query(); !reflect.DeepEqual(got, want) {
		t.Errorf("query = %v, want %v", got, want)
	}
}

func wantKind(t *testing.T, err error, k Kind) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *Error kind %d", err, err, k)
	}
	if e.Kind != k {
		t.Fatalf("kind = %d, want %d (err %v)", e.Kind, k, err)
	}
	return e
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

const locPath = "/api/Customers/" + cid + "/locations/" + lid

func TestClient_Location(t *testing.T) {
	t.Parallel()
	client, mux, teardown := setup(t)
	defer teardown()
	mux.HandleFunc(locPath, func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testHeaders(t, r)
		fmt.Fprint(w, `{"id":"`+lid+`","name":"Home","customerId":"`+cid+`","accountId":12345,
			"networkStatus":{"status":"online","statusChangedAt":"2025-01-09T23:10:04.120Z","durationOfPreviousStatus":1820},
			"serviceLevel":{"status":"fullService"},"geoIp":{"city":"Springfield"},"createdAt":"","updatedAt":null,"groupIds":["x"],
			"backhaul":{"mode":"auto","wpaKey":"C64B0dd5ecret"}}`)
	})
	got, err := client.Location(context.Background(), cid, lid)
	if err != nil {
		t.Fatal(err)
	}
	want := &Location{ID: lid, Name: "Home", CustomerID: cid, AccountID: "12345",
		NetworkStatus: NetworkStatus{Status: "online", StatusChangedAt: ts("2025-01-09T23:10:04.120Z"), DurationOfPreviousStatus: 1820},
		ServiceLevel:  ServiceLevel{Status: "fullService"}, GeoIP: GeoIP{City: "Springfield"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Location = %+v\nwant %+v", got, want)
	}
	if s := fmt.Sprintf("%#v", got); strings.Contains(s, "C64B0dd5ecret") {
		t.Errorf("the backhaul wpaKey survived decoding: %s", s)
	}
}

func TestClient_Locations(t *testing.T) {
	t.Parallel()
	client, mux, teardown := setup(t)
	defer teardown()
	mux.HandleFunc("/api/Customers/"+cid+"/locations", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testHeaders(t, r)
		fmt.Fprint(w, `[{"id":"a","name":"Home"},null,{"id":"b","name":"Office"}]`)
	})
	got, err := client.Locations(context.Background(), cid)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "a" || got[1].Name != "Office" {
		t.Errorf("Locations = %+v", got)
	}
}

func TestClient_Nodes(t *testing.T) {
	t.Parallel()
	bodies := map[string]string{
		"wrapped": `{"nodes":[%s]}`,
		"double":  `{"nodes":{"nodes":[%s]}}`,
		"bare":    `[%s]`,
	}
	node := `{"id":"1HX2AB3CD4","nickname":null,"model":"PP203X","connectionState":"connected",
		"connectionStateChangeAt":1736496131000,"2gChannel":6,"5gChannel":"44","leafToRoot":null,
		"health":{"status":"excellent","score":"5"},"speedTest":{"download":412.3,"startedAt":"2025-01-10T06:00:03Z"},
		"linkStates":[{"ifName":"eth0","linkSpeed":"1000","isUplink":true}],"unknownField":{"a":1}}`
	for name, shape := range bodies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			client, mux, teardown := setup(t)
			defer teardown()
			mux.HandleFunc(locPath+"/nodes", func(w http.ResponseWriter, r *http.Request) {
				testMethod(t, r, "GET")
				testHeaders(t, r)
				fmt.Fprintf(w, shape, node)
			})
			got, err := client.Nodes(context.Background(), cid, lid)
			if err != nil {
				t.Fatal(err)
			}
			want := []Node{{ID: "1HX2AB3CD4", Model: "PP203X", ConnectionState: "connected",
				ConnectionStateChangeAt: time.UnixMilli(1736496131000).UTC(), Channel2G: "6", Channel5G: "44",
				Health:     &Health{Status: "excellent", Score: 5},
				SpeedTest:  &SpeedTest{Download: 412.3, StartedAt: ts("2025-01-10T06:00:03Z")},
				LinkStates: []LinkState{{IfName: "eth0", LinkSpeed: 1000, IsUplink: true}}}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Nodes = %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestClient_Devices(t *testing.T) {
	t.Parallel()
	client, mux, teardown := setup(t)
	defer teardown()
	mux.HandleFunc(locPath+"/devices", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testHeaders(t, r)
		fmt.Fprint(w, `{"devices":{"devices":[{"mac":"aa:bb:cc:dd:ee:ff","name":"tv","channel":"44","freqBand":"5G",
			"connectionState":"connected","connectionStateChangeAt":"2025-01-10T08:02:11Z","health":"poor",
			"leafToRoot":[{"id":"1HX2AB3CD4","freqBand":"5G"}]},{"mac":"11:22:33:44:55:66","channel":null}]}}`)
	})
	got, err := client.Devices(context.Background(), cid, lid)
	if err != nil {
		t.Fatal(err)
	}
	want := []Device{
		{MAC: "aa:bb:cc:dd:ee:ff", Name: "tv", Channel: 44, FreqBand: "5G", ConnectionState: "connected",
			ConnectionStateChangeAt: ts("2025-01-10T08:02:11Z"), Health: &Health{Status: "poor"},
			LeafToRoot: []Hop{{ID: "1HX2AB3CD4", FreqBand: "5G"}}},
		{MAC: "11:22:33:44:55:66"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Devices = %+v\nwant %+v", got, want)
	}
}

func TestClient_WiFiNetworks_dropsPSK(t *testing.T) {
	t.Parallel()
	client, mux, teardown := setup(t)
	defer teardown()
	const psk = "correct-horse-battery-staple"
	mux.HandleFunc(locPath+"/wifiNetworks", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testHeaders(t, r)
		fmt.Fprintf(w, `[{"ssid":"Smith-Home","enabled":true,"accessZone":"home","wpaMode":"psk2","encryptionKey":%q,
			"keys":[{"encryptionKey":%q}]},{"ssid":"Smith-Guest","enabled":false,"accessZone":"guests"}]`, psk, psk)
	})
	got, err := client.WiFiNetworks(context.Background(), cid, lid)
	if err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	want := []WiFiNetwork{{SSID: "Smith-Home", Enabled: &yes, AccessZone: "home", WPAMode: "psk2"},
		{SSID: "Smith-Guest", Enabled: &no, AccessZone: "guests"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("WiFiNetworks = %+v\nwant %+v", got, want)
	}
	if b, _ := json.Marshal(got); strings.Contains(string(b), psk) {
		t.Errorf("PSK survived decoding: %s", b)
	}
}

func TestClient_AppQoE(t *testing.T) {
	t.Parallel()
	client, mux, teardown := setup(t)
	defer teardown()
	mux.HandleFunc(locPath+"/appqoe/AppQoeStatsByTrafficClass", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "POST")
		testHeaders(t, r)
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type = %q", ct)
		}
		if got := r.PostFormValue("timePeriod"); got != "last24Hours" {
			t.Errorf("timePeriod = %q", got)
		}
		fmt.Fprint(w, `{"trafficClasses":[{"name":"gaming","qoeScore":1.8,"devices":2},{"name":"av_streaming","qoeScore":4.6,"devices":[{},{},{}]}]}`)
	})
	got, err := client.AppQoE(context.Background(), cid, lid, QoELast24Hours)
	if err != nil {
		t.Fatal(err)
	}
	want := &AppQoE{Recognized: true, Classes: []QoEClass{
		{Name: "gaming", Score: 1.8, HasScore: true, Devices: 2},
		{Name: "av_streaming", Score: 4.6, HasScore: true, Devices: 3}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AppQoE = %+v, want %+v", got, want)
	}
	if _, err := client.AppQoE(context.Background(), cid, lid, "yesterday"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("bad period: err = %v", err)
	}
}

func TestClient_NodeLookup(t *testing.T) {
	t.Parallel()
	client, mux, teardown := setup(t)
	defer teardown()
	mux.HandleFunc("/api/partners/nodes/1HX2AB3CD4", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testHeaders(t, r)
		fmt.Fprint(w, `{"customerId":"`+cid+`","locationId":"`+lid+`","serialNumber":"1HX2AB3CD4","packId":"PK1","partnerId":"`+testPartner+`"}`)
	})
	got, err := client.NodeLookup(context.Background(), "1HX2AB3CD4")
	if err != nil {
		t.Fatal(err)
	}
	want := &NodeLookup{CustomerID: cid, LocationID: lid, SerialNumber: "1HX2AB3CD4", PackID: "PK1", PartnerID: testPartner}
	if !reflect.DeepEqual(got, want) || !got.Claimed() {
		t.Errorf("NodeLookup = %+v, want %+v", got, want)
	}
}

func TestClient_SearchCustomers(t *testing.T) {
	t.Parallel()
	client, mux, teardown := setup(t)
	defer teardown()
	mux.HandleFunc("/api/Customers/v2/search", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testHeaders(t, r)
		testQuery(t, r, url.Values{"searchString": {"smith@example.com"}, "searchEntities": {"email,accountId,name,nodeId,serviceId"}})
		fmt.Fprint(w, `[{"customerId":"`+cid+`","customerName":"Jo Smith","customerEmail":"smith@example.com","accountId":"A1",
			"matchingString":"email","matchedValue":"smith@example.com","locationIdToSelect":"`+lid+`",
			"locations":[{"locationId":"`+lid+`","locationName":"Home","serviceId":"S1"}]}]`)
	})
	got, err := client.SearchCustomers(context.Background(), " smith@example.com ")
	if err != nil {
		t.Fatal(err)
	}
	want := []CustomerMatch{{CustomerID: cid, Name: "Jo Smith", Email: "smith@example.com", AccountID: "A1",
		MatchingString: "email", MatchedValue: "smith@example.com", LocationID: lid,
		Locations: []LocationRef{{ID: lid, Name: "Home", ServiceID: "S1"}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Search = %+v\nwant %+v", got, want)
	}
}

func TestClient_WANStats(t *testing.T) {
	t.Parallel()
	client, mux, teardown := setup(t)
	defer teardown()
	mux.HandleFunc("/reports/Customers/"+cid+"/locations/"+lid+"/wanStats", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testHeaders(t, r)
		testQuery(t, r, url.Values{"period": {"daily"}})
		fmt.Fprint(w, `{"statsDateRange":[{"start":["2025-01-09T00:00:00.000Z"],"end":["2025-01-10T00:00:00.000Z"]}],
			"fifteenMins":[{"timestamp":"2025-01-09T00:00:00.000Z","rxMbytes":10.5,"txMbytes":1,"rxMaxMbps":90,"txMaxMbps":9},
			{"timestamp":"2025-01-09T00:15:00.000Z","rxMbytes":null,"txMbytes":1,"rxMaxMbps":90,"txMaxMbps":9}]}`)
	})
	got, err := client.WANStats(context.Background(), cid, lid, "daily")
	if err != nil {
		t.Fatal(err)
	}
	want := &WANStats{Period: "daily", Points: []WANPoint{
		{Time: ts("2025-01-09T00:00:00Z"), Valid: true, RxMbytes: 10.5, TxMbytes: 1, RxMaxMbps: 90, TxMaxMbps: 9},
		{Time: ts("2025-01-09T00:15:00Z"), Valid: false, TxMbytes: 1, RxMaxMbps: 90, TxMaxMbps: 9}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("WANStats = %+v\nwant %+v", got, want)
	}
	if _, err := client.WANStats(context.Background(), cid, lid, "hourly"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("bad period: err = %v", err)
	}
}

func TestClient_OnlineStats(t *testing.T) {
	t.Parallel()
	client, mux, teardown := setup(t)
	defer teardown()
	mux.HandleFunc("/reports/Customers/"+cid+"/locations/"+lid+"/onlineStats", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, "GET")
		testHeaders(t, r)
		testQuery(t, r, url.Values{"granularity": {"hours"}, "limit": {"24"}})
		fmt.Fprint(w, `{"statsDateRange":[],"onlineStats":[{"timestamp":"2025-01-09T00:00:00Z","value":100},{"timestamp":"2025-01-09T01:00:00Z","value":null}]}`)
	})
	got, err := client.OnlineStats(context.Background(), cid, lid, "hours", 24)
	if err != nil {
		t.Fatal(err)
	}
	want := &OnlineStats{Granularity: "hours", Points: []OnlinePoint{
		{Time: ts("2025-01-09T00:00:00Z"), Valid: true, Percent: 100}, {Time: ts("2025-01-09T01:00:00Z")}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("OnlineStats = %+v\nwant %+v", got, want)
	}
	for _, bad := range []struct {
		g string
		n int
	}{{"weeks", 1}, {"hours", 0}, {"hours", 1001}} {
		if _, err := client.OnlineStats(context.Background(), cid, lid, bad.g, bad.n); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("OnlineStats(%q, %d): err = %v", bad.g, bad.n, err)
		}
	}
}

func TestClient_validatesBeforeSending(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var hits atomic.Int32
	f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	ctx := context.Background()
	calls := map[string]func() error{
		"location ../x": func() error { _, err := f.client.Location(ctx, "../x", lid); return err },
		"nodes empty":   func() error { _, err := f.client.Nodes(ctx, cid, ""); return err },
		"devices short": func() error { _, err := f.client.Devices(ctx, cid[:23], lid); return err },
		"wifi non-hex":  func() error { _, err := f.client.WiFiNetworks(ctx, "zz"+cid[2:], lid); return err },
		"locations %2F": func() error { _, err := f.client.Locations(ctx, "64f0c1a2b3c4d5e6f7a8b%2F"); return err },
		"serial slash":  func() error { _, err := f.client.NodeLookup(ctx, "1HX/../x"); return err },
		"serial empty":  func() error { _, err := f.client.NodeLookup(ctx, ""); return err },
		"search empty":  func() error { _, err := f.client.SearchCustomers(ctx, "  "); return err },
		"search ctrl":   func() error { _, err := f.client.SearchCustomers(ctx, "a\x00b"); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: err = %v, want invalid input", name, err)
		}
	}
	if n := hits.Load() + f.fetches.Load(); n != 0 {
		t.Errorf("%d requests sent for invalid input", n)
	}
}

func TestClient_pathEscaping(t *testing.T) {
	t.Parallel()
	r := &request{segments: []string{"partners", "nodes", "a b/c?d"}}
	c := &Client{}
	c.api, _ = url.Parse("https://x.plume.com/api")
	if got, want := r.url(c), "https://x.plume.com/api/partners/nodes/a%20b%2Fc%3Fd"; got != want {
		t.Errorf("url = %s, want %s", got, want)
	}
}

func TestClient_observer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var n atomic.Int32
	f.mux.HandleFunc(locPath+"/nodes", func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, `{"nodes":[]}`)
	})
	if _, err := f.client.Nodes(context.Background(), cid, lid); err != nil {
		t.Fatal(err)
	}
	want := []obsCall{{"nodes", 503}, {"nodes", 200}}
	if got := f.obs.requests(); !reflect.DeepEqual(got, want) {
		t.Errorf("observed %v, want %v", got, want)
	}
	f.obs.mu.Lock()
	defer f.obs.mu.Unlock()
	if len(f.obs.fetches) != 1 || f.obs.fetches[0] != nil {
		t.Errorf("token fetches observed: %v", f.obs.fetches)
	}
}
