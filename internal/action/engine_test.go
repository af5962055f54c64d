package action

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"plumebot/internal/plume"
	"plumebot/internal/plumesim"
)

func TestRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for user, want := range map[int64]Role{agent: Support, boss: Admin, watcher: Viewer, 999: Viewer} {
		if got := e.eng.Role(user); got != want {
			t.Errorf("Role(%d) = %v, want %v", user, got, want)
		}
	}
	// Deny by default: with no roles configured nobody may act.
	bare := New(Config{Store: e.st})
	if bare.Role(agent).CanAct() || bare.Role(boss).CanAct() {
		t.Error("an engine without roles lets someone act")
	}
}

// A viewer is refused before anything reaches Plume, not even the fresh read.
func TestViewerRefusedBeforePlume(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.ResetCounters()
	_, err := e.request(RebootLocation, watcher, e.target("healthy", -1))
	r := wantRefusal(t, err, NotAllowed)
	if r.Error() != "Only support staff may do this; your administrator can add your user ID to PLUMEBOT_SUPPORT_USERS." {
		t.Errorf("text = %q", r.Error())
	}
	if n := e.sim.Requests(""); n != 0 {
		t.Errorf("%d requests reached Plume for a viewer", n)
	}
	if got := e.obs.stages(); !reflect.DeepEqual(got, []string{"request denied"}) {
		t.Errorf("audit = %v", got)
	}
}

func TestConfirmationWords(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	gw := e.info.Locations["healthy"].NodeSerial
	office := e.target("healthy", 1).NodeID
	garage := e.target("partial", 3).NodeID
	tests := []struct {
		kind            Kind
		target          Target
		summary, effect string
	}{
		{RebootPod, e.target("healthy", 1), "Reboot pod Office (serial " + office + ")",
			"Pod Office (serial " + office + ") restarts; devices on it lose WiFi for about 2–3 minutes. 2 devices are connected to it now."},
		{RebootPod, e.target("healthy", 0), "Reboot gateway Living room (serial " + gw + ")",
			"Gateway Living room (serial " + gw + ") restarts; devices on it lose WiFi for about 2–3 minutes. 5 devices are connected to it now. " +
				"It is the gateway: the whole home loses internet for about 2–3 minutes. Pods behind it lose their link too: Office, Bedroom."},
		{RebootPod, e.target("partial", 3), "Reboot pod Garage (serial " + garage + ")",
			"Pod Garage (serial " + garage + ") restarts; devices on it lose WiFi for about 2–3 minutes. It is disconnected now (for 2 h 4 min): Plume may not reach it."},
		{RebootLocation, e.target("healthy", -1), "Reboot every pod at Home",
			"Every pod at Home (3 pods) restarts; the whole home loses WiFi and internet for about 2–3 minutes. 10 devices are connected now."},
		// A location whose pods Plume cannot reach now says so, as a pod's reboot does.
		{RebootLocation, e.target("offline", -1), "Reboot every pod at Home",
			"Every pod at Home (3 pods) restarts; the whole home loses WiFi and internet for about 2–3 minutes. " +
				"The location is offline now (for 3 h 2 min): Plume may not reach its pods."},
		{RebootLocation, e.target("partial", -1), "Reboot every pod at Home",
			"Every pod at Home (4 pods) restarts; the whole home loses WiFi and internet for about 2–3 minutes. 10 devices are connected now. " +
				"Garage is disconnected now: Plume may not reach it."},
		{SpeedTest, e.target("healthy", -1), "ISP speed test on the gateway Living room (serial " + gw + ")",
			"The gateway Living room runs a speed test to the internet for about a minute; the internet may be slower meanwhile."},
		{SpeedTest, e.target("offline", -1), "ISP speed test on the gateway Living room (serial " + e.info.Locations["offline"].NodeSerial + ")",
			"The gateway Living room runs a speed test to the internet for about a minute; the internet may be slower meanwhile. The gateway is disconnected now: the test will probably not run."},
		{Optimize, e.target("degraded", -1), "Optimization of Home",
			"Plume re-plans the WiFi channels and the mesh of Home; devices may reconnect briefly over the next minutes."},
		{Optimize, e.target("offline", -1), "Optimization of Home",
			"Plume re-plans the WiFi channels and the mesh of Home; devices may reconnect briefly over the next minutes. " +
				"The location is offline now (for 3 h 2 min): Plume may not reach it."},
	}
	for _, tt := range tests {
		p := e.mustRequest(tt.kind, agent, tt.target)
		if p.Summary != tt.summary || p.Effect != tt.effect {
			t.Errorf("%s:\nsummary %q\n   want %q\neffect  %q\n   want %q", tt.kind, p.Summary, tt.summary, p.Effect, tt.effect)
		}
		if !ValidKey(p.Key) || !p.Expires.Equal(t0.Add(time.Minute)) {
			t.Errorf("%s: key %q, expires %v", tt.kind, p.Key, p.Expires)
		}
	}
	if n := len(e.sim.Actions()); n != 0 {
		t.Errorf("%d actions reached Plume without a confirmation", n)
	}
}

