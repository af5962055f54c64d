package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"plumebot/internal/bot"
	"plumebot/internal/telegram/tgtest"
)

// syncBuf is a log sink safe for concurrent writers.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type recMetrics struct {
	mu       sync.Mutex
	kinds    map[string]int
	dropped  map[string]int
	outcomes map[string]int // "method outcome"
	limited  []time.Duration
}

func newRecMetrics() *recMetrics {
	return &recMetrics{kinds: map[string]int{}, dropped: map[string]int{}, outcomes: map[string]int{}}
}

func (m *recMetrics) UpdateReceived(kind string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.kinds[kind]++
}

func (m *recMetrics) UpdateDropped(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropped[reason]++
}

func (m *recMetrics) Sent(method, outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.outcomes[method+" "+outcome]++
}

// count reads one of the maps under the lock.
func (m *recMetrics) count(f func(*recMetrics) int) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return f(m)
}

func (m *recMetrics) RateLimited(_ string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.limited = append(m.limited, d)
}

type env struct {
	srv     *tgtest.Server
	a       *Adapter
	logs    *syncBuf
	metrics *recMetrics
}

func setup(t *testing.T) *env {
	t.Helper()
	srv := tgtest.New()
	t.Cleanup(srv.Close)
	logs := &syncBuf{}
	m := newRecMetrics()
	a, err := New(Options{
		Token: srv.Token, APIURL: srv.APIURL(), Logger: slog.New(slog.NewTextHandler(logs, nil)),
		HTTPClient:  tgtest.LoopbackClient(),
		PollTimeout: time.Second, HandleTimeout: 10 * time.Second, Metrics: m,
		PerChatInterval: -1, GroupPerMinute: -1, GlobalPerSecond: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	a.backoffMin, a.backoffMax = 5*time.Millisecond, 20*time.Millisecond
	a.retryMin, a.retryMax = 5*time.Millisecond, 20*time.Millisecond
	return &env{srv: srv, a: a, logs: logs, metrics: m}
}

// dispatch queues u for h as an accepted update would be.
func (a *Adapter) dispatch(ctx context.Context, u bot.Update, h Handler) error {
	return a.queue.dispatch(ctx, job{u: u, h: h, giveBack: func() {}})
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// poll runs Poll until the test ends and checks it returns nil.
func (e *env) poll(t *testing.T, h Handler) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.a.Poll(ctx, h) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Poll returned %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Error("Poll did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func recv(t *testing.T, ch <-chan bot.Update) bot.Update {
	t.Helper()
	select {
	case u := <-ch:
		return u
	case <-time.After(10 * time.Second):
		t.Fatal("no update handled")
		return bot.Update{}
	}
}

func TestPollConvertsAndConfirms(t *testing.T) {
	t.Parallel()
	e := setup(t)
	got := make(chan bot.Update, 10)
	if _, err := e.a.Me(ctxT(t)); err != nil { // as serve does: "/cmd@name" needs our name
		t.Fatal(err)
	}
	msgID := e.srv.PushMessage(42, 42, "/health@"+tgtest.BotUsername+" aa bb")
	stop := e.poll(t, HandlerFunc(func(_ context.Context, u bot.Update) { got <- u }))

	u := recv(t, got)
	want := bot.Update{ID: u.ID, UserID: 42, Username: "user42", FirstName: "User42", ChatID: 42,
		ChatType: bot.ChatPrivate, MessageID: msgID, Text: "/health aa bb"}
	if u != want || u.ID == 0 {
		t.Errorf("message update = %+v, want %+v", u, want)
	}
	cbID := e.srv.PushCallback(43, -1001, 9, "n:1")
	u = recv(t, got)
	if u.Callback == nil || u.Callback.ID != cbID || u.Callback.Data != "n:1" || u.ChatID != -1001 ||
		u.MessageID != 9 || u.UserID != 43 || u.ChatType != bot.ChatSupergroup || u.Text != "" {
		t.Errorf("callback update = %+v (%+v)", u, u.Callback)
	}
	stop()
	if calls := e.srv.Calls(""); len(calls) < 2 || calls[1].Method != "deleteWebhook" {
		t.Errorf("Poll's first call is not deleteWebhook: %+v", calls)
	}
	if n := e.srv.Pending(); n != 0 {
		t.Errorf("%d updates left unconfirmed", n)
	}
	select {
	case u := <-got:
		t.Errorf("update handled twice or extra: %+v", u)
	default:
	}
	if e.metrics.kinds["message"] != 1 || e.metrics.kinds["callback"] != 1 {
		t.Errorf("metrics = %v", e.metrics.kinds)
	}
}

func TestPollConflictIsLoggedAndRetried(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.Fault("getUpdates", tgtest.Fault{Status: 409, Times: 2})
	e.srv.PushMessage(1, 1, "hi")
	got := make(chan bot.Update, 1)
	e.poll(t, HandlerFunc(func(_ context.Context, u bot.Update) { got <- u }))
	if u := recv(t, got); u.Text != "hi" {
		t.Errorf("got %+v", u)
	}
	if !strings.Contains(e.logs.String(), "another instance is polling with this token, or a webhook is set") {
		t.Errorf("no conflict line in logs:\n%s", e.logs)
	}
}

func TestSendRetriesAfter429(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.Fault("sendMessage", tgtest.Fault{Status: 429, RetryAfter: 1})
	id, err := e.a.Chat().Send(ctxT(t), 5, "<b>hi</b>", bot.Keyboard{{{Text: "Nodes", Data: "n"}}})
	if err != nil {
		t.Fatal(err)
	}
	calls := e.srv.Calls("sendMessage")
	if len(calls) != 2 || calls[0].Status != 429 || calls[1].Status != 200 {
		t.Fatalf("calls = %+v", calls)
	}
	if calls[1].String("parse_mode") != "HTML" {
		t.Errorf("parse_mode = %q", calls[1].String("parse_mode"))
	}
	msgs := e.srv.Messages(5)
	if len(msgs) != 1 || msgs[0].ID != id || msgs[0].Text != "<b>hi</b>" || msgs[0].Keyboard[0][0].Data != "n" {
		t.Errorf("messages = %+v, id %d", msgs, id)
	}
	if len(e.metrics.limited) != 1 || e.metrics.limited[0] != time.Second {
		t.Errorf("RateLimited = %v", e.metrics.limited)
	}
}

func TestSendGivesUpWhenContextEndsDuring429Wait(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.Fault("sendMessage", tgtest.Fault{Status: 429, RetryAfter: 60})
	ctx, cancel := context.WithCancel(ctxT(t))
	errc := make(chan error, 1)
	go func() {
		_, err := e.a.Chat().Send(ctx, 5, "x", nil)
		errc <- err
	}()
	if _, err := e.srv.WaitCall(ctxT(t), "sendMessage", 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestEditDeleteAnswerTyping(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := ctxT(t)
	c := e.a.Chat()
	id, err := c.Send(ctx, 6, "one", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Edit(ctx, 6, id, "one", nil); err != nil {
		t.Errorf("not-modified edit: %v", err)
	}
	if calls := e.srv.Calls("editMessageText"); len(calls) != 1 || calls[0].Status != 400 {
		t.Errorf("edit calls = %+v", calls)
	}
	if err := c.Edit(ctx, 6, id, "two", bot.Keyboard{{{Text: "R", Data: "r"}}}); err != nil {
		t.Errorf("edit: %v", err)
	}
	if m := e.srv.Messages(6); m[0].Text != "two" || len(m[0].Keyboard) != 1 {
		t.Errorf("after edit: %+v", m)
	}
	var ae *APIError
	if err := c.Edit(ctx, 6, 999, "x", nil); !errors.As(err, &ae) || ae.Code != 400 {
		t.Errorf("edit of unknown message: %v", err)
	}
	if err := c.Delete(ctx, 6, id); err != nil {
		t.Errorf("delete: %v", err)
	}
	if err := c.Delete(ctx, 6, id); err == nil {
		t.Error("second delete succeeded; the bot must learn that deletes can fail")
	}
	cb := e.srv.PushCallback(6, 6, id, "r")
	if err := c.AnswerCallback(ctx, cb, "ok"); err != nil {
		t.Errorf("answer: %v", err)
	}
	if un := e.srv.UnansweredCallbacks(); len(un) != 0 {
		t.Errorf("unanswered: %v", un)
	}
	if err := c.Typing(ctx, 6); err != nil {
		t.Errorf("typing: %v", err)
	}
	if call, _ := e.srv.WaitCall(ctx, "sendChatAction", 1); call.String("action") != "typing" {
		t.Errorf("chat action = %+v", call)
	}
	if _, err := c.Send(ctx, 6, "x", bot.Keyboard{{{Text: "big", Data: strings.Repeat("d", 65)}}}); err == nil {
		t.Error("65-byte callback_data accepted")
	}
}

func TestPerUserSerialisationAndParallelUsers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var active [3]atomic.Int32
	var overlap atomic.Bool
	var mu sync.Mutex
	var order []string
	user2Started := make(chan struct{})
	parallel := make(chan bool, 1)
	done := make(chan struct{}, 10)
	h := HandlerFunc(func(ctx context.Context, u bot.Update) {
		defer func() { done <- struct{}{} }()
		if active[u.UserID].Add(1) > 1 {
			overlap.Store(true)
		}
		defer active[u.UserID].Add(-1)
		switch {
		case u.UserID == 2:
			close(user2Started)
		case u.Text == "1":
			// User 1's first update waits for user 2: only parallel users get past this.
			select {
			case <-user2Started:
				parallel <- true
			case <-time.After(5 * time.Second):
				parallel <- false
			}
		}
		mu.Lock()
		if u.UserID == 1 {
			order = append(order, u.Text)
		}
		mu.Unlock()
	})
	ctx := ctxT(t)
	for i := 1; i <= 5; i++ {
		if err := e.a.dispatch(ctx, bot.Update{UserID: 1, ChatID: 1, Text: fmt.Sprint(i)}, h); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.a.dispatch(ctx, bot.Update{UserID: 2, ChatID: 2, Text: "x"}, h); err != nil {
		t.Fatal(err)
	}
	if !<-parallel {
		t.Error("user 2 did not run while user 1 was busy")
	}
	e.a.Wait()
	if len(done) != 6 {
		t.Errorf("%d handlers ran, want 6", len(done))
	}
	if overlap.Load() {
		t.Error("two updates of one user overlapped")
	}
	if got := strings.Join(order, ","); got != "1,2,3,4,5" {
		t.Errorf("order = %s", got)
	}
}

func TestHandlerPanicIsRecovered(t *testing.T) {
	t.Parallel()
	e := setup(t)
	got := make(chan bot.Update, 2)
	e.srv.PushMessage(1, 1, "boom")
	e.srv.PushMessage(1, 1, "after")
	e.poll(t, HandlerFunc(func(_ context.Context, u bot.Update) {
		if u.Text == "boom" {
			panic("kaboom")
		}
		got <- u
	}))
	if u := recv(t, got); u.Text != "after" {
		t.Errorf("got %+v", u)
	}
	if !strings.Contains(e.logs.String(), "update handler panicked") {
		t.Error("panic not logged")
	}
}

func TestHandlerContextHasDeadline(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ok := make(chan bool, 1)
	if err := e.a.dispatch(ctxT(t), bot.Update{UserID: 1}, HandlerFunc(func(ctx context.Context, _ bot.Update) {
		_, has := ctx.Deadline()
		ok <- has
	})); err != nil {
		t.Fatal(err)
	}
	if !<-ok {
		t.Error("handler context has no deadline")
	}
}

func TestSetWebhook(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := ctxT(t)
	if err := e.a.SetWebhook(ctx, "https://bot.example/tg", "bad secret"); err == nil {
		t.Error("invalid secret accepted")
	}
	if err := e.a.SetWebhook(ctx, "http://bot.example/tg", "good"); err == nil {
		t.Error("http webhook accepted")
	}
	if err := e.a.SetWebhook(ctx, "https://bot.example/tg", "good_1"); err != nil {
		t.Fatal(err)
	}
	if u, s := e.srv.SetWebhookInfo(); u != "https://bot.example/tg" || s != "good_1" {
		t.Errorf("webhook = %q %q", u, s)
	}
	c, _ := e.srv.WaitCall(ctx, "setWebhook", 1)
	if au, _ := c.Params["allowed_updates"].([]any); len(au) != 3 {
		t.Errorf("allowed_updates = %v", c.Params["allowed_updates"])
	}
}

func TestSetCommandsValidation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	many := make([]Command, 101)
	for i := range many {
		many[i] = Command{fmt.Sprintf("c%d", i), "d"}
	}
	tests := []struct {
		name string
		cmds []Command
		ok   bool
	}{
		{"ok", []Command{{"health", "Health of a location"}, {"auth", "Set credentials"}}, true},
		{"upper case", []Command{{"Health", "x"}}, false},
		{"slash", []Command{{"/health", "x"}}, false},
		{"too long name", []Command{{strings.Repeat("a", 33), "x"}}, false},
		{"empty description", []Command{{"a", ""}}, false},
		{"long description", []Command{{"a", strings.Repeat("x", 257)}}, false},
		{"too many", many, false},
	}
	for _, tt := range tests {
		err := e.a.SetCommands(ctxT(t), tt.cmds)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
	if n := len(e.srv.Calls("setMyCommands")); n != 1 {
		t.Errorf("%d setMyCommands calls, want 1 (invalid lists must not be sent)", n)
	}
	if cmds, _ := e.srv.Commands().([]any); len(cmds) != 2 {
		t.Errorf("commands = %v", e.srv.Commands())
	}
}

func TestMe(t *testing.T) {
	t.Parallel()
	e := setup(t)
	name, err := e.a.Me(ctxT(t))
	if err != nil || name != tgtest.BotUsername {
		t.Fatalf("Me = %q, %v", name, err)
	}
	// Once our name is known, a command for another bot is not ours.
	got := make(chan bot.Update, 2)
	e.srv.PushMessage(1, -100, "/health@OtherBot")
	e.srv.PushMessage(1, -100, "/health@"+strings.ToUpper(tgtest.BotUsername)+" x")
	e.poll(t, HandlerFunc(func(_ context.Context, u bot.Update) {
		if u.UserID == 1 {
			got <- u
		}
	}))
	if u := recv(t, got); u.Text != "/health x" {
		t.Errorf("got %q", u.Text)
	}
}

// leakyTransport fails with an error that quotes the URL, token included.
type leakyTransport struct{}

func (leakyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("dial failed for %s", r.URL)
}

func TestTokenNeverInErrors(t *testing.T) {
	t.Parallel()
	const token = "987654:SuperSecretTokenValue_x"
	ctx := ctxT(t)
	a, err := New(Options{Token: token, APIURL: "http://127.0.0.1:1", HTTPClient: &http.Client{Transport: leakyTransport{}},
		PerChatInterval: -1, GroupPerMinute: -1, GlobalPerSecond: -1})
	if err != nil {
		t.Fatal(err)
	}
	a.retryMin, a.retryMax = time.Millisecond, time.Millisecond // a failed dial is retried
	_, sendErr := a.Chat().Send(ctx, 1, "x", nil)
	_, meErr := a.Me(ctx)
	srv := tgtest.New()
	defer srv.Close()
	b, _ := New(Options{Token: token, APIURL: srv.APIURL(), HTTPClient: tgtest.LoopbackClient()})
	_, unauthErr := b.Me(ctx)
	_, newErr := New(Options{Token: "SuperSecretTokenValue_x"})
	for i, err := range []error{sendErr, meErr, unauthErr, newErr} {
		if err == nil {
			t.Errorf("error %d: nil, want a failure", i)
			continue
		}
		if strings.Contains(err.Error(), "SuperSecretTokenValue") {
			t.Errorf("error %d leaks the token: %v", i, err)
		}
	}
	var ae *APIError
	if !errors.As(unauthErr, &ae) || ae.Code != 401 {
		t.Errorf("unauthorized error = %v", unauthErr)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
	}{
		{"no token", Options{}},
		{"bad URL", Options{Token: "1:a", APIURL: "ftp://x"}},
		{"short HTTP timeout", Options{Token: "1:a", HTTPClient: &http.Client{Timeout: time.Second}}},
		{"short poll", Options{Token: "1:a", PollTimeout: time.Millisecond}},
		{"negative workers", Options{Token: "1:a", MaxWorkers: -1}},
	}
	for _, tt := range tests {
		if _, err := New(tt.opts); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
	if _, err := New(Options{Token: "1:a"}); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func TestNormalizeCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, me, want string
		ok           bool
	}{
		{"/health a b", "", "/health a b", true},
		{"/health@Any_bot a", "", "", false}, // our name unknown: an addressed command may be another bot's
		{"/health@my_bot", "my_bot", "/health", true},
		{"/health@other_bot", "my_bot", "", false},
		{"hello @x", "my_bot", "hello @x", true},
		{"/find a@b.com", "my_bot", "/find a@b.com", true},
	}
	for _, tt := range tests {
		got, ok := normalizeCommand(tt.in, tt.me)
		if got != tt.want || ok != tt.ok {
			t.Errorf("normalizeCommand(%q, %q) = %q, %v", tt.in, tt.me, got, ok)
		}
	}
}

func TestTwoHundredUsersNoCrossTalk(t *testing.T) {
	t.Parallel()
	e := setup(t)
	const users = 200
	c := e.a.Chat()
	e.poll(t, HandlerFunc(func(ctx context.Context, u bot.Update) {
		if u.Callback != nil {
			_ = c.AnswerCallback(ctx, u.Callback.ID, "")
			return
		}
		if _, err := c.Send(ctx, u.ChatID, fmt.Sprintf("pong %d &amp; %s", u.UserID, u.Text), nil); err != nil {
			t.Errorf("send: %v", err)
		}
	}))
	for i := int64(1); i <= users; i++ {
		go func() {
			e.srv.PushMessage(i, i, fmt.Sprintf("/ping%d", i))
			e.srv.PushCallback(i, i, 1, "x")
		}()
	}
	ctx := ctxT(t)
	if _, err := e.srv.WaitCall(ctx, "sendMessage", users); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.WaitCall(ctx, "answerCallbackQuery", users); err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= users; i++ {
		m := e.srv.Messages(i)
		want := fmt.Sprintf("pong %d &amp; /ping%d", i, i)
		if len(m) != 1 || m[0].Text != want {
			t.Errorf("chat %d: %+v, want one %q", i, m, want)
		}
	}
	if un := e.srv.UnansweredCallbacks(); len(un) != 0 {
		t.Errorf("%d callbacks unanswered", len(un))
	}
}

// Typing is shed when its budget is spent, so it never delays a reply; messages still go.
func TestTypingShedUnderLoad(t *testing.T) {
	t.Parallel()
	srv := tgtest.New()
	t.Cleanup(srv.Close)
	a, err := New(Options{Token: srv.Token, APIURL: srv.APIURL(), PollTimeout: time.Second, HTTPClient: tgtest.LoopbackClient(),
		PerChatInterval: -1, GroupPerMinute: -1, GlobalPerSecond: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	c := a.Chat()
	for range 10 {
		if err := c.Typing(ctx, 42); err != nil {
			t.Fatal(err)
		}
	}
	// The budget refills at 3/s, so a slow machine may let a fourth through; never all ten.
	if n := len(srv.Calls("sendChatAction")); n < 3 || n > 5 {
		t.Errorf("%d typing calls went out of 10 with a budget of 3", n)
	}
	if _, err := c.Send(ctx, 42, "still answered", nil); err != nil {
		t.Fatal(err)
	}
}
