package action

import (
	"reflect"
	"testing"
	"time"

	"plumebot/internal/plumesim"
)

func TestFollowRebootBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.mustConfirm(e.mustRequest(RebootPod, agent, e.target("healthy", 1)), agent)
	if c.Status != 204 {
		t.Errorf("Plume status = %d", c.Status)
	}
	// The pod is back 2 min 14 s after the request; the reads come every 15 s, but Plume's own
	// time of the return is what the message says.
	want := []string{"⏳ Rebooting…", "🔴 Down", "🟢 Back after 2 min 14 s"}
	if got := e.follow(c); !reflect.DeepEqual(got, want) {
		t.Errorf("statuses = %q, want %q", got, want)
	}
	last := e.obs.events[len(e.obs.events)-1]
	if last.Stage != StageOutcome || last.Result != "back" || last.PlumeStatus != 204 {
		t.Errorf("last audit = %+v", last)
	}
}

func TestFollowRebootNotBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.SetRebootDowntime(-1)
	c := e.mustConfirm(e.mustRequest(RebootPod, agent, e.target("healthy", 1)), agent)
	want := []string{"⏳ Rebooting…", "🔴 Down", "⚠️ Not back after 10 min: check power and cabling"}
	if got := e.follow(c); !reflect.DeepEqual(got, want) {
		t.Errorf("statuses = %q, want %q", got, want)
	}
	if d := e.clock.Now().Sub(c.ActedAt); d < 10*time.Minute || d > 10*time.Minute+15*time.Second {
		t.Errorf("gave up after %v", d)
	}
}

func TestFollowLocation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.mustConfirm(e.mustRequest(RebootLocation, agent, e.target("partial", -1)), agent)
	// Garage was off before the reboot: the reboot is back without it.
	want := []string{"⏳ Rebooting…", "🔴 Down: 0 of 3 pods back", "🟢 Back after 2 min 14 s"}
	if got := e.follow(c); !reflect.DeepEqual(got, want) {
		t.Errorf("statuses = %q, want %q", got, want)
	}

	e2 := newEnv(t, func(c *Config) { c.RebootWait = 3 * time.Minute })
	e2.sim.SetRebootDowntime(-1)
	c = e2.mustConfirm(e2.mustRequest(RebootLocation, agent, e2.target("healthy", -1)), agent)
	want = []string{"⏳ Rebooting…", "🔴 Down: 0 of 3 pods back", "⚠️ Not back after 3 min: Living room, Office, Bedroom not back; check power and cabling"}
	if got := e2.follow(c); !reflect.DeepEqual(got, want) {
		t.Errorf("statuses = %q, want %q", got, want)
	}
}

// A pod that goes down and up between two reads is still seen back: by its newer boot time.
func TestFollowFastReboot(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Poll = time.Minute })
	e.sim.SetRebootDowntime(20 * time.Second)
	c := e.mustConfirm(e.mustRequest(RebootPod, agent, e.target("healthy", 2)), agent)
	e.clock.Advance(45 * time.Second) // before the first read
	want := []string{"⏳ Rebooting…", "🟢 Back after 20 s"}
	if got := e.follow(c); !reflect.DeepEqual(got, want) {
		t.Errorf("statuses = %q, want %q", got, want)
	}
}

func TestFollowSpeedTest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.mustConfirm(e.mustRequest(SpeedTest, agent, e.target("healthy", -1)), agent)
	want := []string{"⏳ Speed test running…", "⬇ 497 Mbps · ⬆ 40.4 Mbps · 9 ms · Example Fiber"}
	if got := e.follow(c); !reflect.DeepEqual(got, want) {
		t.Errorf("statuses = %q, want %q", got, want)
	}

	// The gateway goes down while the test runs: Plume reports it failed.
	e = newEnv(t)
	e.sim.SetSpeedTestDuration(time.Minute)
	c = e.mustConfirm(e.mustRequest(SpeedTest, agent, e.target("healthy", -1)), agent)
	loc := e.target("healthy", -1)
	if _, err := e.acc.Actor.RebootLocation(e.ctx, loc.CustomerID, loc.LocationID, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	want = []string{"⏳ Speed test running…", `⚠️ The speed test failed (Plume says "failed"). Try again later, or check the gateway's internet link.`}
	if got := e.follow(c); !reflect.DeepEqual(got, want) {
		t.Errorf("statuses = %q, want %q", got, want)
	}

	// An offline gateway never produces a result.
	c = e.mustConfirm(e.mustRequest(SpeedTest, agent, e.target("offline", -1)), agent)
	want = []string{"⏳ Speed test running…", "⚠️ No speed test result after 3 min: the gateway may be offline or busy."}
	if got := e.follow(c); !reflect.DeepEqual(got, want) {
		t.Errorf("statuses = %q, want %q", got, want)
	}
}

func TestFollowOptimize(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.mustConfirm(e.mustRequest(Optimize, agent, e.target("degraded", -1)), agent)
	want := []string{"✅ Plume accepted the request; it re-plans the WiFi over the next minutes."}
	if got := e.follow(c); !reflect.DeepEqual(got, want) {
		t.Errorf("statuses = %q, want %q", got, want)
	}
}

// Plume failing during the follow-through: the last status stands, and the end says why.
func TestFollowReadFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.RebootWait = time.Minute })
	c := e.mustConfirm(e.mustRequest(RebootPod, agent, e.target("healthy", 1)), agent)
	e.sim.SetFault(plumesim.EndpointNodes, plumesim.Fault{Status: 503})
	want := []string{"⏳ Rebooting…", "⚠️ Not back after 1 min (Plume did not answer the last check): check power and cabling"}
	if got := e.follow(c); !reflect.DeepEqual(got, want) {
		t.Errorf("statuses = %q, want %q", got, want)
	}
}
