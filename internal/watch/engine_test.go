package watch_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"plumebot/internal/store"
	"plumebot/internal/watch"
)

// TestOutageAndRecovery: the baseline says nothing; an outage, a recovery, then a pod that
// disconnects and reconnects give exactly one alert each, threaded by incident.
func TestOutageAndRecovery(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		h, home, _ := startHome(t, b, watch.Config{}) // the baseline check at 0 s
		wantAlerts(t, h.sent)

		home.offline()            // 00:00:30
		wait(2 * time.Minute)     // seen at 60 s, held at 120 s
		home.online()             // 00:02:30
		wait(2 * time.Minute)     // seen at 180 s, held at 240 s
		home.pod("Office", false) // 00:04:30
		wait(2 * time.Minute)
		home.pod("Office", true) // 00:06:30
		wait(2 * time.Minute)
		wantAlerts(t, h.sent,
			"Home offline at 00:00:30 #1 opens",
			"Home online at 00:02:30 after 2m0s #1 closes re=1",
			"Home pod_down at 00:04:30 pods=Office #2 opens",
			"Home pod_up at 00:06:30 pods=Office #2 closes re=3",
		)
		wait(10 * time.Minute)
		if n := len(h.sent.alerts()); n != 4 {
			t.Fatalf("%d alerts after the state stayed the same, want still 4", n)
		}
	})
}

// TestFlapIsNotAnnounced: a change that reverts before the next check is never told.
func TestFlapIsNotAnnounced(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		h, home, _ := startHome(t, b, watch.Config{})
		home.offline() // seen by the check at 60 s only
		wait(time.Minute)
		home.online()
		wait(2 * time.Minute)
		home.pod("Office", false) // the same for a pod: seen at 240 s only
		wait(time.Minute)
		home.pod("Office", true)
		wait(10 * time.Minute)
		wantAlerts(t, h.sent)
	})
}

// TestFlapping: the fourth outage within an hour gives one "flapping" alert instead of
// more offline/online pairs, and 30 minutes without a change one "stable again".
func TestFlapping(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		h, home, _ := startHome(t, b, watch.Config{})
		for range 5 { // each outage: offline at :30, held at 2:00; online at 2:30, held at 4:00
			home.offline()
			wait(2 * time.Minute)
			home.online()
			wait(2 * time.Minute)
		}
		wait(40 * time.Minute)
		wantAlerts(t, h.sent,
			"Home offline at 00:00:30 #1 opens",
			"Home online at 00:02:30 after 2m0s #1 closes re=1",
			"Home offline at 00:04:30 #2 opens",
			"Home online at 00:06:30 after 2m0s #2 closes re=3",
			"Home offline at 00:08:30 #3 opens",
			"Home online at 00:10:30 after 2m0s #3 closes re=5",
			"Home flapping at 00:14:00 flaps=4 #4 opens",
			"Home stable at 00:20:00 after 36m0s healthy→healthy online=true #4 closes re=7",
		)
	})
}

// TestSnooze: nothing is told during a snooze; when it ends, what is still different is.
func TestSnooze(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		ctx := t.Context()
		h, home, w := startHome(t, b, watch.Config{})
		if _, err := h.e.Snooze(ctx, chat1, w.ID, time.Hour); err != nil { // until 01:00:30
			t.Fatal(err)
		}
		home.offline() // an outage that ends within the snooze: never told
		wait(2 * time.Minute)
		home.online()
		wait(8 * time.Minute)
		home.offline() // 00:10:30, still offline when the snooze ends
		wait(49 * time.Minute)
		wantAlerts(t, h.sent)
		st, err := h.e.Get(ctx, chat1, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Snoozed(time.Now()) || st.Online || !st.Known {
			t.Fatalf("status during the snooze: snoozed %v online %v known %v; want snoozed, offline, known",
				st.Snoozed(time.Now()), st.Online, st.Known)
		}
		wait(105 * time.Second) // the check at 01:01:00 is the first after the snooze
		home.online()           // 01:01:15
		wait(2 * time.Minute)
		wantAlerts(t, h.sent,
			"Home offline at 00:10:30 #1 opens",
			"Home online at 01:01:15 after 50m45s #1 closes re=1",
		)
		if _, err := h.e.Snooze(ctx, chat1, w.ID, 8*24*time.Hour); !errors.Is(err, watch.ErrInvalid) {
			t.Fatalf("Snooze for 8 days: %v, want ErrInvalid", err)
		}
	})
}

