package watch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"plumebot/internal/store"
	"plumebot/internal/watch"
)

func TestAddLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := store.NewMemory()
	defer b.Close()
	h := newHarness(t, newStore(t, b), newPlume(), nil, watch.Config{MaxPerChat: 2, MaxWatches: 3})
	nw := func(chat int64, loc string) watch.NewWatch {
		return watch.NewWatch{ChatID: chat, UserID: userA, CustomerID: custA, LocationID: loc}
	}
	first := h.add(nw(chat1, locA))
	h.add(nw(chat1, locB))
	var lim *watch.LimitError
	if _, err := h.e.Add(ctx, nw(chat1, locC)); !errors.As(err, &lim) || lim.Scope != "chat" || lim.Max != 2 || !errors.Is(err, watch.ErrLimit) {
		t.Fatalf("third watch in a chat of 2: %v, want the chat limit", err)
	}
	h.add(nw(chat2, locA))
	if _, err := h.e.Add(ctx, nw(chat2, locB)); !errors.As(err, &lim) || lim.Scope != "all" || lim.Max != 3 {
		t.Fatalf("fourth watch of 3: %v, want the overall limit", err)
	}
	w, err := h.e.Add(ctx, nw(chat1, locA))
	if !errors.Is(err, watch.ErrAlreadyWatched) || w.ID != first.ID {
		t.Fatalf("the same location again: %+v, %v; want ErrAlreadyWatched with the first watch", w, err)
	}
	// Hexadecimal IDs in upper case name the same location.
	upper := watch.NewWatch{ChatID: chat1, UserID: userA, CustomerID: strings.ToUpper(custA), LocationID: strings.ToUpper(locB)}
	if w, err := h.e.Add(ctx, upper); !errors.Is(err, watch.ErrAlreadyWatched) || w.LocationID != locB {
		t.Fatalf("the same location in upper case: %+v, %v; want ErrAlreadyWatched", w, err)
	}
	// Another forum topic of the same chat is another watch (here: over the limit).
	topic := nw(chat1, locA)
	topic.ThreadID = 7
	if _, err := h.e.Add(ctx, topic); !errors.Is(err, watch.ErrLimit) {
		t.Fatalf("same location in another topic: %v, want it counted as a new watch", err)
	}
	for _, bad := range []watch.NewWatch{
		{ChatID: chat1, UserID: userA, CustomerID: "nothex", LocationID: locA},
		{ChatID: chat1, UserID: userA, CustomerID: custA, LocationID: locA + "0"},
		{ChatID: 0, UserID: userA, CustomerID: custA, LocationID: locA},
		{ChatID: chat1, UserID: userA, CustomerID: custA, LocationID: locA, Mode: "loud"},
	} {
		if _, err := h.e.Add(ctx, bad); !errors.Is(err, watch.ErrInvalid) {
			t.Errorf("Add(%+v): %v, want ErrInvalid", bad, err)
		}
	}
	if _, err := h.e.Remove(ctx, chat1, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.Remove(ctx, chat1, first.ID); !errors.Is(err, watch.ErrNotFound) {
		t.Fatalf("Remove twice: %v, want ErrNotFound", err)
	}
	if _, err := h.e.Remove(ctx, chat2, h.mustList(chat1)[0].ID); !errors.Is(err, watch.ErrNotFound) {
		t.Fatalf("Remove from another chat: %v, want ErrNotFound", err)
	}
	h.add(nw(chat1, locC)) // room again
}

func (h *harness) mustList(chat int64) []watch.Status {
	h.t.Helper()
	sts, err := h.e.List(context.Background(), chat)
	if err != nil {
		h.t.Fatal(err)
	}
	return sts
}

// TestRemoveDropsAlerts: an unwatched location is neither read nor announced any more,
// even with alerts still waiting.
func TestRemoveDropsAlerts(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		h, home, w := startHome(t, b, watch.Config{})
		p := h.plume
		h.sent.setFail(func(watch.Alert, int) error { return errors.New("telegram down") })
		home.offline()
		wait(2 * time.Minute)
		if st := h.mustList(chat1); len(st) != 1 || st[0].Pending != 1 {
			t.Fatalf("before Remove: %+v, want one watch with one pending alert", st)
		}
		if _, err := h.e.Remove(t.Context(), chat1, w.ID); err != nil {
			t.Fatal(err)
		}
		calls := p.callCount()
		h.sent.setFail(nil)
		wait(time.Hour)
		wantAlerts(t, h.sent)
		if p.callCount() != calls {
			t.Fatalf("a removed watch was read %d more times", p.callCount()-calls)
		}
	})
}

