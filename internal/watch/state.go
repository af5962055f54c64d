package watch

import (
	"maps"
	"slices"
	"strings"
	"time"

	"plumebot/internal/health"
)

// A location's state is a set of facts, each held and announced on its own: "loc" (1
// online, 0 offline, by health's rule), "level" (a health.Level) and "pod:<serial>" (1
// connected, 0 not).
const (
	factLoc   = "loc"
	factLevel = "level"
	factPod   = "pod:"
)

type fact struct {
	V     int       `json:"v"`
	Since time.Time `json:"since,omitzero"` // when it took this value: Plume's time, else first seen
}

type facts map[string]fact

func (f facts) level() health.Level { return health.Level(f[factLevel].V) }
func (f facts) online() bool        { return f[factLoc].V == 1 }

// pending is a change seen but not yet confirmed by the hold.
type pending struct {
	V     int       `json:"v"`
	Count int       `json:"n"`              // consecutive checks that saw it
	First time.Time `json:"first"`          // the first of them
	Since time.Time `json:"since,omitzero"` // Plume's time of the change, when given
}

// observation is what one successful reading says.
type observation struct {
	facts   facts
	names   map[string]string
	gateway string
	name    string
	tz      string // the location's IANA time zone (geoIp), "" unknown
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// observe applies health's rules to a reading: the same levels as /health, from the
// location (status, service level) and its pods alone (health.AnalyzeLocation).
func observe(rd Reading, now time.Time) observation {
	rep := health.AnalyzeLocation(rd.Location, rd.Nodes, now)
	online := rep.Level != health.LevelOffline
	o := observation{facts: facts{}, names: map[string]string{}, name: rep.LocationName,
		tz: rd.Location.GeoIP.Timezone}
	// Plume's statusChangedAt dates the network status; it dates our fact only when the
	// two agree (offline can also mean "no pod connected" while the status says online).
	var since time.Time
	if st := rep.NetworkStatus; (st == "offline") == !online && !rep.StatusSince.After(now) {
		since = rep.StatusSince
	}
	o.facts[factLoc] = fact{V: b2i(online), Since: since}
	o.facts[factLevel] = fact{V: int(rep.Level)}
	for _, p := range rep.Pods {
		var since time.Time
		if !p.Since.After(now) {
			since = p.Since
		}
		o.facts[factPod+p.Serial] = fact{V: b2i(p.Connected()), Since: since}
		o.names[p.Serial] = p.Name
		if p.Gateway {
			o.gateway = p.Serial
		}
	}
	return o
}

// apply folds a successful reading taken at now into r and queues the alerts it causes.
// The first reading is the baseline: nothing is announced about the state a watch starts in.
func (r *record) apply(o observation, now time.Time, c *Config) {
	if r.Name == "" {
		r.Name = o.name
	}
	if o.tz != "" {
		r.TimeZone = o.tz
	}
	r.PodNames, r.Gateway = o.names, o.gateway
	r.LastErr, r.Fails, r.FailFor = "", 0, ""
	if r.Confirmed == nil {
		r.Confirmed, r.Announced, r.Pending = maps.Clone(o.facts), maps.Clone(o.facts), nil
		return
	}
	changed := r.confirm(o.facts, now, c)
	r.trackFlaps(changed, now, c)
	r.queue(r.announce(now, c), now)
}

// confirm moves each fact that has held its new value long enough into Confirmed and
// returns the keys that changed. New pods are adopted silently; removed pods forgotten.
func (r *record) confirm(obs facts, now time.Time, c *Config) []string {
	if r.Pending == nil {
		r.Pending = map[string]pending{}
	}
	var changed []string
	for _, k := range slices.Sorted(maps.Keys(obs)) {
		v := obs[k]
		cur, known := r.Confirmed[k]
		switch {
		case !known:
			r.Confirmed[k] = v
			if _, ok := r.Announced[k]; !ok {
				r.Announced[k] = v
			}
			delete(r.Pending, k)
			continue
		case v.V == cur.V:
			delete(r.Pending, k) // a change that reverted before it held: a flap, never announced
			continue
		}
		p, ok := r.Pending[k]
		if !ok || p.V != v.V {
			p = pending{V: v.V, First: now}
		}
		p.Count++
		if !v.Since.IsZero() {
			p.Since = v.Since
		}
		held := p.Count >= c.HoldChecks
		if c.HoldTime > 0 {
			held = p.Count >= 2 && now.Sub(p.First) >= c.HoldTime
		}
		if !held {
			r.Pending[k] = p
			continue
		}
		at := p.Since
		if at.IsZero() {
			at = p.First
		}
		r.Confirmed[k] = fact{V: v.V, Since: at}
		delete(r.Pending, k)
		changed = append(changed, k)
	}
	for k := range r.Confirmed {
		if _, ok := obs[k]; !ok {
			delete(r.Confirmed, k)
			delete(r.Announced, k)
			delete(r.Pending, k)
		}
	}
	return changed
}

// trackFlaps counts outages (the location going offline, or a pod disconnecting while it
// stays online; at most one per check) within FlapWindow, and says when the location
// starts flapping (more than FlapLimit) and when it is stable again (no change for StableAfter).
func (r *record) trackFlaps(changed []string, now time.Time, c *Config) {
	bad := false
	for _, k := range changed {
		r.LastChange = now
		if r.Confirmed[k].V == 0 && (k == factLoc || strings.HasPrefix(k, factPod) && r.Confirmed.online()) {
			bad = true
		}
	}
	if bad {
		r.Flaps = append(r.Flaps, now)
	}
	r.Flaps = slices.DeleteFunc(r.Flaps, func(t time.Time) bool { return now.Sub(t) > c.FlapWindow })
	if !r.Flapping && bad && len(r.Flaps) > c.FlapLimit {
		r.Flapping, r.FlapSince = true, now
	}
	if r.Flapping && now.Sub(r.LastChange) >= c.StableAfter {
		r.Flapping = false
	}
}

// announce compares what the chat was told with the confirmed state and returns the
// alerts that say the difference, updating Announced. A snooze holds everything back
// (Announced stays, so the net change is told when it ends); flapping is told once.
func (r *record) announce(now time.Time, c *Config) []Alert {
	if r.Snoozed(now) {
		return nil
	}
	if r.Flapping {
		if r.FlapAnnounced {
			return nil
		}
		r.FlapAnnounced = true
		return []Alert{{Kind: KindFlapping, At: r.FlapSince, Flaps: len(r.Flaps),
			Level: r.Confirmed.level(), PrevLevel: r.Announced.level()}}
	}
	if r.FlapAnnounced {
		r.FlapAnnounced = false
		a := Alert{Kind: KindStable, At: r.LastChange, Duration: now.Sub(r.FlapSince), Online: r.Confirmed.online(),
			Pods: r.pods(r.Confirmed, 0), Level: r.Confirmed.level(), PrevLevel: r.Announced.level()}
		r.Announced = maps.Clone(r.Confirmed)
		return []Alert{a}
	}
	return r.diff()
}

func (r *record) diff() []Alert {
	A, C := r.Announced, r.Confirmed
	base := Alert{Level: C.level(), PrevLevel: A.level()}
	switch aOn, cOn := A.online(), C.online(); {
	case aOn && !cOn:
		// Pods stay as announced before the outage: when it ends, they are compared with that.
		a := base
		a.Kind, a.At = KindOffline, C[factLoc].Since
		A[factLoc], A[factLevel] = C[factLoc], C[factLevel]
		return []Alert{a}
	case !aOn && cOn:
		a := base
		a.Kind, a.At, a.Pods = KindOnline, C[factLoc].Since, r.pods(C, 0)
		if from := A[factLoc].Since; !from.IsZero() && a.At.After(from) {
			a.Duration = a.At.Sub(from)
		}
		r.Announced = maps.Clone(C)
		return []Alert{a}
	case !aOn:
		A[factLevel] = C[factLevel]
		return nil
	}
	var down, up []PodChange
	for _, p := range r.pods(C, -1) {
		k := factPod + p.Serial
		switch was, now := A[k].V, C[k].V; {
		case was == 1 && now == 0:
			down = append(down, p)
		case was == 0 && now == 1:
			up = append(up, p)
		}
		A[k] = C[k]
	}
	var alerts []Alert
	for _, g := range []struct {
		kind Kind
		pods []PodChange
	}{{KindPodDown, down}, {KindPodUp, up}} {
		if len(g.pods) > 0 {
			a := base
			a.Kind, a.Pods, a.At = g.kind, g.pods, earliest(g.pods)
			alerts = append(alerts, a)
		}
	}
	if len(alerts) == 0 && r.Mode == ModeLevels && base.Level != base.PrevLevel {
		a := base
		a.Kind, a.At = KindLevelBetter, C[factLevel].Since
		if a.Level > a.PrevLevel {
			a.Kind = KindLevelWorse
		}
		alerts = append(alerts, a)
	}
	A[factLevel] = C[factLevel]
	return alerts
}

// pods lists the pods of f whose value is v (-1: all), gateway first, then by name.
func (r *record) pods(f facts, v int) []PodChange {
	var out []PodChange
	for k, p := range f {
		serial, ok := strings.CutPrefix(k, factPod)
		if !ok || v >= 0 && p.V != v {
			continue
		}
		name := r.PodNames[serial]
		if name == "" {
			name = serial
		}
		out = append(out, PodChange{Serial: serial, Name: name, Since: p.Since, Gateway: serial == r.Gateway})
	}
	slices.SortFunc(out, func(a, b PodChange) int {
		switch {
		case a.Gateway != b.Gateway:
			if a.Gateway {
				return -1
			}
			return 1
		case a.Name != b.Name:
			return strings.Compare(a.Name, b.Name)
		}
		return strings.Compare(a.Serial, b.Serial)
	})
	return out
}

func earliest(pods []PodChange) time.Time {
	var t time.Time
	for _, p := range pods {
		if !p.Since.IsZero() && (t.IsZero() || p.Since.Before(t)) {
			t = p.Since
		}
	}
	return t
}

// fine reports whether the announced state ends an incident: online, every pod connected,
// not flapping, and in ModeLevels back to the level from before the incident.
func (r *record) fine() bool {
	A := r.Announced
	if !A.online() || r.FlapAnnounced {
		return false
	}
	for k, f := range A {
		if strings.HasPrefix(k, factPod) && f.V == 0 {
			return false
		}
	}
	return r.Mode != ModeLevels || r.Incident == nil || A.level() <= r.Incident.BaseLevel
}

// queue ties alerts to incidents and appends them to the outbox.
func (r *record) queue(alerts []Alert, now time.Time) {
	for i := range alerts {
		a := &alerts[i]
		if a.Kind.Bad() && r.Incident == nil {
			r.IncidentSeq++
			r.Incident = &Incident{Seq: r.IncidentSeq, Opened: now, BaseLevel: a.PrevLevel}
			a.OpensIncident = true
		}
		if r.Incident != nil {
			a.Incident = r.Incident.Seq
		}
	}
	closing := r.Incident != nil && r.fine()
	if closing && len(alerts) > 0 {
		alerts[len(alerts)-1].ClosesIncident = true
	}
	for _, a := range alerts {
		r.push(a, now) // before the incident closes: the closing alert replies to it too
	}
	if closing {
		r.Incident = nil
	}
}

// push appends a to the outbox, numbering it; past maxOutbox the oldest unclaimed alert
// is dropped (and reported through r.dropped).
func (r *record) push(a Alert, now time.Time) {
	r.AlertSeq++
	a.Seq, a.Confirmed = r.AlertSeq, now
	if a.At.IsZero() {
		a.At = now
	}
	en := entry{Alert: a}
	if in := r.Incident; in != nil && a.Incident == in.Seq {
		en.ReplyTo, en.AckedBy = in.MessageID, in.AckedBy
	}
	r.Outbox = append(r.Outbox, en)
	if len(r.Outbox) <= maxOutbox {
		return
	}
	i := 0
	if r.Outbox[0].ClaimedBy != "" {
		i = 1
	}
	r.dropped = append(r.dropped, r.Outbox[i].Alert.Kind)
	r.Outbox = slices.Delete(r.Outbox, i, i+1)
}