// TestAck: an acknowledged incident's later alerts name who took it; an incident is
// acknowledged once, and not after it closed.
func TestAck(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		ctx := t.Context()
		h, home, w := startHome(t, b, watch.Config{})
		home.offline()
		wait(2 * time.Minute)
		first := h.sent.alerts()[0]
		ana := watch.Actor{UserID: userB, Name: "Ana <NOC>"}
		in, err := h.e.Ack(ctx, chat1, w.ID, first.Incident, ana)
		if err != nil || in.Seq != 1 || in.MessageID != 1 || in.AckedBy == nil || *in.AckedBy != ana {
			t.Fatalf("Ack = %+v, %v; want incident 1, message 1, acked by Ana", in, err)
		}
		in, err = h.e.Ack(ctx, chat1, w.ID, first.Incident, watch.Actor{UserID: userA, Name: "Bo"})
		if !errors.Is(err, watch.ErrAlreadyAcked) || in.AckedBy == nil || in.AckedBy.Name != ana.Name {
			t.Fatalf("second Ack = %+v, %v; want ErrAlreadyAcked naming Ana", in, err)
		}
		home.online()
		wait(2 * time.Minute)
		wantAlerts(t, h.sent,
			"Home offline at 00:00:30 #1 opens",
			"Home online at 00:02:30 after 2m0s #1 closes re=1 acked=Ana <NOC>",
		)
		if _, err := h.e.Ack(ctx, chat1, w.ID, first.Incident, ana); !errors.Is(err, watch.ErrIncidentClosed) {
			t.Fatalf("Ack after recovery: %v, want ErrIncidentClosed", err)
		}
		if _, err := h.e.Ack(ctx, chat2, w.ID, first.Incident, ana); !errors.Is(err, watch.ErrNotFound) {
			t.Fatalf("Ack from another chat: %v, want ErrNotFound", err)
		}
	})
}

// TestLevelMode: "every level change" tells degraded and back; the default mode does not.
func TestLevelMode(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		h, home, w := startHome(t, b, watch.Config{})
		if w, err := h.e.SetMode(t.Context(), chat1, w.ID, watch.ModeLevels); err != nil || w.Mode != watch.ModeLevels {
			t.Fatalf("SetMode = %+v, %v", w, err)
		}
		office, _ := h.place(chat2, userA, locB, "Office") // checked at 60 s, 120 s…; Home now at 90 s, 150 s…
		wait(45 * time.Second)
		home.serviceLevel("basicService") // 00:01:15
		office.serviceLevel("basicService")
		wait(3 * time.Minute)
		home.serviceLevel("fullService") // 00:04:15
		office.serviceLevel("fullService")
		wait(3 * time.Minute)
		home.pod("Bedroom", false) // 00:07:15: a pod alert says it (issues); no level alert besides
		wait(3 * time.Minute)
		home.pod("Bedroom", true)
		wait(3 * time.Minute)
		wantAlerts(t, h.sent,
			"Home level_worse at 00:01:30 healthy→degraded #1 opens",
			"Home level_better at 00:04:30 degraded→healthy #1 closes re=1",
			"Home pod_down at 00:07:15 pods=Bedroom #2 opens",
			"Home pod_up at 00:10:15 pods=Bedroom #2 closes re=3",
		)
		if _, err := h.e.SetMode(t.Context(), chat1, w.ID, "loud"); !errors.Is(err, watch.ErrInvalid) {
			t.Fatalf("SetMode(loud): %v, want ErrInvalid", err)
		}
	})
}

// TestHoldTime: with a hold time, a change is told once it lasted that long (Plume's time
// of the change stays in the alert); a shorter outage is never told.
func TestHoldTime(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		h, home, _ := startHome(t, b, watch.Config{HoldTime: 5 * time.Minute})
		home.offline() // 00:00:30, first seen at 1:00, held from 6:00
		wait(10 * time.Minute)
		home.online() // 00:10:30
		wait(10 * time.Minute)
		home.offline() // 00:20:30 for 3 minutes: never told
		wait(3 * time.Minute)
		home.online()
		wait(20 * time.Minute)
		wantAlerts(t, h.sent,
			"Home offline at 00:00:30 #1 opens",
			"Home online at 00:10:30 after 10m0s #1 closes re=1",
		)
		if got := h.sent.alerts()[0].Confirmed.Format("15:04:05"); got != "00:06:00" {
			t.Fatalf("offline confirmed at %s, want 00:06:00", got)
		}
	})
}

// TestOutboxBound: while Telegram refuses for hours, a watch keeps its last 64 alerts; the
// oldest are dropped (and counted), the rest are sent in order when it is back.
func TestOutboxBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := store.NewMemory()
		defer b.Close()
		obs := newEvents()
		h, home, _ := startHome(t, b, watch.Config{FlapLimit: 1000, Observer: obs})
		h.sent.setFail(func(watch.Alert, int) error { return errors.New("telegram: 502") })
		for range 40 { // 80 alerts
			home.offline()
			wait(2 * time.Minute)
			home.online()
			wait(2 * time.Minute)
		}
		h.sent.setFail(nil)
		wait(10 * time.Minute)
		got := h.sent.alerts()
		if len(got) != 64 || got[0].Seq != 17 || got[63].Seq != 80 {
			t.Fatalf("%d alerts sent, seq %d to %d; want the last 64 (17 to 80)", len(got), got[0].Seq, got[len(got)-1].Seq)
		}
		for i := 1; i < len(got); i++ {
			if got[i].Seq != got[i-1].Seq+1 {
				t.Fatalf("alert %d has seq %d after %d: out of order", i, got[i].Seq, got[i-1].Seq)
			}
		}
		if obs.alerts[watch.AlertDropped] != 16 || obs.alerts[watch.AlertSent] != 64 {
			t.Fatalf("observed %v, want 16 dropped and 64 sent", obs.alerts)
		}
	})
}
