package plumesim

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// liveView is what a client sees of a location's state: the network status and when it
// changed, each pod's state and when it changed, and how many devices are connected.
type liveView struct {
	status string
	since  string
	pods   []string // "<nickname> connected|disconnected <connectionStateChangeAt>"
	online int      // connected devices
}

func (e *env) view(ds string) liveView {
	e.t.Helper()
	var v liveView
	st, loc := e.get(e.locPath(ds, ""))
	if st != http.StatusOK {
		e.t.Fatalf("%s: location %d", ds, st)
	}
	ns := loc.(map[string]any)["networkStatus"].(map[string]any)
	v.status, v.since = ns["status"].(string), ns["statusChangedAt"].(string)
	_, nodes := e.get(e.locPath(ds, "/nodes"))
	for _, n := range nodes.(map[string]any)["nodes"].([]any) {
		n := n.(map[string]any)
		v.pods = append(v.pods, fmt.Sprintf("%s %s %s", n["nickname"], n["connectionState"], n["connectionStateChangeAt"]))
	}
	_, devices := e.get(e.locPath(ds, "/devices"))
	for _, d := range devices.(map[string]any)["devices"].([]any) {
		if d.(map[string]any)["connectionState"] == "connected" {
			v.online++
		}
	}
	return v
}

func (e *env) control(method, path string) int {
	e.t.Helper()
	req, _ := http.NewRequest(method, strings.TrimSuffix(e.info.ControlURL, "/_sim")+path, nil)
	st, _ := e.doRaw(req)
	return st
}

func (e *env) wantView(ds, status, since string, online int, pods ...string) {
	e.t.Helper()
	v := e.view(ds)
	if v.status != status || v.since != since || v.online != online || strings.Join(v.pods, "; ") != strings.Join(pods, "; ") {
		e.t.Fatalf("%s: status %s since %s, %d devices online, pods %q\nwant %s since %s, %d devices online, pods %q",
			ds, v.status, v.since, v.online, v.pods, status, since, online, pods)
	}
}

// TestControl takes a location and its pods down and up through the control endpoints, and
// every read endpoint shows it, dated on the server's clock.
func TestControl(t *testing.T) {
	t.Parallel()
	e := setup(t)
	l := e.info.Locations["healthy"]
	at := func(d time.Duration) string { return iso(testNow.Add(d)) }
	before := e.view("healthy")
	if before.status != "online" || before.online != 10 {
		t.Fatalf("healthy before: %+v", before)
	}
	requests := e.s.Requests("")

	e.clock.Add(time.Minute)
	if st := e.control(http.MethodPost, "/_sim/locations/"+l.LocationID+"/down"); st != http.StatusNoContent {
		t.Fatalf("location down: %d", st)
	}
	e.wantView("healthy", "offline", at(time.Minute), 0,
		"Living room disconnected "+at(time.Minute), "Office disconnected "+at(time.Minute), "Bedroom disconnected "+at(time.Minute))

	e.clock.Add(time.Minute) // a pod taken down while the location is down stays down after it
	office := serialFor("healthy", 1)
	if st := e.control(http.MethodPost, "/_sim/pods/"+strings.ToLower(office)+"/down"); st != http.StatusNoContent {
		t.Fatalf("pod down: %d", st)
	}
	e.clock.Add(time.Minute)
	if st := e.control(http.MethodPost, "/_sim/locations/"+strings.ToUpper(l.LocationID)+"/up"); st != http.StatusNoContent {
		t.Fatalf("location up: %d", st)
	}
	// Office's two connected devices went with it.
	e.wantView("healthy", "online", at(3*time.Minute), 8,
		"Living room connected "+at(3*time.Minute), "Office disconnected "+at(2*time.Minute), "Bedroom connected "+at(3*time.Minute))

	e.clock.Add(time.Minute)
	if err := e.s.SetPodConnected(office, true); err != nil {
		t.Fatal(err)
	}
	e.wantView("healthy", "online", at(3*time.Minute), 10,
		"Living room connected "+at(3*time.Minute), "Office connected "+at(4*time.Minute), "Bedroom connected "+at(3*time.Minute))

	// Saying the same again changes nothing, not even the time.
	e.clock.Add(time.Minute)
	if err := e.s.SetLocationOnline(l.LocationID, true); err != nil {
		t.Fatal(err)
	}
	if v := e.view("healthy"); v.since != at(3*time.Minute) {
		t.Errorf("online again moved the status time to %s", v.since)
	}
	// Another location is untouched.
	if v := e.view("partial"); v.status != "online" || !strings.Contains(strings.Join(v.pods, ";"), "Garage disconnected") {
		t.Errorf("partial changed: %+v", v)
	}

	for _, c := range []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, "/_sim/locations/000000000000000000000000/down", http.StatusNotFound},
		{http.MethodPost, "/_sim/pods/NOSUCHPOD/up", http.StatusNotFound},
		{http.MethodPost, "/_sim/locations/" + l.LocationID + "/sideways", http.StatusNotFound},
		{http.MethodPost, "/_sim/customers/" + l.CustomerID + "/down", http.StatusNotFound},
		{http.MethodGet, "/_sim/locations/" + l.LocationID + "/down", http.StatusMethodNotAllowed},
	} {
		if st := e.control(c.method, c.path); st != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, st, c.want)
		}
	}
	// 12 reads of the three views above; the control calls are not Plume requests.
	if got := e.s.Requests("") - requests; got != 15 {
		t.Errorf("%d requests counted, want the 15 reads only", got)
	}
}

// TestFlappingScript: the flapping dataset is offline for the last 20 s of every 40 s, its
// pods with it, and a control call holds only until the script's next change.
func TestFlappingScript(t *testing.T) {
	t.Parallel()
	e := setup(t)
	start := testNow.Truncate(FlapPeriod) // a period began here: online for 20 s, then offline
	step := func(to time.Duration) { e.clock.Add(start.Add(to).Sub(e.clock.Now())) }
	pods := func(state string, since time.Duration) []string {
		s := iso(start.Add(since))
		return []string{"Living room " + state + " " + s, "Office " + state + " " + s, "Bedroom " + state + " " + s}
	}
	step(0)
	e.wantView("flapping", "online", iso(start), 5, pods("connected", 0)...)
	step(25 * time.Second)
	e.wantView("flapping", "offline", iso(start.Add(20*time.Second)), 0, pods("disconnected", 20*time.Second)...)
	step(45 * time.Second) // the next period
	e.wantView("flapping", "online", iso(start.Add(40*time.Second)), 5, pods("connected", 40*time.Second)...)
	_, loc := e.get(e.locPath("flapping", ""))
	if prev := loc.(map[string]any)["networkStatus"].(map[string]any)["durationOfPreviousStatus"]; prev != float64(20) {
		t.Errorf("durationOfPreviousStatus %v, want 20", prev)
	}
	if err := e.s.SetLocationOnline(e.info.Locations["flapping"].LocationID, false); err != nil { // down by hand
		t.Fatal(err)
	}
	step(55 * time.Second) // still down by hand: the script says online until 60 s
	e.wantView("flapping", "offline", iso(start.Add(45*time.Second)), 0, pods("disconnected", 45*time.Second)...)
	step(85 * time.Second) // the script's third period: online since 80 s
	e.wantView("flapping", "online", iso(start.Add(80*time.Second)), 5, pods("connected", 80*time.Second)...)
}
