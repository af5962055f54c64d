package plumesim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Live state: a location's state can change while the simulator runs. A test or an operator
// takes a location or a pod down and up (SetLocationOnline, SetPodConnected, or the control
// endpoints below), and the "flapping" dataset goes offline and online on a fixed cycle
// (flapping.go), so the watcher, its tests, the benchmark and the demo see real transitions.
// The state is the server's own (the datasets stay as they are), on its clock (Options.Now),
// and every read endpoint of the location shows it: the location's networkStatus, its pods'
// and its devices' connectionState, and the times they changed.
//
// A location taken down is offline with every pod disconnected (the cloud loses them all);
// brought up, it is online with every pod connected, except pods taken down on their own. A
// pod taken down is disconnected, with the devices it served; brought up, it is connected.

// ControlPrefix starts the path of the control endpoints, which are not Plume's: POST
// /_sim/locations/{locationId}/down and …/up, POST /_sim/pods/{serial}/down and …/up.
// They answer 204, or 404 for a location or pod the simulator does not have; they need no
// token, take no fault and are not counted by Requests.
const ControlPrefix = "/_sim/"

// spell is a state set by the control: down or up since a time.
type spell struct {
	down  bool
	since time.Time
	prev  time.Time // since of the spell before (location only: durationOfPreviousStatus)
}

// liveState is the simulator's control state; its zero value is ready.
type liveState struct {
	mu      sync.Mutex
	version int              // changes with every control call: part of the body cache key
	locs    map[string]spell // by dataset name
	pods    map[string]spell // by serial, upper case
}

// SetLocationOnline takes the location with locationID offline (online false) or brings it
// back online, from now on the server's clock.
func (s *Server) SetLocationOnline(locationID string, online bool) error {
	d := byLocation(locationID)
	if d == nil {
		return fmt.Errorf("plumesim: no location %q", locationID)
	}
	now := s.now()
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	if s.ctl.locs == nil {
		s.ctl.locs = map[string]spell{}
	}
	prev, ok := s.ctl.locs[d.Name]
	if !ok {
		prev = spell{down: !d.Online, since: now.Add(-d.StatusChangedAgo)}
		if sc, scripted := scripts[d.Name]; scripted {
			prev = sc.at(now)
		}
	}
	if prev.down == !online {
		return nil // already so: the time it changed stays
	}
	s.ctl.locs[d.Name] = spell{down: !online, since: now, prev: prev.since}
	s.ctl.version++
	return nil
}

// SetPodConnected disconnects the pod with serial (connected false) or reconnects it, from
// now on the server's clock.
func (s *Server) SetPodConnected(serial string, connected bool) error {
	key := strings.ToUpper(serial)
	if _, ok := bySerial[key]; !ok {
		return fmt.Errorf("plumesim: no pod %q", serial)
	}
	now := s.now()
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	if s.ctl.pods == nil {
		s.ctl.pods = map[string]spell{}
	}
	if cur, ok := s.ctl.pods[key]; ok && cur.down == !connected {
		return nil
	}
	s.ctl.pods[key] = spell{down: !connected, since: now}
	s.ctl.version++
	return nil
}

func byLocation(locationID string) *dataset {
	for _, d := range datasets {
		if strings.EqualFold(d.LocationID, locationID) {
			return d
		}
	}
	return nil
}

// liveKey is part of a location body's cache key: bodies rendered before a control call are
// not served after it.
func (s *Server) liveKey() string {
	s.ctl.mu.Lock()
	defer s.ctl.mu.Unlock()
	return "|l" + strconv.Itoa(s.ctl.version)
}

// live is d as the read endpoints show it at now, after the control calls and the script:
// d itself when nothing changed it, else a copy.
func (s *Server) live(d *dataset, now time.Time) *dataset {
	s.ctl.mu.Lock()
	loc, hasLoc := s.ctl.locs[d.Name]
	var pods map[int]spell
	for i, p := range d.Pods {
		if sp, ok := s.ctl.pods[strings.ToUpper(p.Serial)]; ok {
			if pods == nil {
				pods = map[int]spell{}
			}
			pods[i] = sp
		}
	}
	s.ctl.mu.Unlock()
	if sc, ok := scripts[d.Name]; ok && (!hasLoc || loc.since.Before(sc.at(now).since)) {
		loc, hasLoc = sc.at(now), true // the script goes on after a control call
	}
	if !hasLoc && pods == nil {
		return d
	}
	c := *d
	c.Pods, c.Devices = slices.Clone(d.Pods), slices.Clone(d.Devices)
	if hasLoc {
		c.Online, c.StatusChangedAgo = !loc.down, now.Sub(loc.since)
		if !loc.prev.IsZero() {
			c.PrevStatusSeconds = int(loc.since.Sub(loc.prev).Seconds())
		}
	}
	for i := range c.Pods {
		p := &c.Pods[i]
		own, byCtl := pods[i]
		switch {
		case byCtl:
		case hasLoc: // back with the location (or lost with it, below)
			own = spell{since: loc.since}
		default:
			continue
		}
		p.Connected, p.ChangedAgo = !own.down, now.Sub(own.since)
		if hasLoc && loc.down && (p.Connected || own.since.After(loc.since)) {
			p.Connected, p.ChangedAgo = false, now.Sub(loc.since)
		}
	}
	for i := range c.Devices {
		dv, pod := &c.Devices[i], c.Pods[c.Devices[i].Pod]
		switch {
		case !dv.Connected:
		case !pod.Connected:
			dv.Connected, dv.ChangedAgo = false, pod.ChangedAgo
		case pod.ChangedAgo < dv.ChangedAgo:
			dv.ChangedAgo = pod.ChangedAgo // it came back with its pod
		}
	}
	return &c
}

// control serves the control endpoints; it reports whether the path was one of them.
func (s *Server) control(w http.ResponseWriter, r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.Path, ControlPrefix)
	if !ok {
		return false
	}
	segs := strings.Split(rest, "/")
	if len(segs) != 3 || (segs[2] != "down" && segs[2] != "up") {
		http.Error(w, "control endpoints: POST /_sim/locations/{locationId}/down|up, POST /_sim/pods/{serial}/down|up", http.StatusNotFound)
		return true
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return true
	}
	up := segs[2] == "up"
	var err error
	switch segs[0] {
	case "locations":
		err = s.SetLocationOnline(segs[1], up)
	case "pods":
		err = s.SetPodConnected(segs[1], up)
	default:
		err = fmt.Errorf("plumesim: no control for %q", segs[0])
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return true
	}
	s.log.Info("plumesim control", "what", segs[0], "id", segs[1], "state", segs[2])
	w.WriteHeader(http.StatusNoContent)
	return true
}
