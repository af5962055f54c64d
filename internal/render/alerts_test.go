package render

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"plumebot/internal/health"
	"plumebot/internal/telegram/tgtest"
	"plumebot/internal/watch"
)

// alertAt is when the alerts below were decided: 14:05 UTC, 08:05 in Chicago.
var alertAt = time.Date(2026, 11, 25, 14, 5, 0, 0, time.UTC)

func baseAlert(kind watch.Kind) watch.Alert {
	return watch.Alert{Kind: kind, WatchID: "0123456789abcdef", ChatID: -100777, CustomerID: custID, LocationID: locID,
		Name: "Home", TimeZone: "America/Chicago", At: alertAt.Add(-3 * time.Minute), Confirmed: alertAt,
		Level: health.LevelHealthy, PrevLevel: health.LevelHealthy}
}

func alertCases() map[string]watch.Alert {
	office := watch.PodChange{Serial: "1HX2AB3CD5", Name: "Office"}
	garage := watch.PodChange{Serial: "1HX2AB3CD6", Name: "Garage"}
	gw := watch.PodChange{Serial: "1HX2AB3CD4", Name: "Living room", Gateway: true}
	cases := map[string]watch.Alert{}
	add := func(name string, kind watch.Kind, f func(a *watch.Alert)) {
		a := baseAlert(kind)
		f(&a)
		cases[name] = a
	}
	add("offline", watch.KindOffline, func(a *watch.Alert) { a.Level, a.Incident, a.OpensIncident = health.LevelOffline, 1, true })
	add("offline_utc", watch.KindOffline, func(a *watch.Alert) { a.TimeZone, a.Level = "", health.LevelOffline })
	add("offline_unknown_zone", watch.KindOffline, func(a *watch.Alert) { a.TimeZone = "Mars/Olympus_Mons" })
	add("offline_yesterday", watch.KindOffline, func(a *watch.Alert) { a.At = alertAt.Add(-20 * time.Hour) })
	add("online", watch.KindOnline, func(a *watch.Alert) {
		a.Duration, a.Incident, a.ClosesIncident, a.ReplyTo = 23*time.Minute, 1, true, 41
	})
	add("online_pods_still_down", watch.KindOnline, func(a *watch.Alert) {
		a.Pods, a.Level, a.PrevLevel = []watch.PodChange{garage}, health.LevelIssues, health.LevelOffline
	})
	add("online_duration_unknown", watch.KindOnline, func(a *watch.Alert) {})
	add("pod_down", watch.KindPodDown, func(a *watch.Alert) { a.Pods, a.Level = []watch.PodChange{office}, health.LevelIssues })
	add("pods_down", watch.KindPodDown, func(a *watch.Alert) {
		a.Pods, a.Level = []watch.PodChange{gw, office, garage}, health.LevelIssues
	})
	add("pod_up_acked_in_group", watch.KindPodUp, func(a *watch.Alert) {
		a.Pods, a.AckedBy, a.Incident, a.ClosesIncident = []watch.PodChange{office}, &watch.Actor{UserID: 5, Name: "Ana <NOC>"}, 2, true
	})
	add("pod_down_acked_in_private", watch.KindPodDown, func(a *watch.Alert) {
		a.ChatID, a.Pods, a.AckedBy = 4242, []watch.PodChange{office}, &watch.Actor{UserID: 4242, Name: "Ana"}
	})
	add("level_worse", watch.KindLevelWorse, func(a *watch.Alert) { a.Level = health.LevelDegraded })
	add("level_better", watch.KindLevelBetter, func(a *watch.Alert) { a.PrevLevel = health.LevelDegraded })
	add("flapping", watch.KindFlapping, func(a *watch.Alert) { a.Flaps, a.At = 4, alertAt.Add(-50*time.Minute) })
	add("stable_online", watch.KindStable, func(a *watch.Alert) {
		a.Duration, a.Online, a.Pods, a.Level = 36*time.Minute, true, []watch.PodChange{garage}, health.LevelIssues
	})
	add("stable_offline", watch.KindStable, func(a *watch.Alert) { a.Duration, a.Level = 2*time.Hour, health.LevelOffline })
	for _, r := range []watch.PauseReason{watch.ReasonCredentials, watch.ReasonLoggedOut, watch.ReasonAccessRevoked,
		watch.ReasonForbidden, watch.ReasonNotFound} {
		add("paused_"+string(r), watch.KindPaused, func(a *watch.Alert) { a.Reason, a.Affected = r, 1 })
	}
	add("paused_three", watch.KindPaused, func(a *watch.Alert) { a.Reason, a.Affected = watch.ReasonCredentials, 3 })
	add("redelivery", watch.KindOffline, func(a *watch.Alert) { a.Redelivery = true })
	add("nasty_names", watch.KindPodDown, func(a *watch.Alert) {
		a.Name = "<b>Bobby</b> & \"Tables\" \u202Eevil"
		a.Pods = []watch.PodChange{{Serial: "X1", Name: "غرفة <i>"}, {Serial: "X2"}}
		a.TimeZone = "<script>"
	})
	return cases
}

// TestAlertGolden: every kind of alert as Telegram receives it.
func TestAlertGolden(t *testing.T) {
	t.Parallel()
	for name, a := range alertCases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			msg := Alert(a)
			checkMessage(t, name, msg)
			golden(t, "alert_"+name, Pages{msg})
		})
	}
}

