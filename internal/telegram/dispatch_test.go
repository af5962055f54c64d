package telegram

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"plumebot/internal/bot"
	"plumebot/internal/telegram/tgtest"
)

// journal records handled updates by user, in order, and wakes waiters on each.
type journal struct {
	mu      sync.Mutex
	texts   map[int64][]string
	changed chan struct{}
}

func newJournal() *journal {
	return &journal{texts: map[int64][]string{}, changed: make(chan struct{})}
}

func (j *journal) add(u bot.Update) {
	j.mu.Lock()
	defer j.mu.Unlock()
	text := u.Text
	if u.Callback != nil {
		text = u.Callback.Data
	}
	j.texts[u.UserID] = append(j.texts[u.UserID], text)
	close(j.changed)
	j.changed = make(chan struct{})
}

func (j *journal) of(user int64) []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.texts[user])
}

// waitFor waits until user's handled updates are want.
func (j *journal) waitFor(t *testing.T, user int64, want ...string) {
	t.Helper()
	ctx := ctxT(t)
	for {
		j.mu.Lock()
		got, ch := slices.Clone(j.texts[user]), j.changed
		j.mu.Unlock()
		if slices.Equal(got, want) {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("user %d: handled %q, want %q", user, got, want)
		}
	}
}

func texts(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i+1)
	}
	return out
}

func countText(msgs []tgtest.Message, text string) int {
	n := 0
	for _, m := range msgs {
		if m.Text == text {
			n++
		}
	}
	return n
}

// One user's flood is bounded: the handled one plus UserQueue waiting, the rest dropped with
// one notice per burst (none in groups; a dropped button press is answered), counted; other
// users are not delayed.
func TestFloodBoundedPerUser(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := ctxT(t)
	j := newJournal()
	release := make(chan struct{})
	c := e.a.Chat()
	e.poll(t, HandlerFunc(func(ctx context.Context, u bot.Update) {
		if u.Text == "m1" || u.Text == "g1" || (u.Callback != nil && u.Callback.Data == "c1") {
			<-release // the first update of each flood is slow
		}
		if u.Callback != nil {
			_ = c.AnswerCallback(ctx, u.Callback.ID, "")
		}
		j.add(u)
	}))
	for _, text := range texts("m", 10) {
		e.srv.PushMessage(1, 1, text)
	}
	for _, text := range texts("g", 10) {
		e.srv.PushMessage(3, -50, text)
	}
	for _, data := range texts("c", 10) {
		e.srv.PushCallback(4, 4, 1, data)
	}
	e.srv.PushMessage(2, 2, "other user")
	j.waitFor(t, 2, "other user") // while user 1's first update is still being handled

	if err := e.srv.WaitUntil(ctx, func(s *tgtest.Server) bool { return countText(s.Messages(1), floodNotice) == 1 }); err != nil {
		t.Fatalf("no flood notice in the private chat: %+v", e.srv.Messages(1))
	}
	if err := e.srv.WaitUntil(ctx, func(s *tgtest.Server) bool { return len(s.Calls("answerCallbackQuery")) == 4 }); err != nil {
		t.Fatalf("dropped button presses not answered: %+v", e.srv.Calls("answerCallbackQuery"))
	}
	for _, c := range e.srv.Calls("answerCallbackQuery") {
		if c.String("text") != floodToast {
			t.Errorf("dropped button press answered %q", c.String("text"))
		}
	}
	close(release)
	j.waitFor(t, 1, texts("m", 6)...)
	j.waitFor(t, 3, texts("g", 6)...)
	j.waitFor(t, 4, texts("c", 6)...)
	if n := e.metrics.count(func(m *recMetrics) int { return m.dropped[DropFlood] }); n != 12 {
		t.Errorf("%d drops counted, want 12", n)
	}
	if msgs := e.srv.Messages(-50); len(msgs) != 0 {
		t.Errorf("the group heard about the flood: %+v", msgs)
	}

	// A new burst, a new notice; the first burst's notice stays the only other one.
	e.a.Wait()
	release = make(chan struct{})
	for _, text := range texts("m", 8) {
		e.srv.PushMessage(1, 1, text)
	}
	if err := e.srv.WaitUntil(ctx, func(s *tgtest.Server) bool { return countText(s.Messages(1), floodNotice) == 2 }); err != nil {
		t.Fatalf("no notice for the second burst: %+v", e.srv.Messages(1))
	}
	close(release)
	j.waitFor(t, 1, append(texts("m", 6), texts("m", 6)...)...)
	if n := countText(e.srv.Messages(1), floodNotice); n != 2 {
		t.Errorf("%d notices for two bursts", n)
	}
}

