package plumesim

import "time"

// The "flapping" dataset is a small home whose internet link goes down and comes back on a
// fixed cycle, for the watcher's demo and tests: offline for FlapDown at the end of every
// FlapPeriod of the server's clock (periods counted from the Unix epoch), so every simulator,
// and a test that knows the time, agrees on its state. Each state lasts long enough for a watcher
// checking every 5 s to confirm it (two checks), and a change comes at most FlapPeriod-FlapDown
// after any moment, so `/watch` on it gives an alert within about 30 s.
const (
	FlapPeriod = 40 * time.Second
	FlapDown   = 20 * time.Second
)

// script is a location whose online state follows the clock.
type script struct{ period, down time.Duration }

// scripts are the scripted datasets, by name (control.go applies them).
var scripts = map[string]script{"flapping": {period: FlapPeriod, down: FlapDown}}

// at is the script's state at now: the spell it is in, since when, and the one before.
func (sc script) at(now time.Time) spell {
	start := now.Truncate(sc.period) // from the zero time, a whole number of periods before the epoch
	wentDown := start.Add(sc.period - sc.down)
	if now.Before(wentDown) {
		return spell{since: start, prev: start.Add(-sc.down)}
	}
	return spell{down: true, since: wentDown, prev: start}
}

func dsFlapping() *dataset {
	d := base("flapping", "goes offline for 20 s every 40 s, for /watch: an alert within about 30 s", "Ana Silva", "ana.silva@example.org", 9)
	d.LocationName = "Lake house"
	d.Pods = buildPods(d.Name, threePods([3]string{"excellent", "good", "good"}, [3]float64{5, 4, 4}))
	d.Devices = buildDevices(d.Name, d.Pods, homeDevices()[:5])
	d.WiFi = homeWiFi("Silva")
	d.QoE = defaultQoE()
	return d
}