// checkMessage fails t when msg is not one message Telegram accepts.
func checkMessage(t testing.TB, name, msg string) {
	t.Helper()
	text, err := tgtest.ParseHTML(msg)
	if err != nil {
		t.Errorf("%s: Telegram would reject it: %v\n%s", name, err, msg)
	} else if n := tgtest.UTF16Len(text); n > MaxMessageLen || strings.TrimSpace(text) == "" {
		t.Errorf("%s: %d UTF-16 units", name, n)
	}
}

// TestAlertLongPodList: a hotel losing its 14 pods with 200-character names is still one message.
func TestAlertLongPodList(t *testing.T) {
	t.Parallel()
	a := baseAlert(watch.KindPodDown)
	for i := range 14 {
		a.Pods = append(a.Pods, watch.PodChange{Serial: fmt.Sprint(i), Name: strings.Repeat("Ü", 190) + fmt.Sprint(i)})
	}
	msg := Alert(a)
	checkMessage(t, "14 long pods", msg)
	if !strings.Contains(msg, "14 pods disconnected") || !strings.Contains(msg, "and 7 more") {
		t.Errorf("the pod list is not counted and cut:\n%s", msg)
	}
}

// TestWatchesGolden: /watches for a chat with a watch in each state, and for none.
func TestWatchesGolden(t *testing.T) {
	t.Parallel()
	o := Options{Now: alertAt}
	st := watch.Stats{Watches: 5, Interval: time.Minute, Achieved: 62 * time.Second, Budget: 2, RequestRate: 0.17, UpdatedAt: alertAt}
	w := func(name string, f func(s *watch.Status)) watch.Status {
		s := watch.Status{Watch: watch.Watch{ID: name, ChatID: -100777, CustomerID: custID, LocationID: locID, Name: name,
			Mode: watch.ModeOutages, Created: alertAt.Add(-time.Hour)}, Known: true, Online: true, Level: health.LevelHealthy,
			LastCheck: alertAt.Add(-20 * time.Second), NextCheck: alertAt.Add(42 * time.Second)}
		f(&s)
		return s
	}
	list := []watch.Status{
		w("Home", func(s *watch.Status) {}),
		w("Office park", func(s *watch.Status) {
			s.Online, s.Level = false, health.LevelOffline
			s.Incident = &watch.Incident{Seq: 3, Opened: alertAt.Add(-12 * time.Minute), AckedBy: &watch.Actor{UserID: 1, Name: "Ana"}}
			s.SnoozedUntil = alertAt.Add(58 * time.Minute)
		}),
		w("Shop", func(s *watch.Status) {
			s.Level, s.PodsDown, s.Mode, s.Flapping, s.Pending = health.LevelIssues, []string{"Garage", "Attic"}, watch.ModeLevels, true, 2
			s.LastError = "Plume did not answer in time"
		}),
		w("Cabin", func(s *watch.Status) {
			s.Paused, s.NextCheck = watch.ReasonCredentials, time.Time{}
		}),
		w("New <one>", func(s *watch.Status) { s.Known, s.LastCheck, s.NextCheck, s.Level = false, time.Time{}, time.Time{}, 0 }),
	}
	pages := map[string]Pages{
		"watches":         Watches(list, st, o),
		"watches_none":    Watches(nil, st, o),
		"watches_backoff": Watches(list[:1], watch.Stats{Interval: time.Minute, Budget: 2, UpdatedAt: alertAt, BackoffUntil: alertAt.Add(4 * time.Minute)}, o),
		"watches_idle":    Watches(list[:1], watch.Stats{Interval: time.Minute, Budget: 2}, o),
	}
	for name, p := range pages {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkPages(t, name, p)
			golden(t, name, p)
		})
	}
	// Twenty watches with long names split between entries, never inside one.
	var many []watch.Status
	for i := range 20 {
		many = append(many, w(fmt.Sprintf("%03d %s", i, strings.Repeat("x", 180)), func(s *watch.Status) {}))
	}
	p := Watches(many, st, o)
	checkPages(t, "20 watches", p)
	if len(p) < 2 {
		t.Fatalf("20 long watches in %d page(s)", len(p))
	}
	for i, pg := range p[1:] {
		if !strings.HasPrefix(pg, "\n") && !strings.HasPrefix(strings.TrimLeft(pg, "\n"), "🟢") {
			t.Errorf("page %d starts inside an entry: %.60q", i+2, pg)
		}
	}
}

func FuzzAlert(f *testing.F) {
	f.Add("Home", "Office", "America/Chicago", "Ana", 1, int64(-5))
	f.Add("<b>&amp;", "\u202E\xff", "../../etc/passwd", "</b>", 40, int64(7))
	f.Fuzz(func(t *testing.T, name, pod, zone, actor string, pods int, chat int64) {
		for _, kind := range []watch.Kind{watch.KindOffline, watch.KindOnline, watch.KindPodDown, watch.KindStable,
			watch.KindFlapping, watch.KindPaused, watch.KindLevelWorse} {
			a := baseAlert(kind)
			a.Name, a.TimeZone, a.ChatID, a.Online = name, zone, chat, pods%2 == 0
			a.AckedBy = &watch.Actor{Name: actor}
			for i := range min(max(pods, 0), 400) {
				a.Pods = append(a.Pods, watch.PodChange{Serial: fmt.Sprint(i), Name: pod})
			}
			checkMessage(t, string(kind), Alert(a))
		}
	})
}
