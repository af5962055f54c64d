package plumesim

import (
	"encoding/json"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The four actions of plume-api.md §6.4–6.5, with effects the read endpoints show: a rebooted
// pod disconnects (its devices, and the pods that reach the cloud through it, with it) and
// comes back after the reboot downtime; a location reboot takes every pod down, and the
// location offline; an ISP speed test's result appears as the gateway's speedTest after the
// speed-test duration, "failed" if the gateway went down meanwhile, never if it was offline;
// an optimization is accepted as Plume accepts it (200, a string body). Every time is on the
// server's clock (Options.Now), so a test moves the clock instead of sleeping. The state is
// the server's own; the datasets stay as they are.

// Logical endpoint names of the actions (Requests, SetFault).
const (
	EndpointRebootNode     = "rebootNode"
	EndpointRebootLocation = "rebootLocation"
	EndpointISPSpeedTest   = "ispSpeedTest"
	EndpointOptimize       = "optimize"
)

const (
	// DefaultRebootDowntime is how long a rebooted pod stays disconnected.
	DefaultRebootDowntime = 2*time.Minute + 14*time.Second
	// DefaultSpeedTestDuration is how long a speed test runs before its result shows.
	DefaultSpeedTestDuration = 8 * time.Second
	maxDelaySeconds          = 100000 // Plume's limit for the reboot delay (§6.5)
)

// ActionRequest is one action request that reached the simulator's action handlers (after any
// injected fault): what was asked and what was answered.
type ActionRequest struct {
	At         time.Time // on the server's clock
	Endpoint   string    // EndpointRebootNode, …
	CustomerID string
	LocationID string
	NodeID     string // EndpointRebootNode
	Delay      int    // seconds, reboots
	Status     int    // the HTTP status answered
}

// reboot is one accepted reboot: pods (indexes; nil = all) disconnect at down and, unless
// never, reconnect at up.
type reboot struct {
	pods     []int
	down, up time.Time
	never    bool
}

// speedRun is one accepted ISP speed test of a location.
type speedRun struct {
	start, done time.Time
	n           int // runs so far at this location: varies the figures a little
}

// actionState is the simulator's memory of actions; its zero value is ready.
type actionState struct {
	mu        sync.Mutex
	downtime  time.Duration // 0: DefaultRebootDowntime; < 0: rebooted pods stay down
	speedTime time.Duration // 0: DefaultSpeedTestDuration
	reboots   map[string][]reboot
	speeds    map[string][]speedRun
	first     map[string]time.Time // a dataset's first action: its history stops moving with the clock
	log       []ActionRequest
}

func init() {
	routes = append(routes,
		rt(EndpointRebootNode, http.MethodPut, loc+"nodes/*/reboot", handleRebootNode),
		rt(EndpointRebootLocation, http.MethodPut, loc+"reboot", handleRebootLocation),
		rt(EndpointISPSpeedTest, http.MethodPost, loc+"ispspeedtest", handleISPSpeedTest),
		rt(EndpointOptimize, http.MethodPost, loc+"optimize", handleOptimize),
	)
}

// SetRebootDowntime sets how long pods rebooted from now on stay disconnected; d < 0 makes
// them stay down (a pod without power), 0 restores DefaultRebootDowntime.
func (s *Server) SetRebootDowntime(d time.Duration) {
	s.acts.mu.Lock()
	defer s.acts.mu.Unlock()
	s.acts.downtime = d
}

// SetSpeedTestDuration sets how long speed tests started from now on run; 0 restores
// DefaultSpeedTestDuration.
func (s *Server) SetSpeedTestDuration(d time.Duration) {
	s.acts.mu.Lock()
	defer s.acts.mu.Unlock()
	s.acts.speedTime = d
}

// Actions returns every action request that reached the action handlers, oldest first.
// Requests answered by an injected fault are counted by Requests, not listed here.
func (s *Server) Actions() []ActionRequest {
	s.acts.mu.Lock()
	defer s.acts.mu.Unlock()
	return slices.Clone(s.acts.log)
}

func (s *Server) logAction(a ActionRequest) {
	s.acts.mu.Lock()
	defer s.acts.mu.Unlock()
	s.acts.log = append(s.acts.log, a)
}

// actionsKey is part of a location body's cache key. A location no action touched keeps the
// per-second cache; one that was acted on is rendered at the exact time of each request (no
// cache), so that a reboot shows at once and a pod is back to the millisecond, as Plume's
// timestamps have it.
func (s *Server) actionsKey(d *dataset) string {
	s.acts.mu.Lock()
	defer s.acts.mu.Unlock()
	if _, ok := s.acts.first[d.Name]; !ok {
		return ""
	}
	return "|a" + strconv.FormatInt(s.now().UnixNano(), 10)
}

// actionBody renders a location body after the actions on it (see actionsKey).
func (s *Server) actionBody(d *dataset, body func(*dataset, time.Time) any) func(time.Time) any {
	return func(now time.Time) any {
		s.acts.mu.Lock()
		_, touched := s.acts.first[d.Name]
		s.acts.mu.Unlock()
		if touched {
			now = s.now().UTC()
		}
		return s.withSpeedTest(d, body(s.afterActions(d, now), now), now)
	}
}

// formValue reads one field of a urlencoded or JSON body (LoopBack accepts both).
func formValue(w http.ResponseWriter, r *http.Request, name string) (string, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			return "", false
		}
		switch v := body[name].(type) {
		case string:
			return v, true
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), true
		}
		return "", true
	}
	if err := r.ParseForm(); err != nil {
		return "", false
	}
	return r.PostForm.Get(name), true
}

