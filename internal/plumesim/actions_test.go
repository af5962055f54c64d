package plumesim

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"
)

// pods returns a location's nodes by serial, as the nodes endpoint shows them now.
func (e *env) pods(ds string) map[string]map[string]any {
	e.t.Helper()
	st, v := e.get(e.locPath(ds, "/nodes"))
	if st != http.StatusOK {
		e.t.Fatalf("nodes: %d %v", st, v)
	}
	out := map[string]map[string]any{}
	for _, n := range v.(map[string]any)["nodes"].([]any) {
		m := n.(map[string]any)
		out[m["id"].(string)] = m
	}
	return out
}

// devicesOn counts a location's connected and disconnected devices attached to pod serial.
func (e *env) devicesOn(ds, serial string) (connected, disconnected int) {
	e.t.Helper()
	_, v := e.get(e.locPath(ds, "/devices"))
	for _, x := range v.(map[string]any)["devices"].([]any) {
		d := x.(map[string]any)
		hops, _ := d["leafToRoot"].([]any)
		if len(hops) == 0 || hops[0].(map[string]any)["id"] != serial {
			continue
		}
		if d["connectionState"] == "connected" {
			connected++
		} else {
			disconnected++
		}
	}
	return connected, disconnected
}

func (e *env) locationStatus(ds string) map[string]any {
	e.t.Helper()
	_, v := e.get(e.locPath(ds, ""))
	return v.(map[string]any)["networkStatus"].(map[string]any)
}

func (e *env) pod(ds string, i int) string { return datasets[ds].Pods[i].Serial }

func wantState(t *testing.T, n map[string]any, state string, changedAt time.Time) {
	t.Helper()
	if n["connectionState"] != state || n["connectionStateChangeAt"] != iso(changedAt) {
		t.Errorf("pod %v: %v since %v, want %s since %s", n["nickname"], n["connectionState"], n["connectionStateChangeAt"], state, iso(changedAt))
	}
}

func TestRebootPod(t *testing.T) {
	t.Parallel()
	e := setup(t)
	office, bedroom := e.pod("healthy", 1), e.pod("healthy", 2)
	before := e.pods("healthy")
	if c, _ := e.devicesOn("healthy", office); c != 2 {
		t.Fatalf("Office has %d connected devices before the reboot, want 2", c)
	}
	at := e.clock.Now()
	if st, body := e.call(http.MethodPut, e.locPath("healthy", "/nodes/"+office+"/reboot"), "delay=0"); st != http.StatusNoContent || len(body) != 0 {
		t.Fatalf("reboot: %d %q, want 204 and no body", st, body)
	}

	pods := e.pods("healthy")
	wantState(t, pods[office], "disconnected", at)
	if pods[office]["connectedDeviceCount"] != 0.0 {
		t.Errorf("a rebooting pod has %v devices", pods[office]["connectedDeviceCount"])
	}
	if !reflect.DeepEqual(pods[bedroom], before[bedroom]) {
		t.Errorf("the reboot of Office changed Bedroom:\n%v\n%v", pods[bedroom], before[bedroom])
	}
	if c, d := e.devicesOn("healthy", office); c != 0 || d != 3 {
		t.Errorf("devices on Office while it reboots: %d connected, %d not; want 0 and 3 (one was off already)", c, d)
	}
	if e.locationStatus("healthy")["status"] != "online" {
		t.Error("rebooting a leaf pod took the location offline")
	}

	e.clock.Add(DefaultRebootDowntime - time.Second)
	wantState(t, e.pods("healthy")[office], "disconnected", at)

	e.clock.Add(time.Second)
	back := at.Add(DefaultRebootDowntime)
	pods = e.pods("healthy")
	wantState(t, pods[office], "connected", back)
	if pods[office]["bootAt"] != iso(back) {
		t.Errorf("bootAt = %v, want %s", pods[office]["bootAt"], iso(back))
	}
	if c, _ := e.devicesOn("healthy", office); c != 2 {
		t.Errorf("%d devices back on Office, want 2", c)
	}
	if !reflect.DeepEqual(pods[bedroom], before[bedroom]) {
		t.Errorf("Bedroom's times moved with the clock after the action:\n%v\n%v", pods[bedroom], before[bedroom])
	}
	want := []ActionRequest{{At: at, Endpoint: EndpointRebootNode, CustomerID: e.info.Locations["healthy"].CustomerID,
		LocationID: e.info.Locations["healthy"].LocationID, NodeID: office, Status: http.StatusNoContent}}
	if got := e.s.Actions(); !reflect.DeepEqual(got, want) {
		t.Errorf("Actions() = %+v\nwant %+v", got, want)
	}
}

