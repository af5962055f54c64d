package watch_test

import (
	"testing"
	"time"

	"plumebot/internal/store"
	"plumebot/internal/watch"
)

// TestAlertCarriesTimeZone: the location's time zone (Plume's geoIp) reaches the alert, so the
// chat can show its times where the subscriber is; it follows Plume when it changes.
func TestAlertCarriesTimeZone(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		h, home, _ := startHome(t, b, watch.Config{})
		home.set(func(f *fakeLocation) { f.loc.GeoIP.Timezone = "America/Chicago" })
		home.offline()
		wait(2 * time.Minute)
		home.set(func(f *fakeLocation) { f.loc.GeoIP.Timezone = "Europe/Paris" })
		home.online()
		wait(2 * time.Minute)
		var got []string
		for _, a := range h.sent.alerts() {
			got = append(got, string(a.Kind)+" "+a.TimeZone)
		}
		if len(got) != 2 || got[0] != "offline America/Chicago" || got[1] != "online Europe/Paris" {
			t.Fatalf("alerts' time zones: %q", got)
		}
	})
}