// TestPauseResumeUser: /logout pauses the user's watches (silently: the reply says so);
// resuming announces only what changed since the chat was last told.
func TestPauseResumeUser(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		ctx := t.Context()
		p := newPlume()
		h := newHarness(t, newStore(t, b), p, nil, watch.Config{})
		home, _ := h.place(chat1, userA, locA, "Home")
		h.place(chat2, userB, locB, "Shop")
		h.start()
		wait(30 * time.Second)
		if n, err := h.e.PauseWatches(ctx, watch.Selector{UserID: userA}, watch.ReasonLoggedOut); err != nil || n != 1 {
			t.Fatalf("PauseWatches = %d, %v; want 1", n, err)
		}
		if _, err := h.e.PauseWatches(ctx, watch.Selector{}, watch.ReasonLoggedOut); !errors.Is(err, watch.ErrInvalid) {
			t.Fatalf("PauseWatches of everyone: %v, want ErrInvalid", err)
		}
		calls := p.callsFor(locA)
		home.offline()
		wait(time.Hour)
		if p.callsFor(locA) != calls {
			t.Fatal("a paused watch was read")
		}
		wantAlerts(t, h.sent)
		// /watch again on a paused watch resumes it.
		w, err := h.e.Add(ctx, homeWatch())
		if err != nil || w.Paused != "" {
			t.Fatalf("Add of a paused watch = %+v, %v; want it resumed", w, err)
		}
		wait(5 * time.Minute)
		wantAlerts(t, h.sent, "Home offline at 00:00:30 #1 opens")
		if n, err := h.e.ResumeWatches(ctx, watch.Selector{UserID: userA}); err != nil || n != 0 {
			t.Fatalf("ResumeWatches of active watches = %d, %v; want 0", n, err)
		}
	})
}

// TestMigrateChat: a group upgraded to a supergroup keeps its watches, incidents and
// snoozes; later alerts go to the new chat ID and still reply to the incident.
func TestMigrateChat(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		ctx := t.Context()
		h, home, w := startHome(t, b, watch.Config{})
		home.offline()
		wait(2 * time.Minute)
		const super = int64(-1001234567890)
		if n, err := h.e.MigrateChat(ctx, chat1, super); err != nil || n != 1 {
			t.Fatalf("MigrateChat = %d, %v; want 1", n, err)
		}
		if sts := h.mustList(chat1); len(sts) != 0 {
			t.Fatalf("the old chat still has %d watches", len(sts))
		}
		sts := h.mustList(super)
		if len(sts) != 1 || sts[0].ID != w.ID || sts[0].ChatID != super || sts[0].Incident == nil {
			t.Fatalf("the new chat's watches: %+v; want the watch with its open incident", sts)
		}
		home.online()
		wait(5 * time.Minute)
		got := h.sent.alerts()
		wantAlerts(t, h.sent,
			"Home offline at 00:00:30 #1 opens",
			"Home online at 00:02:30 after 2m0s #1 closes re=1",
		)
		if got[0].ChatID != chat1 || got[1].ChatID != super {
			t.Fatalf("alert chats %d, %d; want %d then %d", got[0].ChatID, got[1].ChatID, chat1, super)
		}
	})
}

// TestAlertToAGroupThatMoved: Telegram refuses an alert because the group became a
// supergroup (the chat side missed the news): the watches move there and the alert is sent
// there at once, once, not marked as sent again (it was refused, not lost in flight).
func TestAlertToAGroupThatMoved(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		const super = int64(-1001234567890)
		h, home, w := startHome(t, b, watch.Config{})
		h.sent.setFail(func(a watch.Alert, _ int) error {
			if a.ChatID == chat1 {
				return &watch.ChatMovedError{To: super}
			}
			return nil
		})
		home.offline()
		wait(2 * time.Minute)
		wantAlerts(t, h.sent, "Home offline at 00:00:30 #1 opens")
		if got := h.sent.alerts()[0].ChatID; got != super {
			t.Errorf("the alert went to chat %d, want the supergroup %d", got, super)
		}
		if sts := h.mustList(super); len(sts) != 1 || sts[0].ID != w.ID || sts[0].Pending != 0 {
			t.Errorf("the supergroup's watches: %+v; want the watch, nothing pending", sts)
		}
		if strings.Contains(h.logs.String(), "level=WARN") {
			t.Errorf("warnings:\n%s", h.logs)
		}
	})
}

// TestSealedAtRest (issue 12 §2 and §8): no customer or location ID, location or pod name
// or ack name is readable in the store, in key names or values; no credential in the logs.
func TestSealedAtRest(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		ctx := t.Context()
		h := newHarness(t, newStore(t, b), newPlume(), nil, watch.Config{})
		h.sent.setFail(func(watch.Alert, int) error { return errors.New("telegram down") })
		home, w := h.place(chat1, userA, locA, "Maison Dupont")
		h.start()
		wait(30 * time.Second)
		home.pod("Office", false)
		wait(3 * time.Minute) // an alert waits in the outbox, naming the pod
		if _, err := h.e.Ack(ctx, chat1, w.ID, 1, watch.Actor{UserID: userB, Name: "Ana Secret-Name"}); err != nil {
			t.Fatal(err)
		}
		keys, err := b.Keys(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		var all bytes.Buffer
		for _, k := range keys {
			v, err := b.Get(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&all, "%s=%s\n", k, v)
		}
		for _, s := range []string{custA, locA, "Maison", "Office", "Ana Secret", "SER0000002"} {
			if bytes.Contains(all.Bytes(), []byte(s)) {
				t.Errorf("the store holds %q in clear", s)
			}
		}
		if !strings.Contains(all.String(), fmt.Sprintf("rec:watch:%d:%d:%s=", chat1, userA, w.ID)) {
			t.Errorf("no watch record under its key in %d keys", len(keys))
		}
		if strings.Contains(h.logs.String(), "c2VjcmV0") || strings.Contains(h.logs.String(), "s3cr3t") {
			t.Errorf("the logs hold the credentials:\n%s", h.logs)
		}
	})
}
