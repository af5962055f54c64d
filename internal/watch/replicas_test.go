package watch_test

import (
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"plumebot/internal/store"
	"plumebot/internal/watch"
)

// TestRestart: an engine stopped with an alert still to send (Telegram down) and a new
// engine on the same store (the bolt file reopened): the new one sends it once, does not
// announce again a state already announced, and goes on announcing changes.
func TestRestart(t *testing.T) {
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			open := func(t *testing.T) store.Backend {
				if bk.name == "memory" {
					return bk.open(t)
				}
				b, err := store.OpenBolt(dir)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			synctest.Test(t, func(t *testing.T) {
				p := newPlume()
				home := p.add(custA, locA, "Home")
				shop := p.add(custA, locB, "Shop")
				b := open(t)
				a := newHarness(t, newStore(t, b), p, nil, watch.Config{})
				a.sent.setFail(func(watch.Alert, int) error { return errors.New("telegram: connection reset") })
				a.add(homeWatch())
				a.add(watch.NewWatch{ChatID: chat2, UserID: userA, CustomerID: custA, LocationID: locB, Name: "Shop"})
				a.start()
				wait(time.Minute)
				home.offline()
				wait(3 * time.Minute) // Home's offline decided; its sends fail
				a.stop()
				wantAlerts(t, a.sent)

				if bk.name == "bolt" {
					b.Close()
					b = open(t)
				}
				t.Cleanup(func() { b.Close() })
				r := newHarness(t, newStore(t, b), p, nil, watch.Config{}).start()
				wait(10 * time.Minute) // Home still offline: nothing new
				wantAlerts(t, r.sent, "Home offline at 00:01:00 #1 opens")
				shop.offline()
				home.online()
				wait(5 * time.Minute)
				r.stop()
				wantAlertsAnyOrder(t, r.sent,
					"Home offline at 00:01:00 #1 opens",
					"Shop offline at 00:14:00 #1 opens",
					"Home online at 00:14:00 after 13m0s #1 closes re=1",
				)

				again := newHarness(t, newStore(t, b), p, nil, watch.Config{}).start()
				wait(time.Hour)
				wantAlerts(t, again.sent)
			})
		})
	}
}

// TestCrashAfterSend is the window the package doc names: a replica dies after Telegram
// took an alert and before it could record that. The alert is sent again by the next
// replica, marked as a redelivery; nothing else is repeated.
func TestCrashAfterSend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := store.NewMemory()
		defer b.Close()
		st := newStore(t, b)
		p := newPlume()
		home := p.add(custA, locA, "Home")
		telegram := &recorder{}
		dying := &killable{Store: st}
		a := newHarness(t, dying, p, telegram, watch.Config{})
		a.add(homeWatch())
		a.start()
		wait(time.Second)
		newHarness(t, &killable{Store: st}, p, telegram, watch.Config{}).start()
		wait(30 * time.Second)
		telegram.setFail(func(watch.Alert, int) error {
			dying.kill() // the message is out; the process dies before recording it
			return nil
		})
		home.offline()
		wait(2 * time.Minute)
		telegram.setFail(nil)
		wait(5 * time.Minute)
		home.online()
		wait(5 * time.Minute)
		wantAlerts(t, telegram,
			"Home offline at 00:00:31 #1 opens",
			"Home offline at 00:00:31 #1 opens redelivery",
			"Home online at 00:07:31 after 7m0s #1 closes re=2",
		)
	})
}

// TestTwoReplicas: two engines on one store; one checks, the other waits. When the
// checking one dies, the other takes over within one lease period; every alert is sent
// once.
func TestTwoReplicas(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := store.NewMemory()
		defer b.Close()
		st := newStore(t, b)
		p1, p2 := newPlume(), newPlume()
		home1 := p1.add(custA, locA, "Home")
		home2 := p2.add(custA, locA, "Home") // the same location as seen by each replica
		telegram := &recorder{}
		a := newHarness(t, &killable{Store: st}, p1, telegram, watch.Config{})
		a.add(homeWatch())
		a.start()
		wait(time.Second)
		newHarness(t, &killable{Store: st}, p2, telegram, watch.Config{}).start()
		wait(30 * time.Second)
		both := func(fn func(f *fakeLocation)) { fn(home1); fn(home2) }
		both((*fakeLocation).offline)
		offlineAt := time.Now()
		wait(3 * time.Minute)
		if n := p2.callCount(); n != 0 {
			t.Fatalf("the waiting replica read Plume %d times", n)
		}
		a.st.(*killable).kill()
		killedAt := time.Now()
		calls := p1.callCount()
		for p2.callCount() == 0 {
			wait(time.Second)
		}
		// The lease expires at most LeaseTTL (15 s) after the last renewal, and the other
		// replica retries every third of it: 20 s at worst.
		if took := time.Since(killedAt); took > 20*time.Second {
			t.Fatalf("the other replica took %s to check after the first died", took)
		}
		both((*fakeLocation).online)
		onlineAt := time.Now().UTC()
		wait(5 * time.Minute)
		if n := p1.callCount(); n != calls {
			t.Fatalf("the dead replica read Plume %d more times", n-calls)
		}
		wantAlerts(t, telegram,
			"Home offline at 00:00:31 #1 opens",
			fmt.Sprintf("Home online at %s after %s #1 closes re=1", onlineAt.Format("15:04:05"), onlineAt.Sub(offlineAt)),
		)
	})
}