// Rebooting the gateway cuts the location off the cloud: it goes offline and every pod with it.
func TestRebootGatewayAndLocation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, path, body string }{
		{"gateway", "/nodes/GW/reboot", ""},
		{"location", "/reboot", "delay=30"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			e.s.SetRebootDowntime(90 * time.Second)
			path := tc.path
			if tc.name == "gateway" {
				path = "/nodes/" + e.pod("healthy", 0) + "/reboot"
			}
			if st, _ := e.call(http.MethodPut, e.locPath("healthy", path), tc.body); st != http.StatusNoContent {
				t.Fatalf("reboot: %d", st)
			}
			down := e.clock.Now()
			if tc.name == "location" {
				// The delay: nothing happens for 30 s.
				e.clock.Add(29 * time.Second)
				if e.locationStatus("healthy")["status"] != "online" {
					t.Fatal("the location went down before its delay")
				}
				e.clock.Add(time.Second)
				down = e.clock.Now()
			}
			for serial, n := range e.pods("healthy") {
				if n["connectionState"] != "disconnected" {
					t.Errorf("pod %s is %v during the reboot", serial, n["connectionState"])
				}
			}
			if st := e.locationStatus("healthy"); st["status"] != "offline" || st["statusChangedAt"] != iso(down) {
				t.Errorf("location during the reboot: %v", st)
			}
			e.clock.Add(90 * time.Second)
			for _, n := range e.pods("healthy") {
				wantState(t, n, "connected", down.Add(90*time.Second))
			}
			if st := e.locationStatus("healthy"); st["status"] != "online" || st["durationOfPreviousStatus"] != 90.0 {
				t.Errorf("location after the reboot: %v", st)
			}
		})
	}
}

func TestRebootThatNeverComesBack(t *testing.T) {
	t.Parallel()
	e := setup(t)
	// A pod that was off already cannot be reached: accepted, and it stays off.
	garage := e.pod("partial", 3)
	if st, _ := e.call(http.MethodPut, e.locPath("partial", "/nodes/"+garage+"/reboot"), ""); st != http.StatusNoContent {
		t.Fatalf("reboot: %d", st)
	}
	at := e.clock.Now()
	e.clock.Add(time.Hour)
	e.token = e.fetchToken()
	p := datasets["partial"].Pods[3]
	wantState(t, e.pods("partial")[garage], "disconnected", at.Add(-p.ChangedAgo))
	// A pod without power: SetRebootDowntime(-1).
	e.s.SetRebootDowntime(-1)
	office := e.pod("healthy", 1)
	if st, _ := e.call(http.MethodPut, e.locPath("healthy", "/nodes/"+office+"/reboot"), ""); st != http.StatusNoContent {
		t.Fatalf("reboot: %d", st)
	}
	at = e.clock.Now()
	e.clock.Add(24 * time.Hour)
	e.token = e.fetchToken()
	wantState(t, e.pods("healthy")[office], "disconnected", at)
}

func TestActionErrors(t *testing.T) {
	t.Parallel()
	e := setup(t)
	office := e.pod("healthy", 1)
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"unknown pod", "PUT", e.locPath("healthy", "/nodes/"+e.pod("degraded", 1)+"/reboot"), "", 404, "NODE_NOT_FOUND"},
		{"delay too long", "PUT", e.locPath("healthy", "/reboot"), "delay=100001", 422, "INVALID_PARAMETER"},
		{"delay not a number", "PUT", e.locPath("healthy", "/nodes/"+office+"/reboot"), "delay=soon", 422, "INVALID_PARAMETER"},
		{"negative delay", "PUT", e.locPath("healthy", "/reboot"), "delay=-1", 422, "INVALID_PARAMETER"},
		{"another partner's location", "PUT", e.locPath("foreign", "/reboot"), "", 403, "FORBIDDEN"},
		{"another partner's speed test", "POST", e.locPath("foreign", "/ispSpeedTest"), "", 403, "FORBIDDEN"},
		{"unknown location", "POST", "/Customers/" + e.info.Locations["healthy"].CustomerID + "/locations/" + e.info.Locations["degraded"].LocationID + "/optimize", "", 404, "MODEL_NOT_FOUND"},
		{"reboot is a PUT", "POST", e.locPath("healthy", "/reboot"), "", 404, "NOT_FOUND"},
	}
	for _, tt := range tests {
		st, raw := e.call(tt.method, tt.path, tt.body)
		var body any
		_ = json.Unmarshal(raw, &body)
		if code, c := errCode(body); st != tt.status || code != tt.status || c != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.name, st, raw, tt.status, tt.code)
		}
	}
	if n := e.pods("healthy")[office]["connectionState"]; n != "connected" {
		t.Errorf("a refused reboot took Office down: %v", n)
	}
	// Faults per endpoint: the request is counted but never reaches the handler.
	e.s.SetFault(EndpointRebootLocation, Fault{Status: 422})
	e.s.SetFault(EndpointOptimize, Fault{Status: 403})
	if st, _ := e.call("PUT", e.locPath("healthy", "/reboot"), ""); st != 422 {
		t.Errorf("reboot with a 422 fault: %d", st)
	}
	if st, _ := e.call("POST", e.locPath("healthy", "/optimize"), ""); st != 403 {
		t.Errorf("optimize with a 403 fault: %d", st)
	}
	if e.locationStatus("healthy")["status"] != "online" {
		t.Error("a faulted reboot took the location offline")
	}
	if e.s.Requests(EndpointRebootLocation) != 5 || e.s.Requests(EndpointOptimize) != 2 {
		t.Errorf("requests: reboot %d, optimize %d", e.s.Requests(EndpointRebootLocation), e.s.Requests(EndpointOptimize))
	}
	if n := len(e.s.Actions()); n != len(tests)-1 {
		t.Errorf("%d actions logged, want %d (every request that reached a handler)", n, len(tests)-1)
	}
}