func TestBadTargets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	good := e.target("healthy", -1)
	for name, tt := range map[string]struct {
		kind Kind
		t    Target
	}{
		"short customer": {RebootLocation, Target{CustomerID: "abc", LocationID: good.LocationID}},
		"path location":  {SpeedTest, Target{CustomerID: good.CustomerID, LocationID: "../../" + good.LocationID[6:]}},
		"serial slash":   {RebootPod, Target{CustomerID: good.CustomerID, LocationID: good.LocationID, NodeID: "A/B"}},
		"no serial":      {RebootPod, good},
	} {
		if _, err := e.request(tt.kind, agent, tt.t); !errors.Is(err, plume.ErrInvalidInput) {
			t.Errorf("%s: err = %v, want invalid input", name, err)
		}
	}
	// A pod of another location.
	other := good
	other.NodeID = e.info.Locations["degraded"].NodeSerial
	_, err := e.request(RebootPod, agent, other)
	if r := wantRefusal(t, err, UnknownPod); r.Error() != "This pod is not in this location any more; refresh the list of pods." {
		t.Errorf("text = %q", r.Error())
	}
	if n := len(e.sim.Actions()); n != 0 {
		t.Errorf("%d actions reached Plume", n)
	}
}

func TestConfirmActsOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.mustRequest(RebootPod, agent, e.target("healthy", 1))
	if n := len(e.sim.Actions()); n != 0 {
		t.Fatalf("%d actions before the confirmation", n)
	}
	// Ten presses at once (a double tap, replicas): one acts.
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		ok, gone int
	)
	for range 10 {
		wg.Go(func() {
			_, err := e.eng.Confirm(e.ctx, e.acc, p.Key, agent, agent)
			mu.Lock()
			defer mu.Unlock()
			var r *Refusal
			switch {
			case err == nil:
				ok++
			case errors.As(err, &r) && r.Reason == Gone:
				gone++
			default:
				t.Errorf("Confirm: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 1 || gone != 9 {
		t.Errorf("%d presses acted and %d were told it was used, want 1 and 9", ok, gone)
	}
	acts := e.sim.Actions()
	if len(acts) != 1 || acts[0].Endpoint != plumesim.EndpointRebootNode || acts[0].NodeID != e.target("healthy", 1).NodeID {
		t.Errorf("Plume got %+v, want one reboot of Office", acts)
	}
	want := []string{"request asked", "confirm confirmed", "outcome accepted"}
	if got := e.obs.stages(); !reflect.DeepEqual(got, want) {
		t.Errorf("audit = %v, want %v", got, want)
	}
	if got := e.obs.counted(); !reflect.DeepEqual(got, []string{"reboot_pod ok"}) {
		t.Errorf("outcomes = %v", got)
	}
}

// Only the user who asked, in the chat where they asked, may answer; a stranger's press does
// not use the confirmation up.
func TestOnlyTheRequesterAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	target := e.target("healthy", -1)
	p, err := e.eng.Request(e.ctx, e.acc, Request{Kind: SpeedTest, UserID: agent, ChatID: groupID, Target: target})
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []struct{ user, chat int64 }{{agent2, groupID}, {boss, groupID}, {agent, agent}} {
		_, err := e.eng.Confirm(e.ctx, e.acc, p.Key, who.user, who.chat)
		wantRefusal(t, err, NotYours)
		_, err = e.eng.Cancel(e.ctx, p.Key, who.user, who.chat)
		wantRefusal(t, err, NotYours)
	}
	if _, err := e.eng.Confirm(e.ctx, e.acc, p.Key, agent, groupID); err != nil {
		t.Fatalf("the requester's own press: %v", err)
	}
	if n := len(e.sim.Actions()); n != 1 {
		t.Errorf("%d actions, want 1", n)
	}
}

func TestCancelAndExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	target := e.target("healthy", -1)
	p := e.mustRequest(RebootLocation, agent, target)
	summary, err := e.eng.Cancel(e.ctx, p.Key, agent, agent)
	if err != nil || summary != "Reboot every pod at Home" {
		t.Fatalf("Cancel: %q, %v", summary, err)
	}
	_, err = e.eng.Confirm(e.ctx, e.acc, p.Key, agent, agent)
	wantRefusal(t, err, Gone)

	// Pressed after 60 s: expired, nothing done.
	p = e.mustRequest(RebootLocation, agent, target)
	e.clock.Advance(time.Minute)
	_, err = e.eng.Confirm(e.ctx, e.acc, p.Key, agent, agent)
	if r := wantRefusal(t, err, Expired); r.Error() != "This confirmation expired: nothing was done. Ask again if it is still needed." {
		t.Errorf("text = %q", r.Error())
	}

	// Not pressed: ExpireAfter ends it when the TTL passes, once.
	p = e.mustRequest(RebootLocation, agent, target)
	expired := make(chan string, 1)
	go e.eng.ExpireAfter(e.ctx, p, func(s string) { expired <- s })
	e.clock.waitSleeper(t, nil)
	e.clock.Advance(59 * time.Second)
	select {
	case <-expired:
		t.Fatal("expired before its minute")
	default:
	}
	e.clock.Advance(time.Second)
	if s := <-expired; s != "Reboot every pod at Home" {
		t.Errorf("expired %q", s)
	}
	_, err = e.eng.Confirm(e.ctx, e.acc, p.Key, agent, agent)
	wantRefusal(t, err, Gone)
	if _, ok, _ := e.eng.Expire(e.ctx, p.Key); ok {
		t.Error("expired twice")
	}

	if n := len(e.sim.Actions()); n != 0 {
		t.Errorf("%d actions reached Plume", n)
	}
	want := []string{"request asked", "cancel cancelled", "request asked", "expiry expired", "request asked", "expiry expired"}
	if got := e.obs.stages(); !reflect.DeepEqual(got, want) {
		t.Errorf("audit = %v\nwant %v", got, want)
	}
	want = []string{"reboot_location cancelled", "reboot_location expired", "reboot_location expired"}
	if got := e.obs.counted(); !reflect.DeepEqual(got, want) {
		t.Errorf("outcomes = %v, want %v", got, want)
	}
}

// A confirmation outlives neither a /logout nor a change of credentials, nor a role taken away.
func TestStaleConfirmations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	target := e.target("healthy", -1)
	p := e.mustRequest(Optimize, agent, target)
	if err := e.eng.Forget(e.ctx, agent); err != nil {
		t.Fatal(err)
	}
	_, err := e.eng.Confirm(e.ctx, e.acc, p.Key, agent, agent)
	if r := wantRefusal(t, err, Stale); !strings.Contains(r.Error(), "nothing was done") {
		t.Errorf("text = %q", r.Error())
	}

	p = e.mustRequest(Optimize, agent, target)
	other := e.acc
	other.Fingerprint = "fp-other"
	_, err = e.eng.Confirm(e.ctx, other, p.Key, agent, agent)
	wantRefusal(t, err, Stale)

	p = e.mustRequest(Optimize, agent, target)
	demoted := New(Config{Support: nil, Store: e.st, Clock: e.clock})
	_, err = demoted.Confirm(e.ctx, e.acc, p.Key, agent, agent)
	wantRefusal(t, err, NotAllowed)
	if n := len(e.sim.Actions()); n != 0 {
		t.Errorf("%d actions reached Plume", n)
	}
}

