package telegram

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"plumebot/internal/telegram/tgtest"
)

// The pacing tests run the real adapter against the real fake Bot API, with its flood limits
// (the same windows as Telegram's) on, in a synctest bubble: the clock is fake and moves only
// when everything waits, so "at once" and "exactly one second later" are exact, and a sender
// that paces stricter than Telegram shows as a later time, one that paces looser as a 429.

// inProcess is an adapter (pacing as given, defaults otherwise) and a fake with the limits on,
// without a socket: for synctest bubbles.
func inProcess(t *testing.T, opts Options) (*tgtest.Server, *Adapter) {
	t.Helper()
	srv := tgtest.NewInProcess()
	srv.EnforceRates(true)
	opts.Token, opts.APIURL, opts.HTTPClient = srv.Token, srv.APIURL(), srv.Client()
	opts.PollTimeout, opts.Logger = time.Second, slog.New(slog.DiscardHandler)
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return srv, a
}

// sendAll sends one message to each chat, all at once, and returns when each was answered,
// measured from the start, in the order of chats.
func sendAll(t *testing.T, a *Adapter, chats []int64) []time.Duration {
	t.Helper()
	start := time.Now()
	done := make([]time.Duration, len(chats))
	var wg sync.WaitGroup
	for i, chat := range chats {
		wg.Go(func() {
			if _, err := a.Chat().Send(context.Background(), chat, "x", nil); err != nil {
				t.Errorf("send to chat %d: %v", chat, err)
			}
			done[i] = time.Since(start)
		})
	}
	wg.Wait()
	return done
}

// histogram counts the durations.
func histogram(ds []time.Duration) map[time.Duration]int {
	h := map[time.Duration]int{}
	for _, d := range ds {
		h[d]++
	}
	return h
}

func chats(from int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = from + int64(i)
	}
	return out
}

func count429(srv *tgtest.Server) int {
	n := 0
	for _, c := range srv.Calls("") {
		if c.Status == 429 {
			n++
		}
	}
	return n
}

// 30 messages to 30 chats all go at once (the old 10-message burst made 20 of them wait),
// the next 30 exactly one second later; Telegram refuses none.
func TestPacingOverallIsExactlyThirtyPerSecond(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv, a := inProcess(t, Options{})
		got := histogram(sendAll(t, a, chats(100, 75)))
		want := map[time.Duration]int{0: 30, time.Second: 30, 2 * time.Second: 15}
		if !maps.Equal(got, want) {
			t.Errorf("answers by time = %v, want %v", got, want)
		}
		if n := count429(srv); n != 0 {
			t.Errorf("%d × 429 from the fake", n)
		}
	})
}

// One chat: a burst of three at once, then one per second. A group: at most 20 in any minute.
func TestPacingPerChatAndPerGroup(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv, a := inProcess(t, Options{})
		sequence := func(chat int64, n int) []time.Duration {
			start := time.Now()
			var out []time.Duration
			for range n {
				if _, err := a.Chat().Send(context.Background(), chat, "x", nil); err != nil {
					t.Fatalf("send to %d: %v", chat, err)
				}
				out = append(out, time.Since(start))
			}
			return out
		}
		s := time.Second
		if got, want := sequence(7, 6), []time.Duration{0, 0, 0, s, 2 * s, 3 * s}; !slices.Equal(got, want) {
			t.Errorf("private chat: answers at %v, want %v", got, want)
		}
		// 3 at once, then one per second up to the 20th (17 s); the 21st and 22nd wait for the
		// first three to leave the minute, and then the chat's burst lets them go together.
		got := sequence(-9, 22)
		want := []time.Duration{0, 0, 0}
		for i := 1; i <= 17; i++ {
			want = append(want, time.Duration(i)*s)
		}
		want = append(want, time.Minute, time.Minute)
		if !slices.Equal(got, want) {
			t.Errorf("group: answers at %v, want %v", got, want)
		}
		if n := count429(srv); n != 0 {
			t.Errorf("%d × 429 from the fake", n)
		}
	})
}

// A sender one message looser than Telegram's limits, in any of the three, gets 429s from the
// fake: the fake's windows are Telegram's, not a margin around them.
func TestLooserPacingGets429(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opts  Options
		chats []int64
	}{
		{"31 per second", Options{GlobalPerSecond: 31}, chats(100, 31)},
		{"a burst of 4", Options{ChatBurst: 4}, []int64{5, 5, 5, 5}},
		{"21 per minute in a group", Options{GroupPerMinute: 21, PerChatInterval: -1}, slices.Repeat([]int64{-5}, 21)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				srv, a := inProcess(t, tt.opts)
				sendAll(t, a, tt.chats)
				if n := count429(srv); n == 0 {
					t.Error("no 429: the fake does not enforce Telegram's exact limit")
				}
			})
		})
	}
}

// A 429 is waited out whole (the chat holds its place), then the whole sender runs at half
// the overall rate for a minute.
func TestPacing429SlowsTheWholeSender(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv, a := inProcess(t, Options{})
		srv.Fault("sendMessage", tgtest.Fault{Status: 429, RetryAfter: 2})
		start := time.Now()
		if _, err := a.Chat().Send(context.Background(), 1, "x", nil); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 2*time.Second {
			t.Errorf("the rate-limited message went after %v, want the whole retry_after (2s)", d)
		}
		// The retry still holds one of the 15 places in this second.
		got := histogram(sendAll(t, a, chats(100, 30)))
		want := map[time.Duration]int{0: 14, time.Second: 15, 2 * time.Second: 1}
		if !maps.Equal(got, want) {
			t.Errorf("after a 429, answers by time = %v, want %v", got, want)
		}
		time.Sleep(time.Minute)
		if got := histogram(sendAll(t, a, chats(200, 30))); got[0] != 30 {
			t.Errorf("a minute later, answers by time = %v, want 30 at once", got)
		}
	})
}

// Over a real socket the sender cannot see when Telegram counts a message; it counts each
// from its request to one window after its answer, so no jitter makes the fake refuse one.
func TestPacingOverLoopbackGetsNo429(t *testing.T) {
	t.Parallel()
	srv := tgtest.New()
	t.Cleanup(srv.Close)
	srv.EnforceRates(true)
	a, err := New(Options{Token: srv.Token, APIURL: srv.APIURL(), HTTPClient: srv.Client(), PollTimeout: time.Second,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	targets := append(chats(100, 40), 7, 7, 7, 7, -8, -8, -8, -8)
	sendAll(t, a, targets)
	if n := count429(srv); n != 0 {
		t.Errorf("%d × 429 from the fake", n)
	}
	if n := len(srv.Calls("sendMessage")); n != len(targets) {
		t.Errorf("%d sendMessage calls for %d messages", n, len(targets))
	}
}
