package plumesim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is the simulator's Now in tests: fixed until the test moves it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var testNow = time.Date(2026, 1, 15, 18, 7, 30, 0, time.UTC)

type env struct {
	t     *testing.T
	s     *Server
	clock *fakeClock
	info  Info
	token string
}

// setup starts a simulator on a fake clock and fetches one token.
func setup(t *testing.T) *env {
	t.Helper()
	clock := &fakeClock{t: testNow}
	s, err := Start(Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	e := &env{t: t, s: s, clock: clock, info: s.Info()}
	e.token = e.fetchToken()
	return e
}

func (e *env) tokenReq(header, form string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.info.SSOURL, strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if header != "" {
		req.Header.Set("Authorization", header)
	}
	return e.do(req)
}

func goodForm(pid string) string {
	return url.Values{"grant_type": {"client_credentials"}, "scope": {"partnerId:" + pid + " role:partnerIdAdmin"}}.Encode()
}

func (e *env) fetchToken() string {
	e.t.Helper()
	st, body := e.tokenReq(e.info.AuthHeader, goodForm(e.info.PartnerID))
	if st != http.StatusOK {
		e.t.Fatalf("token: status %d %v", st, body)
	}
	return body["access_token"].(string)
}

func (e *env) do(req *http.Request) (int, map[string]any) {
	e.t.Helper()
	st, raw := e.doRaw(req)
	var m map[string]any
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &m); err != nil {
			e.t.Fatalf("%s: bad JSON %q: %v", req.URL.Path, raw, err)
		}
	}
	return st, m
}

func (e *env) doRaw(req *http.Request) (int, []byte) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := e.s.Client().Do(req.WithContext(ctx))
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// call sends method to base+path with e.token; body is urlencoded when non-empty.
func (e *env) call(method, path, body string) (int, []byte) {
	e.t.Helper()
	base := e.info.APIBase
	if strings.HasPrefix(path, "/reports/") {
		base = strings.TrimSuffix(e.info.ReportsBase, "/reports")
	}
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	return e.doRaw(req)
}

func (e *env) get(path string) (int, any) {
	e.t.Helper()
	st, raw := e.call(http.MethodGet, path, "")
	var v any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil {
			e.t.Fatalf("GET %s: bad JSON %q: %v", path, raw, err)
		}
	}
	return st, v
}

func (e *env) locPath(ds, suffix string) string {
	l := e.info.Locations[ds]
	return "/Customers/" + l.CustomerID + "/locations/" + l.LocationID + suffix
}

func (e *env) reportsPath(ds, suffix string) string { return "/reports" + e.locPath(ds, suffix) }

func errCode(v any) (int, string) {
	m, _ := v.(map[string]any)
	er, _ := m["error"].(map[string]any)
	if er == nil {
		return 0, ""
	}
	st, _ := er["statusCode"].(float64)
	code, _ := er["code"].(string)
	return int(st), code
}