func TestCooldown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	loc, pod := e.target("healthy", -1), e.target("healthy", 1)
	e.mustConfirm(e.mustRequest(RebootLocation, agent, loc), agent)
	e.clock.Advance(3 * time.Minute)
	// The location again, a pod of it, by another user: all wait for the 10 minutes.
	for _, tt := range []struct {
		kind Kind
		t    Target
		user int64
	}{{RebootLocation, loc, agent}, {RebootPod, pod, agent2}, {RebootPod, pod, boss}} {
		_, err := e.request(tt.kind, tt.user, tt.t)
		r := wantRefusal(t, err, Cooldown)
		if want := "This was rebooted less than 10 min ago; it is possible again at 12:10 UTC (in 7 min)."; r.Error() != want {
			t.Errorf("%s by %d: %q, want %q", tt.kind, tt.user, r.Error(), want)
		}
	}
	// Other actions on the same location have their own cooldowns.
	e.mustConfirm(e.mustRequest(SpeedTest, agent, loc), agent)
	_, err := e.request(SpeedTest, agent, loc)
	if r := wantRefusal(t, err, Cooldown); r.Error() != "This was speed-tested less than 2 min ago; it is possible again at 12:05 UTC (in 2 min)." {
		t.Errorf("speed test: %q", r.Error())
	}
	// A refusal at confirmation time too: the cooldown started after the request.
	e.clock.Advance(7 * time.Minute)
	p1 := e.mustRequest(RebootPod, agent, pod)
	p2 := e.mustRequest(RebootPod, agent2, pod)
	e.mustConfirm(p1, agent)
	_, err = e.eng.Confirm(e.ctx, e.acc, p2.Key, agent2, agent2)
	wantRefusal(t, err, Cooldown)
	if n := len(e.sim.Actions()); n != 3 {
		t.Errorf("%d actions reached Plume, want 3", n)
	}
}

func TestPerUserLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.PerHour = 2 })
	e.mustConfirm(e.mustRequest(Optimize, agent, e.target("healthy", -1)), agent)
	e.clock.Advance(10 * time.Minute)
	e.mustConfirm(e.mustRequest(Optimize, agent, e.target("degraded", -1)), agent)
	e.clock.Advance(5 * time.Minute)
	_, err := e.request(Optimize, agent, e.target("partial", -1))
	r := wantRefusal(t, err, Limit)
	if want := "You have used your 2 actions of the last hour; the next is possible at 13:00 UTC (in 45 min)."; r.Error() != want {
		t.Errorf("text = %q, want %q", r.Error(), want)
	}
	// Another support user has their own count; an admin has none.
	e.mustRequest(Optimize, agent2, e.target("partial", -1))
	for _, ds := range []string{"partial", "huge", "nasty"} {
		e.mustConfirm(e.mustRequest(Optimize, boss, e.target(ds, -1)), boss)
	}
	e.clock.Advance(45 * time.Minute)
	e.mustRequest(Optimize, agent, e.target("sparse", -1))
}

// Each refusal Plume gives a confirmed action: told in the action's words, audited with
// Plume's status, counted, and no cooldown started.
func TestPlumeRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault  plumesim.Fault
		kind   plume.Kind
		status int
		msg    string
	}{
		{plumesim.Fault{Status: 403}, plume.KindForbidden, 403, "Plume says these credentials may not do this (403)."},
		{plumesim.Fault{Status: 404}, plume.KindNotFound, 404, "Plume says this pod is not in this location any more (404)."},
		{plumesim.Fault{Status: 422}, plume.KindInvalidInput, 422, "Plume refused the request's parameters (422). Simulated fault"},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.sim.SetFault(plumesim.EndpointRebootNode, tt.fault)
			pod := e.target("healthy", 1)
			_, err := e.eng.Confirm(e.ctx, e.acc, e.mustRequest(RebootPod, agent, pod).Key, agent, agent)
			var pe *plume.Error
			if !errors.As(err, &pe) || pe.Kind != tt.kind || pe.UserMessage() != tt.msg {
				t.Fatalf("err = %v, want %v %q", err, tt.kind, tt.msg)
			}
			last := e.obs.events[len(e.obs.events)-1]
			if last.Stage != StageOutcome || last.Result != "error:"+tt.kind.String() || last.PlumeStatus != tt.status {
				t.Errorf("audit = %+v", last)
			}
			e.sim.ClearFaults()
			if _, err := e.request(RebootPod, agent, pod); err != nil {
				t.Errorf("a refused reboot started a cooldown: %v", err)
			}
		})
	}
	t.Run("WAF", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.sim.SetFault(plumesim.EndpointRebootLocation, plumesim.Fault{WAFAfter: 1})
		loc := e.target("healthy", -1)
		e.mustConfirm(e.mustRequest(RebootLocation, agent, loc), agent)
		_, err := e.eng.Confirm(e.ctx, e.acc, e.mustRequest(RebootLocation, agent, e.target("degraded", -1)).Key, agent, agent)
		var pe *plume.Error
		if !errors.As(err, &pe) || pe.UserMessage() != "Plume is rate-limiting requests; try again in 300 s." {
			t.Errorf("err = %v", err)
		}
	})
}

// A hotel's gateway has every pod behind it: the list is cut, the message stays short.
func TestWordsOfAHotel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.mustRequest(RebootPod, agent, e.target("huge", 0))
	if !strings.Contains(p.Effect, " and 5 more.") || len(p.Effect) > 1500 {
		t.Errorf("effect (%d bytes) = %q", len(p.Effect), p.Effect)
	}
}

// deadlineActor notes how long the action's request may take.
type deadlineActor struct {
	Actor
	left time.Duration // until the context's deadline; 0 when it has none
}

func (a *deadlineActor) RebootLocation(ctx context.Context, c, l string, delay time.Duration) (int, error) {
	if dl, ok := ctx.Deadline(); ok {
		a.left = time.Until(dl)
	}
	return a.Actor.RebootLocation(ctx, c, l, delay)
}

// The request to Plume ends before the target's lock can expire, whatever the caller's
// deadline and Plume's timeout (PLUME_TIMEOUT may exceed the lock): a second replica must not
// find the target unlocked, and not yet cooling down, while the first request still runs.
func TestActionRequestEndsWithinTheTargetLock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := &deadlineActor{Actor: e.acc.Actor}
	acc := e.acc
	acc.Actor = a
	p := e.mustRequest(RebootLocation, agent, e.target("healthy", -1))
	if _, err := e.eng.Confirm(e.ctx, acc, p.Key, agent, agent); err != nil {
		t.Fatal(err)
	}
	if a.left <= 0 || a.left >= targetLockTTL {
		t.Errorf("the reboot could take %v; the target's lock lasts %v", a.left, targetLockTTL)
	}
}