// rebootDelay parses the delay form field: whole seconds 0–100000, absent meaning 0.
func rebootDelay(w http.ResponseWriter, r *http.Request) (int, bool) {
	v, ok := formValue(w, r, "delay")
	if !ok {
		writeLoopBack(w, http.StatusBadRequest, "Malformed body", "BAD_REQUEST")
		return 0, false
	}
	if v == "" {
		return 0, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > maxDelaySeconds {
		writeLoopBack(w, http.StatusUnprocessableEntity, "delay must be an integer between 0 and 100000", "INVALID_PARAMETER")
		return 0, false
	}
	return n, true
}

// statusOf is the status an action handler answered (statusWriter records it).
func statusOf(w http.ResponseWriter) int {
	if sw, ok := w.(*statusWriter); ok {
		return sw.status
	}
	return 0
}

func handleRebootNode(s *Server, w http.ResponseWriter, r *http.Request, p []string) {
	a := ActionRequest{At: s.now(), Endpoint: EndpointRebootNode, CustomerID: p[0], LocationID: p[1], NodeID: p[2]}
	defer func() { a.Status = statusOf(w); s.logAction(a) }()
	d := s.resolve(w, p[0], p[1])
	if d == nil {
		return
	}
	i := slices.IndexFunc(d.Pods, func(pod simPod) bool { return strings.EqualFold(pod.Serial, p[2]) })
	if i < 0 {
		writeLoopBack(w, http.StatusNotFound, "Node "+strconv.Quote(p[2])+" not found in this location", "NODE_NOT_FOUND")
		return
	}
	delay, ok := rebootDelay(w, r)
	if !ok {
		return
	}
	a.Delay = delay
	s.addReboot(d, []int{i}, a.At, delay)
	w.WriteHeader(http.StatusNoContent)
}

func handleRebootLocation(s *Server, w http.ResponseWriter, r *http.Request, p []string) {
	a := ActionRequest{At: s.now(), Endpoint: EndpointRebootLocation, CustomerID: p[0], LocationID: p[1]}
	defer func() { a.Status = statusOf(w); s.logAction(a) }()
	d := s.resolve(w, p[0], p[1])
	if d == nil {
		return
	}
	delay, ok := rebootDelay(w, r)
	if !ok {
		return
	}
	a.Delay = delay
	s.addReboot(d, nil, a.At, delay)
	w.WriteHeader(http.StatusNoContent)
}

func handleISPSpeedTest(s *Server, w http.ResponseWriter, r *http.Request, p []string) {
	a := ActionRequest{At: s.now(), Endpoint: EndpointISPSpeedTest, CustomerID: p[0], LocationID: p[1]}
	defer func() { a.Status = statusOf(w); s.logAction(a) }()
	d := s.resolve(w, p[0], p[1])
	if d == nil {
		return
	}
	s.acts.mu.Lock()
	dur := s.acts.speedTime
	if dur <= 0 {
		dur = DefaultSpeedTestDuration
	}
	if s.acts.speeds == nil {
		s.acts.speeds = map[string][]speedRun{}
	}
	s.acts.anchor(d, a.At)
	runs := s.acts.speeds[d.Name]
	start := a.At
	s.acts.speeds[d.Name] = append(runs, speedRun{start: start, done: start.Add(dur), n: len(runs) + 1})
	s.acts.mu.Unlock()
	// Plume publishes no body for this call; an empty object is the simulator's choice.
	writeJSON(w, http.StatusOK, obj{})
}

func handleOptimize(s *Server, w http.ResponseWriter, r *http.Request, p []string) {
	a := ActionRequest{At: s.now(), Endpoint: EndpointOptimize, CustomerID: p[0], LocationID: p[1]}
	defer func() { a.Status = statusOf(w); s.logAction(a) }()
	if d := s.resolve(w, p[0], p[1]); d != nil {
		// Plume's schema types the 200 body as a string (opensync-api CustomerPrototypeOptimizeOK).
		writeJSON(w, http.StatusOK, "optimization requested")
	}
}

// anchor notes a dataset's first action; a.mu is held.
func (a *actionState) anchor(d *dataset, at time.Time) {
	if a.first == nil {
		a.first = map[string]time.Time{}
	}
	if _, ok := a.first[d.Name]; !ok {
		a.first[d.Name] = at
	}
}

func (s *Server) addReboot(d *dataset, pods []int, at time.Time, delay int) {
	s.acts.mu.Lock()
	defer s.acts.mu.Unlock()
	down := at.Add(time.Duration(delay) * time.Second)
	rb := reboot{pods: pods, down: down}
	switch {
	case s.acts.downtime < 0:
		rb.never = true
	case s.acts.downtime == 0:
		rb.up = down.Add(DefaultRebootDowntime)
	default:
		rb.up = down.Add(s.acts.downtime)
	}
	if s.acts.reboots == nil {
		s.acts.reboots = map[string][]reboot{}
	}
	s.acts.anchor(d, at)
	s.acts.reboots[d.Name] = append(s.acts.reboots[d.Name], rb)
}

// podState is where the actions leave one pod at some time: touched by a reboot (its own or
// an ancestor's), down since since, or back since since.
type podState struct {
	touched, down, rebooted bool
	since                   time.Time
}

// afterActions is d as the read endpoints show it at now, after the actions on it: d itself
// when no action touched it, else a copy.
func (s *Server) afterActions(d *dataset, now time.Time) *dataset {
	s.acts.mu.Lock()
	rbs, runs, first := s.acts.reboots[d.Name], s.acts.speeds[d.Name], s.acts.first[d.Name]
	s.acts.mu.Unlock()
	if len(rbs) == 0 && len(runs) == 0 {
		return d
	}
	c := *d
	c.Pods, c.Devices = slices.Clone(d.Pods), slices.Clone(d.Devices)
	// A dataset's times are durations before now, so its history moves with the clock; from
	// the first action on it stays where it was, as a real location's does, so that a newer
	// time always means something happened.
	if shift := now.Sub(first); shift > 0 {
		for i := range c.Pods {
			c.Pods[i].ChangedAgo += shift
			c.Pods[i].BootAgo += shift
		}
		for i := range c.Devices {
			c.Devices[i].ChangedAgo += shift
		}
		c.StatusChangedAgo += shift
		c.SpeedAgo += shift
	}
	states := make([]podState, len(c.Pods))
	for i := range c.Pods {
		states[i] = podAt(d, rbs, i, now)
		p := &c.Pods[i]
		switch st := states[i]; {
		case !st.touched || !p.Connected:
			// Untouched, or a pod that was off already: a reboot cannot reach it.
		case st.down:
			p.Connected, p.ChangedAgo = false, now.Sub(st.since)
		default:
			p.ChangedAgo = now.Sub(st.since)
			if st.rebooted {
				p.BootAgo = p.ChangedAgo
			}
		}
	}
	for i := range c.Devices {
		dv := &c.Devices[i]
		st := states[dv.Pod]
		if !st.touched || !dv.Connected || !d.Pods[dv.Pod].Connected {
			continue
		}
		dv.Connected, dv.ChangedAgo = !st.down, now.Sub(st.since)
	}
	if gw := slices.IndexFunc(d.Pods, func(p simPod) bool { return p.Gateway }); gw >= 0 && d.Online && states[gw].touched {
		c.Online, c.StatusChangedAgo = !states[gw].down, now.Sub(states[gw].since)
		if !states[gw].down {
			c.PrevStatusSeconds = int(states[gw].since.Sub(downSince(d, rbs, gw, now)).Seconds())
		}
	}
	if r, _, ok := speedResult(d, rbs, runs, now); ok {
		c.SpeedAgo = now.Sub(r.start)
		f := 1 - 0.03*float64(r.n%3)
		c.SpeedDown, c.SpeedUp = round1(d.SpeedDown*f), round1(d.SpeedUp*f)
	}
	return &c
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }

// podAt folds the reboots that reach pod i (its own, its ancestors', the location's) into its
// state at now: the latest one that has begun decides.
func podAt(d *dataset, rbs []reboot, i int, now time.Time) podState {
	var st podState
	var latest time.Time
	for _, rb := range rbs {
		own, reaches := rb.reaches(d, i)
		if !reaches || rb.down.After(now) || rb.down.Before(latest) {
			continue
		}
		latest = rb.down
		st = podState{touched: true, rebooted: own}
		if rb.never || now.Before(rb.up) {
			st.down, st.since = true, rb.down
		} else {
			st.since = rb.up
		}
	}
	return st
}

// downSince is when the down spell that ended with pod i's last return began.
func downSince(d *dataset, rbs []reboot, i int, now time.Time) time.Time {
	var t time.Time
	for _, rb := range rbs {
		if _, reaches := rb.reaches(d, i); reaches && !rb.down.After(now) && rb.down.After(t) {
			t = rb.down
		}
	}
	return t
}

// reaches reports whether rb takes pod i down: it reboots i (own) or a pod i reaches the cloud
// through.
func (rb reboot) reaches(d *dataset, i int) (own, reaches bool) {
	if rb.pods == nil {
		return true, true
	}
	for j := i; j >= 0; j = d.Pods[j].Parent {
		if slices.Contains(rb.pods, j) {
			return j == i, true
		}
	}
	return false, false
}

// speedResult is the newest speed test that produced a result by now, and its outcome:
// "failed" when the gateway went down while it ran. A run started while the gateway was down
// never ran and produces none, so the result before it stays.
func speedResult(d *dataset, rbs []reboot, runs []speedRun, now time.Time) (speedRun, string, bool) {
	gw := slices.IndexFunc(d.Pods, func(p simPod) bool { return p.Gateway })
	if gw < 0 || !d.Pods[gw].Connected || !d.Online {
		return speedRun{}, "", false
	}
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		if r.done.After(now) || podAt(d, rbs, gw, r.start).down {
			continue
		}
		for _, rb := range rbs {
			if _, reaches := rb.reaches(d, gw); reaches && rb.down.Before(r.done) && (rb.never || rb.up.After(r.start)) {
				return r, "failed", true
			}
		}
		return r, "succeeded", true
	}
	return speedRun{}, "", false
}

// withSpeedTest rewrites the gateway's speedTest in a nodes body after an on-demand run: its
// trigger, its outcome, and no figures when it failed. Other bodies pass through.
func (s *Server) withSpeedTest(d *dataset, body any, now time.Time) any {
	s.acts.mu.Lock()
	rbs, runs := s.acts.reboots[d.Name], s.acts.speeds[d.Name]
	s.acts.mu.Unlock()
	r, outcome, ok := speedResult(d, rbs, runs, now)
	top, isObj := body.(obj)
	if !ok || !isObj {
		return body
	}
	list, isList := top["nodes"].([]obj)
	if inner, wrapped := top["nodes"].(obj); wrapped {
		list, isList = inner["nodes"].([]obj)
	}
	if !isList {
		return body
	}
	for _, n := range list {
		if st, ok := n["speedTest"].(obj); ok {
			st["startedAt"], st["trigger"], st["status"] = iso(r.start), "manual", outcome
			if outcome == "failed" {
				st["download"], st["upload"], st["rtt"] = nil, nil, nil
			}
		}
	}
	return body
}
