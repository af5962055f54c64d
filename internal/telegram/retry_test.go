package telegram

import (
	"context"
	"errors"
	"testing"

	"plumebot/internal/bot"
	"plumebot/internal/telegram/tgtest"
)

// A single 5xx (JSON or a proxy's HTML page) or a connection reset costs a retry, not the
// message (issue 12 §5).
func TestSendRetriesServerErrorsAndResets(t *testing.T) {
	t.Parallel()
	faults := map[string]tgtest.Fault{
		"502 JSON":         {Status: 502},
		"502 HTML":         {Status: 502, HTML: true},
		"500 JSON":         {Status: 500},
		"503 HTML":         {Status: 503, HTML: true},
		"connection reset": {Reset: true},
	}
	for name, f := range faults {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			e.srv.Fault("sendMessage", f)
			id, err := e.a.Chat().Send(ctxT(t), 5, "report", nil)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			msgs := e.srv.Messages(5)
			if len(msgs) != 1 || msgs[0].ID != id || msgs[0].Text != "report" {
				t.Errorf("messages = %+v", msgs)
			}
			if n := len(e.srv.Calls("sendMessage")); n != 2 {
				t.Errorf("%d sendMessage calls, want 2", n)
			}
		})
	}
}

// Retries keep the chat's order: a message sent while the one before it is being retried
// goes after it.
func TestRetriesKeepChatOrder(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := ctxT(t)
	e.srv.Fault("sendMessage", tgtest.Fault{Status: 502, HTML: true, Times: 2})
	first := make(chan error, 1)
	go func() {
		_, err := e.a.Chat().Send(ctx, 5, "first", nil)
		first <- err
	}()
	if _, err := e.srv.WaitCall(ctx, "sendMessage", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.Chat().Send(ctx, 5, "second", nil); err != nil {
		t.Fatal(err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	msgs := e.srv.Messages(5)
	if len(msgs) != 2 || msgs[0].Text != "first" || msgs[1].Text != "second" {
		t.Errorf("messages = %+v", msgs)
	}
}

// Retries are bounded, and what a retry cannot fix is not retried.
func TestRetriesAreBounded(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := ctxT(t)
	e.srv.Fault("sendMessage", tgtest.Fault{Status: 502, Times: 1 + maxRetriesTransient})
	_, err := e.a.Chat().Send(ctx, 5, "x", nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != 502 || errors.Is(err, bot.ErrChatUnreachable) {
		t.Errorf("after the last retry: %v", err)
	}
	if n := len(e.srv.Calls("sendMessage")); n != 1+maxRetriesTransient {
		t.Errorf("%d calls, want %d", n, 1+maxRetriesTransient)
	}
	e.srv.Fault("sendMessage", tgtest.Fault{Status: 400, Description: "Bad Request: can't parse entities"})
	before := len(e.srv.Calls("sendMessage"))
	if _, err := e.a.Chat().Send(ctx, 6, "x", nil); err == nil {
		t.Error("a 400 succeeded")
	}
	if n := len(e.srv.Calls("sendMessage")) - before; n != 1 {
		t.Errorf("a 400 was sent %d times", n)
	}
	// A caller that gives up stops the retries.
	e.srv.Fault("sendMessage", tgtest.Fault{Status: 502, Times: 10})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.a.Chat().Send(cctx, 7, "x", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled send: %v", err)
	}
}
