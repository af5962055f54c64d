package watch_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"plumebot/internal/plume"
	"plumebot/internal/store"
	"plumebot/internal/watch"
)

// TestCredentialsFail: Plume refusing the credentials pauses every watch of their user and
// tells each chat once; nothing more is read for them until they are resumed, and then
// the chat learns what changed meanwhile.
func TestCredentialsFail(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		ctx := t.Context()
		p := newPlume()
		h := newHarness(t, newStore(t, b), p, nil, watch.Config{})
		home, _ := h.place(chat1, userA, locA, "Home")
		h.place(chat1, userA, locB, "Shop")
		h.place(chat2, userA, locC, "Cabin")
		other := h.add(watch.NewWatch{ChatID: chat2, UserID: userB, CustomerID: custA, LocationID: locB, Name: "Shop (B)"})
		h.start()
		wait(time.Minute)
		home.fail(&plume.Error{Kind: plume.KindUnauthorized, Status: 401, Endpoint: "location"})
		wait(3 * time.Minute) // two failed checks of Home
		wantAlertsAnyOrder(t, h.sent,
			"Home paused reason=credentials affected=2",
			"Cabin paused reason=credentials affected=1",
		)
		calls := []int{p.callsFor(locA), p.callsFor(locC)}
		wait(time.Hour)
		if got := []int{p.callsFor(locA), p.callsFor(locC)}; fmt.Sprint(got) != fmt.Sprint(calls) {
			t.Fatalf("paused watches were read: calls %v, then %v", calls, got)
		}
		if len(h.sent.alerts()) != 2 {
			t.Fatalf("told %d times, want once per chat", len(h.sent.alerts()))
		}
		st, err := h.e.Get(ctx, chat2, other.ID)
		if err != nil || st.Paused != "" || st.LastError != "" {
			t.Fatalf("another user's watch: %+v, %v; want active and fine", st, err)
		}

		home.fail(nil)
		home.offline()
		n, err := h.e.ResumeWatches(ctx, watch.Selector{UserID: userA}, watch.ReasonCredentials, watch.ReasonLoggedOut)
		if err != nil || n != 3 {
			t.Fatalf("ResumeWatches = %d, %v; want 3", n, err)
		}
		wait(5 * time.Minute)
		got := describeAll(h.sent.alerts())
		if want := "Home offline at 01:04:00 #1 opens"; len(got) != 3 || got[2] != want {
			t.Fatalf("alerts after resuming: %q; want the two pauses, then %q", got, want)
		}
	})
}

// TestNoCredentials: a user without credentials any more (logged out, not through the bot)
// pauses at the first check, not after a hold: nothing was asked of Plume.
func TestNoCredentials(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		p := newPlume()
		h := newHarness(t, newStore(t, b), p, nil, watch.Config{})
		h.place(chat1, userA, locA, "Home")
		h.creds.set(userA, fmt.Errorf("load: %w", watch.ErrNoCredentials))
		h.start()
		wait(time.Hour)
		wantAlerts(t, h.sent, "Home paused reason=logged_out affected=1")
		if n := p.callCount(); n != 0 {
			t.Fatalf("%d Plume reads without credentials", n)
		}
	})
}

// TestLocationGone: Plume's 404 and 403 pause only that watch, after the hold, and say so.
func TestLocationGone(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		h := newHarness(t, newStore(t, b), newPlume(), nil, watch.Config{})
		home, _ := h.place(chat1, userA, locA, "Home")
		shop, _ := h.place(chat1, userA, locB, "Shop")
		h.place(chat1, userA, locC, "Cabin")
		h.start()
		wait(time.Minute)
		home.fail(&plume.Error{Kind: plume.KindNotFound, Status: 404})
		shop.fail(&plume.Error{Kind: plume.KindForbidden, Status: 403, Endpoint: "location"})
		wait(time.Hour)
		wantAlertsAnyOrder(t, h.sent,
			"Home paused reason=not_found affected=1",
			"Shop paused reason=forbidden affected=1",
		)
		sts, err := h.e.List(t.Context(), chat1)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]watch.PauseReason{}
		for _, s := range sts {
			got[s.Name] = s.Paused
		}
		if want := map[string]watch.PauseReason{"Home": watch.ReasonNotFound, "Shop": watch.ReasonForbidden, "Cabin": ""}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("List = %v, want %v", got, want)
		}
	})
}

