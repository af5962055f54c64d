package watch_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"plumebot/internal/store"
	"plumebot/internal/watch"
)

// listing is a Store that counts its key listings (on Redis, each is a SCAN of the keyspace).
type listing struct {
	watch.Store
	n atomic.Int64
}

func (s *listing) RecordKeys(ctx context.Context, prefix string) ([]string, error) {
	s.n.Add(1)
	return s.Store.RecordKeys(ctx, prefix)
}

// TestChatQuestionsListNothing: what a chat asks (the 🔔/🔕 button of every /health, /watches,
// an alert's buttons, /unwatch) and a group's move to its supergroup read the chat's own
// records, never a listing of the store's keys.
func TestChatQuestionsListNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := store.NewMemory()
	defer b.Close()
	st := &listing{Store: newStore(t, b)}
	h := newHarness(t, st, newPlume(), nil, watch.Config{})
	home := h.add(homeWatch())
	topic := homeWatch()
	topic.ThreadID, topic.LocationID = 7, locB
	office := h.add(topic)
	h.add(watch.NewWatch{ChatID: chat2, UserID: userB, CustomerID: custA, LocationID: locA})

	st.n.Store(0)
	if id, err := h.e.Find(ctx, chat1, 0, custA, strings.ToUpper(locA)); err != nil || id != home.ID {
		t.Errorf("Find(Home) = %q, %v; want %s", id, err, home.ID)
	}
	if _, err := h.e.Find(ctx, chat1, 0, custA, locB); !errors.Is(err, watch.ErrNotFound) {
		t.Errorf("Find of a location watched in another topic: %v, want ErrNotFound", err)
	}
	if id, err := h.e.Find(ctx, chat1, 7, custA, locB); err != nil || id != office.ID {
		t.Errorf("Find in topic 7 = %q, %v; want %s", id, err, office.ID)
	}
	if sts, err := h.e.List(ctx, chat1); err != nil || len(sts) != 2 {
		t.Errorf("List = %d watches, %v; want 2", len(sts), err)
	}
	if _, err := h.e.Get(ctx, chat1, home.ID); err != nil {
		t.Error(err)
	}
	if _, err := h.e.Get(ctx, chat2, home.ID); !errors.Is(err, watch.ErrNotFound) {
		t.Errorf("Get of another chat's watch: %v, want ErrNotFound", err)
	}
	if _, err := h.e.Snooze(ctx, chat1, home.ID, time.Hour); err != nil {
		t.Error(err)
	}
	if _, err := h.e.Ack(ctx, chat1, home.ID, 1, watch.Actor{UserID: userA}); !errors.Is(err, watch.ErrIncidentClosed) {
		t.Errorf("Ack without an incident: %v", err)
	}
	if n, err := h.e.PauseWatches(ctx, watch.Selector{ChatID: chat2}, watch.ReasonChatUnreachable); err != nil || n != 1 {
		t.Errorf("PauseWatches(chat2) = %d, %v; want 1", n, err)
	}
	const super = int64(-1009876543210)
	if n, err := h.e.MigrateChat(ctx, chat1, super); err != nil || n != 2 {
		t.Errorf("MigrateChat = %d, %v; want 2", n, err)
	}
	if id, err := h.e.Find(ctx, super, 7, custA, locB); err != nil || id != office.ID {
		t.Errorf("Find in the supergroup = %q, %v; want %s", id, err, office.ID)
	}
	if _, err := h.e.Find(ctx, chat1, 0, custA, locA); !errors.Is(err, watch.ErrNotFound) {
		t.Errorf("Find in the group that moved: %v, want ErrNotFound", err)
	}
	if _, err := h.e.Remove(ctx, super, home.ID); err != nil {
		t.Error(err)
	}
	if _, err := h.e.Find(ctx, super, 0, custA, locA); !errors.Is(err, watch.ErrNotFound) {
		t.Errorf("Find after Remove: %v, want ErrNotFound", err)
	}
	if n := st.n.Load(); n != 0 {
		t.Errorf("the chat's questions listed the store's keys %d times, want 0", n)
	}
	if sts, err := h.e.List(ctx, super); err != nil || len(sts) != 1 || sts[0].ID != office.ID {
		t.Errorf("List(supergroup) = %+v, %v; want the topic's watch", sts, err)
	}
}