func TestToken(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tests := []struct {
		name, header, form string
		status             int
		code               string
	}{
		{"good", AuthHeader, goodForm(PartnerID), 200, ""},
		{"scopes in any order", AuthHeader, url.Values{"grant_type": {"client_credentials"}, "scope": {"role:partnerIdAdmin partnerId:" + PartnerID}}.Encode(), 200, ""},
		{"missing header", "", goodForm(PartnerID), 401, "invalid_client"},
		{"wrong secret", "Basic " + "MG9hU0lNOndyb25n", goodForm(PartnerID), 401, "invalid_client"},
		{"malformed header", "Basic !!!", goodForm(PartnerID), 400, "invalid_request"},
		{"bearer instead of basic", "Bearer x", goodForm(PartnerID), 400, "invalid_request"},
		{"wrong grant", AuthHeader, url.Values{"grant_type": {"password"}, "scope": {"partnerId:" + PartnerID + " role:partnerIdAdmin"}}.Encode(), 400, "unsupported_grant_type"},
		{"wrong partner", AuthHeader, goodForm(ForeignPartnerID), 400, "invalid_scope"},
		{"missing role", AuthHeader, url.Values{"grant_type": {"client_credentials"}, "scope": {"partnerId:" + PartnerID}}.Encode(), 400, "invalid_scope"},
		{"secret in body too", AuthHeader, goodForm(PartnerID) + "&client_secret=x", 400, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, body := e.tokenReq(tc.header, tc.form)
			if st != tc.status {
				t.Fatalf("status %d, want %d (%v)", st, tc.status, body)
			}
			if tc.code != "" {
				if body["error"] != tc.code || body["error_description"] == "" {
					t.Fatalf("body %v, want error %q", body, tc.code)
				}
				return
			}
			if body["token_type"] != "Bearer" || body["expires_in"] != float64(1800) || body["access_token"] == "" ||
				body["scope"] != "partnerId:"+PartnerID+" role:partnerIdAdmin" {
				t.Fatalf("token body %v", body)
			}
		})
	}
	t.Run("not form encoded", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.info.SSOURL, strings.NewReader(`{"grant_type":"client_credentials"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", AuthHeader)
		if st, body := e.do(req); st != 400 || body["error"] != "invalid_request" {
			t.Fatalf("got %d %v", st, body)
		}
	})
	t.Run("other auth server", func(t *testing.T) {
		u := strings.Replace(e.info.SSOURL, AuthServerID, "ausOTHER", 1)
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(goodForm(PartnerID)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", AuthHeader)
		if st, _ := e.do(req); st != http.StatusNotFound {
			t.Fatalf("status %d", st)
		}
	})
	t.Run("GET", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, e.info.SSOURL, nil)
		if st, _ := e.do(req); st != http.StatusMethodNotAllowed {
			t.Fatalf("status %d", st)
		}
	})
}

func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	e := setup(t)
	health := func() int {
		st, _ := e.call(http.MethodGet, "/checkIntegrationHealth", "")
		return st
	}
	if st := health(); st != http.StatusNoContent {
		t.Fatalf("fresh token: %d", st)
	}
	e.clock.Add(30*time.Minute - time.Second)
	if st := health(); st != http.StatusNoContent {
		t.Fatalf("token 1 s before expiry: %d", st)
	}
	e.clock.Add(time.Second)
	if st := health(); st != http.StatusUnauthorized {
		t.Fatalf("expired token: %d", st)
	}

	e.s.SetTokenTTL(5 * time.Second)
	st, body := e.tokenReq(AuthHeader, goodForm(PartnerID))
	if st != 200 || body["expires_in"] != float64(5) {
		t.Fatalf("short TTL token: %d %v", st, body)
	}
	e.token = body["access_token"].(string)
	if st := health(); st != http.StatusNoContent {
		t.Fatalf("new token: %d", st)
	}
	e.s.RevokeTokens()
	if st := health(); st != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d", st)
	}
	if n := e.s.TokenFetches(); n != 2 {
		t.Fatalf("TokenFetches = %d, want 2", n)
	}
}

func TestEndpointShapes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	l := e.info.Locations["healthy"]
	tests := []struct {
		name, method, path, body string
		check                    func(t *testing.T, v any)
	}{
		{"location", "GET", e.locPath("healthy", ""), "", func(t *testing.T, v any) {
			m := v.(map[string]any)
			ns := m["networkStatus"].(map[string]any)
			if m["id"] != l.LocationID || m["customerId"] != l.CustomerID || ns["status"] != "online" || m["geoIp"] == nil {
				t.Fatalf("location %v", m)
			}
			if at, _ := ns["statusChangedAt"].(string); len(at) != len("2006-01-02T15:04:05.000Z") || !strings.HasSuffix(at, "Z") {
				t.Fatalf("statusChangedAt %v", ns["statusChangedAt"])
			}
		}},
		{"locations", "GET", "/Customers/" + l.CustomerID + "/locations", "", func(t *testing.T, v any) {
			a := v.([]any)
			if len(a) != 1 || a[0].(map[string]any)["id"] != l.LocationID {
				t.Fatalf("locations %v", v)
			}
		}},
		{"nodes", "GET", e.locPath("healthy", "/nodes"), "", func(t *testing.T, v any) {
			nodes := v.(map[string]any)["nodes"].([]any)
			gw := nodes[0].(map[string]any)
			st := gw["speedTest"].(map[string]any)
			if len(nodes) != 3 || gw["id"] != l.NodeSerial || st["download"].(float64) < 400 || gw["linkStates"] == nil || gw["wanIp"] == nil {
				t.Fatalf("nodes %v", nodes)
			}
			for _, n := range nodes {
				if n.(map[string]any)["connectionState"] != "connected" {
					t.Fatalf("healthy node not connected: %v", n)
				}
			}
			if len(nodes[1].(map[string]any)["leafToRoot"].([]any)) != 1 {
				t.Fatalf("pod leafToRoot %v", nodes[1])
			}
		}},
		{"devices", "GET", e.locPath("healthy", "/devices"), "", func(t *testing.T, v any) {
			devs := v.(map[string]any)["devices"].([]any)
			off := 0
			for _, d := range devs {
				m := d.(map[string]any)
				if m["mac"] == "" || m["connectionState"] == nil {
					t.Fatalf("device %v", m)
				}
				if m["connectionState"] != "connected" {
					off++
				}
			}
			if len(devs) != 12 || off != 2 {
				t.Fatalf("%d devices, %d offline", len(devs), off)
			}
		}},
		{"wifiNetworks", "GET", e.locPath("healthy", "/wifiNetworks"), "", func(t *testing.T, v any) {
			a := v.([]any)
			w := a[0].(map[string]any)
			if len(a) != 2 || w["ssid"] == "" || w["encryptionKey"] == nil || w["wpaMode"] != "psk2" || w["accessZone"] != "home" {
				t.Fatalf("wifi %v", a)
			}
		}},
		{"serviceLevel", "GET", e.locPath("healthy", "/serviceLevel"), "", func(t *testing.T, v any) {
			if m := v.(map[string]any); m["status"] != "fullService" || m["created"] == nil || m["updatedAt"] == nil {
				t.Fatalf("serviceLevel %v", m)
			}
		}},
		{"backhaul", "GET", e.locPath("healthy", "/backhaul"), "", func(t *testing.T, v any) {
			m := v.(map[string]any)
			k, _ := m["wpaKey"].(string)
			if len(k) != 63 || strings.ToUpper(k) != k || m["mode"] != "auto" || m["wpaModeRealized"] != "psk2" {
				t.Fatalf("backhaul %v", m)
			}
		}},
		{"appqoe form", "POST", e.locPath("healthy", "/appqoe/AppQoeStatsByTrafficClass"), "timePeriod=last24Hours", func(t *testing.T, v any) {
			cls := v.(map[string]any)["trafficClasses"].([]any)
			if len(cls) != 3 || cls[1].(map[string]any)["name"] != "gaming" {
				t.Fatalf("qoe %v", v)
			}
			for _, c := range cls {
				if s := c.(map[string]any)["qoeScore"].(float64); s < 0 || s > 5 {
					t.Fatalf("score %v", s)
				}
			}
		}},
		{"nodeLookup", "GET", "/partners/nodes/" + l.NodeSerial, "", func(t *testing.T, v any) {
			m := v.(map[string]any)
			if m["customerId"] != l.CustomerID || m["locationId"] != l.LocationID || m["serialNumber"] != l.NodeSerial || m["partnerId"] != PartnerID || m["model"] == nil || m["packId"] == nil {
				t.Fatalf("lookup %v", m)
			}
		}},
		{"nodeLookup unclaimed", "GET", "/Partners/nodes/" + UnclaimedSerial, "", func(t *testing.T, v any) {
			m := v.(map[string]any)
			if _, ok := m["customerId"]; ok || m["serialNumber"] != UnclaimedSerial {
				t.Fatalf("unclaimed %v", m)
			}
		}},
		{"search", "GET", "/Customers/v2/search?searchString=LOPEZ&searchEntities=email,name", "", func(t *testing.T, v any) {
			a := v.([]any)
			m := a[0].(map[string]any)
			locs := m["locations"].([]any)
			if len(a) != 1 || m["customerId"] != l.CustomerID || m["matchingString"] != "email" || m["matchedValue"] != l.Email ||
				m["locationIdToSelect"] != l.LocationID || locs[0].(map[string]any)["locationId"] != l.LocationID {
				t.Fatalf("search %v", v)
			}
		}},
		{"wanStats", "GET", "/reports" + e.locPath("healthy", "/wanStats?period=daily"), "", func(t *testing.T, v any) {
			m := v.(map[string]any)
			r := m["statsDateRange"].([]any)[0].(map[string]any)
			if len(m["fifteenMins"].([]any)) != 96 || len(r["start"].([]any)) != 1 {
				t.Fatalf("wanStats %v", m["statsDateRange"])
			}
		}},
		{"onlineStats", "GET", "/reports" + e.locPath("healthy", "/onlineStats?granularity=hours&limit=24"), "", func(t *testing.T, v any) {
			pts := v.(map[string]any)["onlineStats"].([]any)
			if len(pts) != 24 {
				t.Fatalf("%d points", len(pts))
			}
			last := pts[23].(map[string]any)
			if last["timestamp"] != "2026-01-15T18:00:00.000Z" {
				t.Fatalf("last point %v", last)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, raw := e.call(tc.method, tc.path, tc.body)
			if st != http.StatusOK {
				t.Fatalf("status %d: %s", st, raw)
			}
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatal(err)
			}
			tc.check(t, v)
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	e := setup(t)
	f := e.info.Locations["foreign"]
	h := e.info.Locations["healthy"]
	zero := strings.Repeat("0", 24)
	tests := []struct {
		name, method, path, body string
		noToken                  bool
		status                   int
		code                     string
	}{
		{"no token", "GET", e.locPath("healthy", ""), "", true, 401, "AUTHORIZATION_REQUIRED"},
		{"no token health", "GET", "/checkIntegrationHealth", "", true, 401, "AUTHORIZATION_REQUIRED"},
		{"no token reports", "GET", e.reportsPath("healthy", "/wanStats?period=daily"), "", true, 401, "AUTHORIZATION_REQUIRED"},
		{"foreign location", "GET", e.locPath("foreign", ""), "", false, 403, "FORBIDDEN"},
		{"foreign locations", "GET", "/Customers/" + f.CustomerID + "/locations", "", false, 403, "FORBIDDEN"},
		{"foreign nodes", "GET", e.locPath("foreign", "/nodes"), "", false, 403, "FORBIDDEN"},
		{"foreign qoe", "POST", e.locPath("foreign", "/appqoe/AppQoeStatsByTrafficClass"), "timePeriod=lastHour", false, 403, "FORBIDDEN"},
		{"foreign wanStats", "GET", e.reportsPath("foreign", "/wanStats?period=daily"), "", false, 403, "FORBIDDEN"},
		{"foreign node lookup", "GET", "/partners/nodes/" + f.NodeSerial, "", false, 403, "FORBIDDEN"},
		{"unknown customer", "GET", "/Customers/" + zero + "/locations/" + h.LocationID, "", false, 404, "MODEL_NOT_FOUND"},
		{"unknown location", "GET", "/Customers/" + h.CustomerID + "/locations/" + zero + "/nodes", "", false, 404, "MODEL_NOT_FOUND"},
		{"other dataset's location", "GET", "/Customers/" + h.CustomerID + "/locations/" + f.LocationID, "", false, 404, "MODEL_NOT_FOUND"},
		{"id not hex", "GET", "/Customers/xyz/locations/" + h.LocationID, "", false, 404, "MODEL_NOT_FOUND"},
		{"unknown serial", "GET", "/partners/nodes/NOSUCHNODE", "", false, 404, "NODE_NOT_FOUND"},
		{"unknown path", "GET", "/Customers/" + h.CustomerID + "/whatever", "", false, 404, "NOT_FOUND"},
		{"qoe via GET", "GET", e.locPath("healthy", "/appqoe/AppQoeStatsByTrafficClass"), "", false, 404, "NOT_FOUND"},
		{"qoe no period", "POST", e.locPath("healthy", "/appqoe/AppQoeStatsByTrafficClass"), "x=1", false, 422, "INVALID_PARAMETER"},
		{"qoe bad period", "POST", e.locPath("healthy", "/appqoe/AppQoeStatsByTrafficClass"), "timePeriod=lastYear", false, 422, "INVALID_PARAMETER"},
		{"wan no period", "GET", e.reportsPath("healthy", "/wanStats"), "", false, 422, "INVALID_PARAMETER"},
		{"wan bad period", "GET", e.reportsPath("healthy", "/wanStats?period=hourly"), "", false, 422, "INVALID_PARAMETER"},
		{"online bad granularity", "GET", e.reportsPath("healthy", "/onlineStats?granularity=weeks&limit=5"), "", false, 422, "INVALID_PARAMETER"},
		{"online limit 0", "GET", e.reportsPath("healthy", "/onlineStats?granularity=hours&limit=0"), "", false, 422, "INVALID_PARAMETER"},
		{"online limit 1001", "GET", e.reportsPath("healthy", "/onlineStats?granularity=hours&limit=1001"), "", false, 422, "INVALID_PARAMETER"},
		{"search no entities", "GET", "/Customers/v2/search?searchString=maria", "", false, 400, "BAD_REQUEST"},
		{"search no string", "GET", "/Customers/v2/search?searchEntities=email", "", false, 400, "BAD_REQUEST"},
		{"search bad entity", "GET", "/Customers/v2/search?searchString=a&searchEntities=shoeSize", "", false, 400, "BAD_REQUEST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ee := *e
			if tc.noToken {
				ee.token = ""
			}
			st, raw := ee.call(tc.method, tc.path, tc.body)
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatalf("status %d, body not JSON: %q", st, raw)
			}
			if code, c := errCode(v); st != tc.status || code != tc.status || c != tc.code {
				t.Fatalf("got %d %s, want %d %s", st, raw, tc.status, tc.code)
			}
		})
	}
}

func TestAppQoEJSONBodyAndCaseInsensitivePaths(t *testing.T) {
	t.Parallel()
	e := setup(t)
	req, _ := http.NewRequest(http.MethodPost, e.info.APIBase+strings.ToLower(e.locPath("degraded", "/appqoe/AppQoeStatsByTrafficClass")), strings.NewReader(`{"timePeriod":"lastHour"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.token)
	st, body := e.do(req)
	if st != 200 {
		t.Fatalf("status %d %v", st, body)
	}
	poor := false
	for _, c := range body["trafficClasses"].([]any) {
		if c.(map[string]any)["qoeScore"].(float64) <= 2 {
			poor = true
		}
	}
	if !poor {
		t.Fatalf("degraded has no class ≤ 2: %v", body)
	}
	if st, _ := e.get(strings.ToUpper(e.locPath("healthy", "/NODES"))); st != 200 {
		t.Fatalf("upper-case path: %d", st)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	e := setup(t)
	nodes := e.locPath("healthy", "/nodes")
	status := func(path string) int {
		st, _ := e.call(http.MethodGet, path, "")
		return st
	}

	e.s.SetFault(EndpointNodes, Fault{Status: 503, Times: 2})
	st, raw := e.call(http.MethodGet, nodes, "")
	if code, _ := errCode(mustJSON(t, raw)); st != 503 || code != 503 {
		t.Fatalf("fault: %d %s", st, raw)
	}
	if got := status(nodes); got != 503 {
		t.Fatalf("second: %d", got)
	}
	if got := status(nodes); got != 200 {
		t.Fatalf("after Times: %d", got)
	}
	if got := status(e.locPath("healthy", "/devices")); got != 200 {
		t.Fatalf("other endpoint affected: %d", got)
	}

	e.s.SetFault(EndpointDevices, Fault{Malformed: true})
	st, raw = e.call(http.MethodGet, e.locPath("healthy", "/devices"), "")
	if st != 200 || json.Valid(raw) {
		t.Fatalf("malformed: %d valid=%v", st, json.Valid(raw))
	}

	e.s.SetFault("*", Fault{Status: 500})
	if got := status(e.locPath("healthy", "/backhaul")); got != 500 {
		t.Fatalf("* fault: %d", got)
	}
	if got := status(nodes); got != 200 { // its own (spent) fault wins over "*"
		t.Fatalf("endpoint fault should win over *: %d", got)
	}

	e.s.ClearFaults()
	e.s.SetFault(EndpointLocation, Fault{WAFAfter: 3, WAFWindow: time.Minute})
	for i := 0; i < 3; i++ {
		if got := status(e.locPath("healthy", "")); got != 200 {
			t.Fatalf("request %d before WAF: %d", i, got)
		}
	}
	st, raw = e.call(http.MethodGet, e.locPath("healthy", ""), "")
	if st != 403 || !bytes.Contains(raw, []byte("<html>")) || json.Valid(raw) {
		t.Fatalf("WAF: %d %s", st, raw)
	}
	e.clock.Add(time.Minute) // the window slides past the burst
	if got := status(e.locPath("healthy", "")); got != 200 {
		t.Fatalf("after WAF window: %d", got)
	}

	// Latency: the response still arrives (durations are not asserted).
	e.s.SetFault(EndpointServiceLevel, Fault{Latency: 20 * time.Millisecond})
	e.s.SetLatency(5 * time.Millisecond)
	if got := status(e.locPath("healthy", "/serviceLevel")); got != 200 {
		t.Fatalf("latency: %d", got)
	}
	e.s.SetLatency(0)

	e.s.SetFault(EndpointToken, Fault{Status: 500, Times: 1})
	if st, body := e.tokenReq(AuthHeader, goodForm(PartnerID)); st != 500 || body["error"] != "server_error" {
		t.Fatalf("token fault: %d %v", st, body)
	}
	e.s.SetFault(EndpointToken, Fault{Latency: 10 * time.Millisecond})
	if st, _ := e.tokenReq(AuthHeader, goodForm(PartnerID)); st != 200 {
		t.Fatalf("slow token: %d", st)
	}
}

func TestLatencyHonoursCancellation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.s.SetLatency(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.info.APIBase+"/checkIntegrationHealth", nil)
	done := make(chan error, 1)
	go func() {
		resp, err := e.s.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	// Wait until the request is counted (it is then sleeping), then abandon it.
	deadline := time.After(10 * time.Second)
	for e.s.Requests(EndpointHealth) == 0 {
		select {
		case <-deadline:
			t.Fatal("request never arrived")
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("want a cancellation error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("client did not return after cancel")
	}
}

func mustJSON(t *testing.T, raw []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("not JSON: %q", raw)
	}
	return v
}

func TestCounters(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.get(e.locPath("healthy", "/nodes"))
	e.get(e.locPath("healthy", "/nodes"))
	e.get(e.locPath("healthy", "/devices"))
	e.get("/nope")
	e.fetchToken()
	if n := e.s.Requests(EndpointNodes); n != 2 {
		t.Fatalf("nodes = %d", n)
	}
	if n := e.s.Requests(""); n != 4 {
		t.Fatalf("all = %d", n)
	}
	if n, tf := e.s.Requests(EndpointToken), e.s.TokenFetches(); n != 2 || tf != 2 {
		t.Fatalf("token requests %d, fetches %d", n, tf)
	}
	e.s.ResetCounters()
	if e.s.Requests("") != 0 || e.s.Requests(EndpointNodes) != 0 || e.s.TokenFetches() != 0 {
		t.Fatal("ResetCounters left counts")
	}
}

// TestDatasets loads every endpoint of every dataset and checks what each is named for.
func TestDatasets(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if got := DatasetNames(); strings.Join(got, ",") != "healthy,degraded,partial,offline,huge,nasty,sparse,foreign,flapping" {
		t.Fatalf("DatasetNames = %v", got)
	}
	seen := map[string]bool{}
	for _, name := range DatasetNames() {
		l, ok := e.info.Locations[name]
		if !ok || !isHex24(l.CustomerID) || !isHex24(l.LocationID) || l.CustomerID != strings.ToLower(l.CustomerID) ||
			!isSerial(l.NodeSerial) || l.Description == "" || !strings.Contains(l.Email, "@") || seen[l.CustomerID] || seen[l.LocationID] {
			t.Fatalf("%s: bad info %+v", name, l)
		}
		seen[l.CustomerID], seen[l.LocationID] = true, true
		if name == "foreign" {
			continue
		}
		for _, p := range []string{"", "/nodes", "/devices", "/wifiNetworks", "/serviceLevel", "/backhaul"} {
			if st, _ := e.get(e.locPath(name, p)); st != 200 {
				t.Fatalf("%s%s: %d", name, p, st)
			}
		}
		if st, _ := e.call("POST", e.locPath(name, "/appqoe/AppQoeStatsByTrafficClass"), "timePeriod=last7Days"); st != 200 {
			t.Fatalf("%s qoe: %d", name, st)
		}
		if st, _ := e.get("/partners/nodes/" + l.NodeSerial); st != 200 {
			t.Fatalf("%s lookup: %d", name, st)
		}
	}

	list := func(ds, kind string) []map[string]any {
		_, v := e.get(e.locPath(ds, "/"+kind))
		inner := v.(map[string]any)[kind]
		if m, ok := inner.(map[string]any); ok { // sparse: double-wrapped
			inner = m[kind]
		}
		var out []map[string]any
		for _, x := range inner.([]any) {
			out = append(out, x.(map[string]any))
		}
		return out
	}
	states := func(ds string) (conn, disc int) {
		for _, n := range list(ds, "nodes") {
			if n["connectionState"] == "connected" {
				conn++
			} else {
				disc++
			}
		}
		return
	}

	t.Run("huge", func(t *testing.T) {
		devs, pods := list("huge", "devices"), list("huge", "nodes")
		if len(devs) < 300 || len(pods) < 12 {
			t.Fatalf("%d devices, %d pods", len(devs), len(pods))
		}
		long, bands := 0, map[any]bool{}
		for _, d := range devs {
			if len([]rune(d["name"].(string))) >= 60 {
				long++
			}
			bands[d["freqBand"]] = true
		}
		if long < 300 || len(bands) < 4 { // 2.4G, 5G, 6G and ethernet (nil)
			t.Fatalf("%d long names, bands %v", long, bands)
		}
	})
	t.Run("degraded", func(t *testing.T) {
		_, sl := e.get(e.locPath("degraded", "/serviceLevel"))
		fair, alerts := false, false
		for _, n := range list("degraded", "nodes") {
			if h, _ := n["health"].(map[string]any); h != nil && h["status"] == "fair" && h["score"] == float64(3) {
				fair = true
				alerts = len(n["alerts"].([]any)) > 0
			}
		}
		poor, recent := false, false
		for _, d := range list("degraded", "devices") {
			if h, _ := d["health"].(map[string]any); h != nil && h["status"] == "poor" {
				poor = true
			}
			at, _ := time.Parse(time.RFC3339, d["connectionStateChangeAt"].(string))
			if d["connectionState"] == "disconnected" && testNow.Sub(at) == 10*time.Minute {
				recent = true
			}
		}
		if sl.(map[string]any)["status"] != "basicService" || !fair || !alerts || !poor || !recent {
			t.Fatalf("serviceLevel %v fair %v alerts %v poor %v recent %v", sl, fair, alerts, poor, recent)
		}
	})
	t.Run("partial", func(t *testing.T) {
		if c, d := states("partial"); c != 3 || d != 1 {
			t.Fatalf("connected %d, disconnected %d", c, d)
		}
	})
	t.Run("offline", func(t *testing.T) {
		_, v := e.get(e.locPath("offline", ""))
		ns := v.(map[string]any)["networkStatus"].(map[string]any)
		at, _ := time.Parse(time.RFC3339, ns["statusChangedAt"].(string))
		if c, _ := states("offline"); c != 0 || ns["status"] != "offline" || testNow.Sub(at) < 2*time.Hour || testNow.Sub(at) > 4*time.Hour {
			t.Fatalf("connected pods %d, networkStatus %v", c, ns)
		}
	})
	t.Run("nasty", func(t *testing.T) {
		var names []string
		for _, d := range list("nasty", "devices") {
			names = append(names, d["name"].(string))
		}
		for _, n := range list("nasty", "nodes") {
			names = append(names, n["nickname"].(string))
		}
		_, w := e.get(e.locPath("nasty", "/wifiNetworks"))
		for _, x := range w.([]any) {
			names = append(names, x.(map[string]any)["ssid"].(string))
		}
		joined := strings.Join(names, "\n")
		for _, want := range []string{"<b>bold</b>", "</pre>", "&amp;", "_x_", "*x*", "`", "👨‍👩‍👧", "🔥", "هاتف", "הטלפון", "<script>"} {
			if !strings.Contains(joined, want) {
				t.Errorf("nasty lacks %q", want)
			}
		}
		has200 := false
		for _, n := range names {
			if len([]rune(n)) == 200 {
				has200 = true
			}
		}
		if !has200 {
			t.Error("no 200-character name")
		}
	})
	t.Run("sparse", func(t *testing.T) {
		_, v := e.get(e.locPath("sparse", "/nodes"))
		if _, ok := v.(map[string]any)["nodes"].(map[string]any); !ok {
			t.Fatalf("nodes not double-wrapped: %v", v)
		}
		for _, n := range list("sparse", "nodes") {
			if v, ok := n["nickname"]; !ok || v != nil {
				t.Fatalf("nickname should be null: %v", n)
			}
			if n["health"] != nil || n["speedTest"] != nil || n["leafToRoot"] != nil || n["connectionStateChangeAt"] != nil {
				t.Fatalf("sparse node has optional fields: %v", n)
			}
		}
		_, loc := e.get(e.locPath("sparse", ""))
		if _, ok := loc.(map[string]any)["geoIp"]; ok {
			t.Fatal("sparse location has geoIp")
		}
	})
}

func TestSearch(t *testing.T) {
	t.Parallel()
	e := setup(t)
	search := func(q string) []any {
		st, v := e.get("/Customers/v2/search?" + q)
		if st != 200 {
			t.Fatalf("%s: %d", q, st)
		}
		return v.([]any)
	}
	deg := e.info.Locations["degraded"]
	tests := []struct {
		query string
		want  []string // customer IDs
	}{
		{"searchString=TOM.BECKER@EXAMPLE.NET&searchEntities=email", []string{deg.CustomerID}},
		{"searchString=becker&searchEntities=name", []string{deg.CustomerID}},
		{"searchString=ACC-100002&searchEntities=accountId", []string{deg.CustomerID}},
		{"searchString=ACC-1000&searchEntities=accountId", nil}, // exact on IDs
		{"searchString=SVC-200002&searchEntities=serviceId", []string{deg.CustomerID}},
		{"searchString=" + deg.NodeSerial + "&searchEntities=nodeId", []string{deg.CustomerID}},
		{"searchString=other-partner&searchEntities=email,name", nil}, // foreign never appears
		{"searchString=" + e.info.Locations["foreign"].NodeSerial + "&searchEntities=nodeId", nil},
		{"searchString=becker&searchEntities=name&exactMatch=true", nil},
	}
	for _, tc := range tests {
		got := search(tc.query)
		var ids []string
		for _, r := range got {
			ids = append(ids, r.(map[string]any)["customerId"].(string))
		}
		if strings.Join(ids, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: got %v, want %v", tc.query, ids, tc.want)
		}
	}
	if n := len(search("searchString=example&searchEntities=email")); n != 8 {
		t.Errorf("all partner customers: %d, want 8", n)
	}
	if n := len(search("searchString=e&searchEntities=email,name")); n > 10 {
		t.Errorf("more than 10 results: %d", n)
	}
}

func TestWANStats(t *testing.T) {
	t.Parallel()
	e := setup(t)
	get := func(ds string) []any {
		st, v := e.get(e.reportsPath(ds, "/wanStats?period=daily"))
		if st != 200 {
			t.Fatalf("%s: %d", ds, st)
		}
		return v.(map[string]any)["fifteenMins"].([]any)
	}
	pts := get("healthy")
	last := pts[95].(map[string]any)["timestamp"]
	if len(pts) != 96 || last != "2026-01-15T17:45:00.000Z" || pts[0].(map[string]any)["timestamp"] != "2026-01-14T18:00:00.000Z" {
		t.Fatalf("%d points, first %v last %v", len(pts), pts[0], last)
	}
	nulls, peak, night := 0, 0.0, 0.0
	for _, p := range pts {
		m := p.(map[string]any)
		rx, ok := m["rxMbytes"].(float64)
		if !ok {
			if m["rxMbytes"] != nil || m["txMaxMbps"] != nil {
				t.Fatalf("half-null point %v", m)
			}
			nulls++
			continue
		}
		ts, _ := time.Parse(time.RFC3339, m["timestamp"].(string))
		switch h := (ts.Hour() + 24 - 6) % 24; { // the dataset's local time (UTC-6)
		case h >= 19 && h <= 21:
			peak += rx
		case h >= 2 && h <= 4:
			night += rx
		}
	}
	if nulls == 0 || nulls > 10 || peak <= 3*night {
		t.Fatalf("nulls %d, evening %f vs night %f", nulls, peak, night)
	}
	again := get("healthy")
	if a, b := mustMarshal(t, pts), mustMarshal(t, again); a != b {
		t.Fatal("wanStats not deterministic")
	}
	if mustMarshal(t, get("degraded")) == mustMarshal(t, pts) {
		t.Fatal("datasets share one series")
	}
	off := get("offline")
	for _, p := range off[len(off)-10:] {
		if p.(map[string]any)["rxMbytes"] != nil {
			t.Fatalf("offline has recent traffic: %v", p)
		}
	}
	if st, v := e.get(e.reportsPath("healthy", "/wanStats?period=weekly")); st != 200 || len(v.(map[string]any)["fifteenMins"].([]any)) != 7*96 {
		t.Fatalf("weekly: %d", st)
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestOnlineStats(t *testing.T) {
	t.Parallel()
	e := setup(t)
	values := func(ds, q string) []any {
		st, v := e.get(e.reportsPath(ds, "/onlineStats?"+q))
		if st != 200 {
			t.Fatalf("%s: %d", ds, st)
		}
		var out []any
		for _, p := range v.(map[string]any)["onlineStats"].([]any) {
			out = append(out, p.(map[string]any)["value"])
		}
		return out
	}
	off := values("offline", "granularity=hours&limit=24")
	if off[23] != float64(0) || off[22] != float64(0) || off[10] != float64(100) {
		t.Fatalf("offline hours: %v", off)
	}
	part := values("partial", "granularity=hours&limit=12")
	dip := false
	for _, v := range part[:10] {
		if f, ok := v.(float64); ok && f < 50 {
			dip = true
		}
	}
	if !dip || part[11] != float64(100) {
		t.Fatalf("partial hours: %v", part)
	}
	mins := values("healthy", "granularity=minutes&limit=1000")
	low := 0
	for _, v := range mins {
		f := v.(float64)
		if f < 0 || f > 100 {
			t.Fatalf("value %v", f)
		}
		if f < 100 {
			low++
		}
	}
	if len(mins) != 1000 || low == 0 || low > 100 {
		t.Fatalf("healthy minutes: %d points, %d dips", len(mins), low)
	}
	if d := values("healthy", "granularity=days&limit=7"); len(d) != 7 {
		t.Fatalf("days: %v", d)
	}
	nulls := 0
	for _, v := range values("sparse", "granularity=hours&limit=200") {
		if v == nil {
			nulls++
		}
	}
	if nulls == 0 {
		t.Fatal("sparse has no null values")
	}
}

func TestInfoAndTLS(t *testing.T) {
	t.Parallel()
	e := setup(t)
	in := e.info
	for _, u := range []string{in.SSOURL, in.APIBase, in.ReportsBase} {
		if !strings.HasPrefix(u, "https://127.0.0.1:") {
			t.Fatalf("URL %s", u)
		}
	}
	if !strings.HasSuffix(in.SSOURL, "/oauth2/"+AuthServerID+"/v1/token") || in.AuthHeader != AuthHeader || in.PartnerID != PartnerID || len(in.Locations) != 9 ||
		in.ControlURL != strings.TrimSuffix(in.APIBase, "/api")+"/_sim" {
		t.Fatalf("info %+v", in)
	}
	if !bytes.HasPrefix(e.s.CACertPEM(), []byte("-----BEGIN CERTIFICATE-----")) || e.s.CertPool() == nil {
		t.Fatal("CA")
	}
	// A client that does not trust the CA must fail: TLS is really verified.
	if _, err := http.Get(in.APIBase + "/checkIntegrationHealth"); err == nil {
		t.Fatal("untrusted client connected")
	}
	// The certificate covers localhost too.
	host := strings.Replace(in.APIBase, "127.0.0.1", "localhost", 1)
	req, _ := http.NewRequest(http.MethodGet, host+"/checkIntegrationHealth", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	if st, _ := e.doRaw(req); st != http.StatusNoContent {
		t.Fatalf("localhost: %d", st)
	}
}