// TestRateLimitBacksOff: one WAF refusal stops every check for the back-off.
func TestRateLimitBacksOff(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		p := newPlume()
		h := newHarness(t, newStore(t, b), p, nil, watch.Config{})
		home, _ := h.place(chat1, userA, locA, "Home")
		h.place(chat1, userA, locB, "Shop")
		h.start()
		wait(45 * time.Second) // checks at 0 and 30 s
		home.fail(&plume.Error{Kind: plume.KindRateLimited, Status: 403})
		wait(time.Minute) // Home's check at 60 or 90 s is refused
		home.fail(nil)
		before := p.callCount()
		wait(4 * time.Minute) // until 00:05:45, before the back-off ends at 00:06:00 or 00:06:30
		if n := p.callCount() - before; n != 0 {
			t.Fatalf("%d checks during the back-off, want none", n)
		}
		st, err := h.e.Stats(t.Context())
		if err != nil || st.BackoffUntil.Before(time.Date(2000, 1, 1, 0, 6, 0, 0, time.UTC)) {
			t.Fatalf("Stats = %+v, %v; want a back-off until 00:06:00 or later", st, err)
		}
		wait(2 * time.Minute)
		if n := p.callCount() - before; n == 0 {
			t.Fatal("no check after the back-off")
		}
		wantAlerts(t, h.sent)
	})
}

// TestLocalRateLimitIsNoBackOff: a check that never left because the bot's own per-host limit
// was busy (agents' commands queued ahead of it past the check's deadline: plume's
// HostLimits, Status 0) is a failed check retried at the next turn, not a WAF refusal:
// stopping every check for five minutes would punish the watcher for the agents' burst.
func TestLocalRateLimitIsNoBackOff(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		p := newPlume()
		h := newHarness(t, newStore(t, b), p, nil, watch.Config{})
		home, w := h.place(chat1, userA, locA, "Home")
		h.start()
		wait(30 * time.Second)
		home.fail(&plume.Error{Kind: plume.KindRateLimited, Endpoint: "location", RetryAfter: 40 * time.Second,
			Detail: "client-side rate limit"})
		wait(time.Minute) // the check at 60 s never left
		home.fail(nil)
		before := p.callsFor(locA)
		wait(time.Minute)
		if n := p.callsFor(locA) - before; n != 1 {
			t.Fatalf("%d checks in the minute after, want 1 (no back-off)", n)
		}
		st, err := h.e.Stats(t.Context())
		if err != nil || !st.BackoffUntil.IsZero() {
			t.Fatalf("Stats = %+v, %v; want no back-off", st, err)
		}
		if s, err := h.e.Get(t.Context(), chat1, w.ID); err != nil || s.LastError != "" {
			t.Fatalf("Get = %+v, %v; want the last check fine", s, err)
		}
		if strings.Contains(h.logs.String(), "firewall") {
			t.Errorf("the log blames Plume's firewall:\n%s", h.logs)
		}
	})
}

// TestChatUnreachable: a chat that blocked the bot pauses its watches and drops their
// alerts; other chats go on.
func TestChatUnreachable(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		ctx := t.Context()
		h := newHarness(t, newStore(t, b), newPlume(), nil, watch.Config{})
		h.sent.setFail(func(a watch.Alert, _ int) error {
			if a.ChatID == chat1 {
				return fmt.Errorf("telegram: 403 bot was blocked by the user: %w", watch.ErrChatUnreachable)
			}
			return nil
		})
		home, _ := h.place(chat1, userA, locA, "Home")
		h.place(chat1, userA, locC, "Cabin")
		shop, _ := h.place(chat2, userA, locB, "Shop")
		h.start()
		wait(time.Minute)
		home.offline()
		shop.offline()
		wait(time.Hour)
		wantAlerts(t, h.sent, "Shop offline at 00:01:00 #1 opens")
		sts, err := h.e.List(ctx, chat1)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sts {
			if s.Paused != watch.ReasonChatUnreachable || s.Pending != 0 {
				t.Errorf("%s: paused %q with %d pending alerts; want chat_unreachable, none pending", s.Name, s.Paused, s.Pending)
			}
		}
		if h.sent.tried != 2 {
			t.Errorf("%d sends tried, want 2 (one refused, never retried)", h.sent.tried)
		}
	})
}

// TestTransientSendFailure: alerts that cannot be sent for a while are sent later, once
// each, in order, the later one replying to the first.
func TestTransientSendFailure(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		h, home, _ := startHome(t, b, watch.Config{})
		down := time.Now().Add(5 * time.Minute)
		h.sent.setFail(func(watch.Alert, int) error {
			if time.Now().Before(down) {
				return errors.New("telegram: 502 Bad Gateway")
			}
			return nil
		})
		home.offline()
		wait(2 * time.Minute)
		home.online()
		wait(10 * time.Minute)
		wantAlerts(t, h.sent,
			"Home offline at 00:00:30 #1 opens",
			"Home online at 00:02:30 after 2m0s #1 closes re=1",
		)
	})
}