// TestIndexOfAnOlderStore: watches stored before the chat index existed are indexed once, by
// the first engine that needs it.
func TestIndexOfAnOlderStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := store.NewMemory()
	defer b.Close()
	st := newStore(t, b)
	h := newHarness(t, st, newPlume(), nil, watch.Config{})
	home := h.add(homeWatch())
	other := h.add(watch.NewWatch{ChatID: chat2, UserID: userB, CustomerID: custA, LocationID: locB})
	keys, err := b.Keys(ctx, "rec:watch-")
	if err != nil || len(keys) != 3 {
		t.Fatalf("index records %q, %v; want the mark and one per chat", keys, err)
	}
	for _, k := range keys {
		if err := b.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	later := newHarness(t, st, newPlume(), nil, watch.Config{})
	if id, err := later.e.Find(ctx, chat1, 0, custA, locA); err != nil || id != home.ID {
		t.Errorf("Find = %q, %v; want %s", id, err, home.ID)
	}
	if sts, err := later.e.List(ctx, chat2); err != nil || len(sts) != 1 || sts[0].ID != other.ID {
		t.Errorf("List(chat2) = %+v, %v", sts, err)
	}
}

// TestWatchesSealedWithADroppedKey: after a key rotation without `plumebot rekey`, a watch
// that no longer opens is absent, as every record that does not open is (store.Absent): not
// listed, not counted against the limits, not in the way of watching the location again,
// and dropped by the checking loop instead of being tried at every check.
func TestWatchesSealedWithADroppedKey(t *testing.T) {
	inBubble(t, func(t *testing.T, b store.Backend) {
		ctx := t.Context()
		old := newHarness(t, newStore(t, b), newPlume(), nil, watch.Config{})
		old.add(homeWatch())
		old.add(watch.NewWatch{ChatID: chat2, UserID: userB, CustomerID: custA, LocationID: locB})

		oldKey, newKey := bytes.Repeat([]byte{7}, store.KeySize), bytes.Repeat([]byte{8}, store.KeySize)
		both, err := store.NewKeyring(newKey, oldKey)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.New(ctx, b, both); err != nil { // re-seals the check record
			t.Fatal(err)
		}
		only, err := store.NewKeyring(newKey)
		if err != nil {
			t.Fatal(err)
		}
		st, err := store.New(ctx, b, only)
		if err != nil {
			t.Fatal(err)
		}
		h := newHarness(t, st, newPlume(), nil, watch.Config{MaxPerChat: 1, MaxWatches: 2})
		h.plume.add(custA, locA, "Home")
		if sts := h.mustList(chat1); len(sts) != 0 {
			t.Fatalf("List shows %d watches that do not open", len(sts))
		}
		if _, err := h.e.Find(ctx, chat1, 0, custA, locA); !errors.Is(err, watch.ErrNotFound) {
			t.Fatalf("Find of a watch that does not open: %v, want ErrNotFound", err)
		}
		w, err := h.e.Add(ctx, homeWatch())
		if err != nil {
			t.Fatalf("/watch again after the key was dropped: %v", err)
		}
		h.start()
		wait(2 * time.Minute)
		if n := strings.Count(h.logs.String(), "dropped a watch that cannot be read"); n != 2 {
			t.Errorf("%d watches dropped, want 2; logs:\n%s", n, h.logs)
		}
		keys, err := st.RecordKeys(ctx, "watch:")
		if want := "watch:" + itoa(chat1) + ":" + itoa(userA) + ":" + w.ID; err != nil || len(keys) != 1 || keys[0] != want {
			t.Errorf("watch records %q, %v; want only the new one", keys, err)
		}
		if sts := h.mustList(chat1); len(sts) != 1 || sts[0].ID != w.ID || !sts[0].Known {
			t.Errorf("List = %+v; want the new watch, checked", sts)
		}
		if strings.Contains(h.logs.String(), "load a watch") {
			t.Errorf("the checking loop still tries the watches that do not open:\n%s", h.logs)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