func gatewayTest(t *testing.T, e *env, ds string) map[string]any {
	t.Helper()
	return e.pods(ds)[e.pod(ds, 0)]["speedTest"].(map[string]any)
}

func TestISPSpeedTest(t *testing.T) {
	t.Parallel()
	e := setup(t)
	before := gatewayTest(t, e, "healthy")
	at := e.clock.Now()
	st, raw := e.call(http.MethodPost, e.locPath("healthy", "/ispSpeedTest"), "")
	if st != http.StatusOK || string(raw) != "{}" {
		t.Fatalf("ispSpeedTest: %d %s", st, raw)
	}
	e.clock.Add(DefaultSpeedTestDuration - time.Second)
	// From the first action on, a location's history stays put: the old result does not look new.
	if got := gatewayTest(t, e, "healthy"); !reflect.DeepEqual(got, before) {
		t.Errorf("the result changed while the test ran: %v", got)
	}
	e.clock.Add(time.Second)
	got := gatewayTest(t, e, "healthy")
	if got["startedAt"] != iso(at) || got["status"] != "succeeded" || got["trigger"] != "manual" ||
		got["download"] != 497.0 || got["upload"] != 40.4 || got["rtt"] != 9.0 {
		t.Errorf("result = %v", got)
	}

	// A location reboot during the next test makes it fail; a test started while the gateway
	// is down never runs, so the failed result stays.
	e.s.SetSpeedTestDuration(40 * time.Second)
	at2 := e.clock.Now()
	e.call(http.MethodPost, e.locPath("healthy", "/ispSpeedTest"), "")
	e.clock.Add(10 * time.Second)
	if st, _ := e.call(http.MethodPut, e.locPath("healthy", "/reboot"), ""); st != http.StatusNoContent {
		t.Fatal(st)
	}
	e.call(http.MethodPost, e.locPath("healthy", "/ispSpeedTest"), "")
	e.clock.Add(40 * time.Second)
	got = gatewayTest(t, e, "healthy")
	if got["startedAt"] != iso(at2) || got["status"] != "failed" || got["download"] != nil {
		t.Errorf("result after a reboot during the test = %v", got)
	}

	// An offline gateway never runs the test.
	off := gatewayTest(t, e, "offline")
	e.call(http.MethodPost, e.locPath("offline", "/ispSpeedTest"), "")
	e.clock.Add(time.Hour)
	e.token = e.fetchToken()
	if got := gatewayTest(t, e, "offline"); got["startedAt"] == iso(e.clock.Now().Add(-time.Hour)) || got["status"] != off["status"] {
		t.Errorf("an offline gateway produced a result: %v", got)
	}
}

func TestOptimize(t *testing.T) {
	t.Parallel()
	e := setup(t)
	st, raw := e.call(http.MethodPost, e.locPath("degraded", "/optimize"), "")
	if st != http.StatusOK || string(raw) != `"optimization requested"` {
		t.Errorf("optimize: %d %s", st, raw)
	}
	if a := e.s.Actions(); len(a) != 1 || a[0].Endpoint != EndpointOptimize || a[0].Status != 200 {
		t.Errorf("Actions() = %+v", a)
	}
}