// Polling stops within DrainTimeout however long the queue: the running handler is cancelled,
// queued updates are given back unconfirmed, and the next start handles them, once, and
// nothing else again.
func TestDrainGivesBackUnhandledUpdates(t *testing.T) {
	t.Parallel()
	srv := tgtest.New()
	t.Cleanup(srv.Close)
	seen := &localSeen{} // what the store is across restarts
	logs := &syncBuf{}
	newAdapter := func(m Metrics) *Adapter {
		a, err := New(Options{Token: srv.Token, APIURL: srv.APIURL(), HTTPClient: srv.Client(), PollTimeout: time.Second,
			Logger: slog.New(slog.NewTextHandler(logs, nil)), Metrics: m, Seen: seen, DrainTimeout: 100 * time.Millisecond,
			PerChatInterval: -1, GroupPerMinute: -1, GlobalPerSecond: -1})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	first := newJournal()
	cancelled := make(chan struct{})
	a1 := newAdapter(nil)
	ctx1, stop1 := context.WithCancel(context.Background())
	done1 := make(chan error, 1)
	go func() {
		done1 <- a1.Poll(ctx1, HandlerFunc(func(ctx context.Context, u bot.Update) {
			first.add(u)
			if u.Text == "a1" {
				<-ctx.Done() // slow: only the end of the drain stops it
				close(cancelled)
			}
		}))
	}()
	for _, text := range texts("a", 4) {
		srv.PushMessage(1, 1, text)
	}
	srv.PushMessage(2, 2, "b1")
	srv.PushMessage(2, 2, "b2")
	first.waitFor(t, 2, "b1", "b2")
	first.waitFor(t, 1, "a1")
	stop1()
	if err := <-done1; err != nil {
		t.Fatal(err)
	}
	<-cancelled
	if l := logs.String(); !strings.Contains(l, "not_handled=3 cancelled=1") {
		t.Errorf("the drain did not log what it left:\n%s", l)
	}
	if n := srv.Pending(); n != 5 {
		t.Errorf("%d updates left unconfirmed, want 5 (a2-a4 given back, b1 and b2 above them)", n)
	}

	m := newRecMetrics()
	second := newJournal()
	a2 := newAdapter(m)
	ctx2, stop2 := context.WithCancel(context.Background())
	done2 := make(chan error, 1)
	go func() { done2 <- a2.Poll(ctx2, HandlerFunc(func(_ context.Context, u bot.Update) { second.add(u) })) }()
	second.waitFor(t, 1, "a2", "a3", "a4")
	if err := srv.WaitUntil(ctxT(t), func(s *tgtest.Server) bool { return s.Pending() == 0 }); err != nil {
		t.Errorf("%d updates still unconfirmed", srv.Pending())
	}
	stop2()
	if err := <-done2; err != nil {
		t.Fatal(err)
	}
	if got := second.of(2); len(got) != 0 {
		t.Errorf("handled again after the restart: %q", got)
	}
	if n := m.count(func(m *recMetrics) int { return m.dropped[DropDuplicate] }); n != 2 {
		t.Errorf("%d duplicates skipped, want 2 (b1, b2)", n)
	}
}

// In webhook mode Drain is bounded the same way, and after it deliveries get 503 (Telegram
// keeps them for later).
func TestDrainWebhook(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.a.opts.DrainTimeout = 100 * time.Millisecond
	j := newJournal()
	url := e.hook(t, HandlerFunc(func(ctx context.Context, u bot.Update) {
		j.add(u)
		<-ctx.Done()
	}))
	for _, text := range texts("a", 3) {
		if st := post(t, url, hookSecret, e.srv.MessageUpdate(1, 1, text)); st != 200 {
			t.Fatalf("status %d", st)
		}
	}
	j.waitFor(t, 1, "a1")
	e.a.Drain()
	if l := e.logs.String(); !strings.Contains(l, "not_handled=2 cancelled=1") {
		t.Errorf("the drain did not log what it left:\n%s", l)
	}
	if st := post(t, url, hookSecret, e.srv.MessageUpdate(1, 1, "late")); st != 503 {
		t.Errorf("a delivery after the drain: %d, want 503", st)
	}
	if got := j.of(1); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("handled %q", got)
	}
}
