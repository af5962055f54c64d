package tgtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

func send(t *testing.T, s *Server, chatID int64) (int, reply) {
	t.Helper()
	return call(t, s, "sendMessage", map[string]any{"chat_id": chatID, "text": "x"})
}

// The limits are windows of the stated length, not token buckets: exactly RateGlobal messages
// pass at one instant, and the next passes exactly one window later (on synctest's clock).
func TestRateGlobalWindow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := NewInProcess()
		s.EnforceRates(true)
		for i := range RateGlobal {
			if st, r := send(t, s, int64(100+i)); st != 200 {
				t.Fatalf("message %d of %d in the first second: %d %s", i+1, RateGlobal, st, r.Description)
			}
		}
		st, r := send(t, s, 999)
		if st != 429 || r.Parameters.RetryAfter != 1 || r.Description != "Too Many Requests: retry after 1" {
			t.Errorf("message %d in the same second: %d %+v", RateGlobal+1, st, r)
		}
		time.Sleep(RateGlobalWindow - time.Nanosecond)
		if st, _ := send(t, s, 999); st != 429 {
			t.Errorf("a nanosecond before the window ends: %d, want 429", st)
		}
		time.Sleep(time.Nanosecond)
		for i := range RateGlobal {
			if st, _ := send(t, s, int64(200+i)); st != 200 {
				t.Fatalf("message %d of the second window: %d", i+1, st)
			}
		}
	})
}

func TestRateChatBurstThenOnePerSecond(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := NewInProcess()
		s.EnforceRates(true)
		for i := range RateChatBurst {
			if st, _ := send(t, s, 7); st != 200 {
				t.Fatalf("burst message %d: %d", i+1, st)
			}
		}
		if st, _ := send(t, s, 7); st != 429 {
			t.Errorf("message %d of a burst: %d, want 429", RateChatBurst+1, st)
		}
		if st, _ := send(t, s, 8); st != 200 {
			t.Errorf("another chat is not limited by chat 7: %d", st)
		}
		for i := range 3 {
			time.Sleep(RateChatInterval)
			if st, _ := send(t, s, 7); st != 200 {
				t.Errorf("one per second, message %d: %d", i+1, st)
			}
			if st, _ := send(t, s, 7); st != 429 {
				t.Errorf("two in one second, message %d: %d, want 429", i+1, st)
			}
		}
	})
}

func TestRateGroupWindow(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := NewInProcess()
		s.EnforceRates(true)
		const group = -4242
		start := time.Now()
		for i := range RateGroup {
			if i >= RateChatBurst {
				time.Sleep(RateChatInterval)
			}
			if st, r := send(t, s, group); st != 200 {
				t.Fatalf("group message %d: %d %s", i+1, st, r.Description)
			}
		}
		time.Sleep(RateChatInterval)
		st, r := send(t, s, group)
		// The first message leaves the window one minute after it was sent.
		want := int((RateGroupWindow - time.Since(start) + time.Second - 1) / time.Second)
		if st != 429 || r.Parameters.RetryAfter != want {
			t.Errorf("message %d in a minute: %d retry_after %d, want 429 retry_after %d", RateGroup+1, st, r.Parameters.RetryAfter, want)
		}
		time.Sleep(time.Until(start.Add(RateGroupWindow)))
		if st, _ := send(t, s, group); st != 200 {
			t.Errorf("a minute after the first: %d", st)
		}
	})
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	s := New()
	defer s.Close()
	s.PushMessage(1, 1, "hi")
	s.PushMessage(2, 2, "hi")
	s.PushMessage(3, 30, "hi") // a group
	s.PushMessage(3, -31, "hi")
	s.PushMessage(3, -32, "hi")
	s.PushMessage(3, 33, "hi")
	s.BlockBot(1)
	s.DeactivateUser(2)
	s.KickBot(30)
	s.KickBot(-31)
	s.DeleteChat(-32)
	s.RestrictBot(33)
	tests := []struct {
		chat int64
		code int
		desc string
	}{
		{1, 403, "Forbidden: bot was blocked by the user"},
		{2, 403, "Forbidden: user is deactivated"},
		{30, 403, "Forbidden: bot was kicked from the group chat"},
		{-31, 403, "Forbidden: bot was kicked from the supergroup chat"},
		{-32, 400, "Bad Request: chat not found"},
		{33, 400, "Bad Request: have no rights to send a message"},
	}
	for _, tt := range tests {
		for _, method := range []string{"sendMessage", "editMessageText", "deleteMessage", "sendChatAction"} {
			st, r := call(t, s, method, map[string]any{"chat_id": tt.chat, "text": "x", "message_id": 1, "action": "typing"})
			if st != tt.code || r.ErrorCode != tt.code || r.Description != tt.desc {
				t.Errorf("%s in chat %d: %d %q, want %d %q", method, tt.chat, st, r.Description, tt.code, tt.desc)
			}
		}
	}
	if st, _ := send(t, s, 4); st != 200 {
		t.Errorf("an unrefused chat: %d", st)
	}
}

func TestUpgradeGroup(t *testing.T) {
	t.Parallel()
	s := New()
	defer s.Close()
	const user, group = 5, 77
	s.PushMessage(user, group, "hi")
	before := s.Pending()
	to := s.UpgradeGroup(user, group)
	if to != -1_000_000_000_077 {
		t.Errorf("new chat ID %d", to)
	}
	st, r := send(t, s, group)
	if st != 400 || r.Description != "Bad Request: group chat was upgraded to a supergroup chat" || r.Parameters.MigrateToChatID != to {
		t.Errorf("send to the old group: %d %+v", st, r)
	}
	if st, _ := send(t, s, to); st != 200 {
		t.Errorf("send to the supergroup: %d", st)
	}
	_, r = call(t, s, "getUpdates", map[string]any{"timeout": 0})
	var ups []struct {
		Message struct {
			Chat struct {
				ID   int64  `json:"id"`
				Type string `json:"type"`
			} `json:"chat"`
			MigrateTo   int64 `json:"migrate_to_chat_id"`
			MigrateFrom int64 `json:"migrate_from_chat_id"`
		} `json:"message"`
	}
	if err := json.Unmarshal(r.Result, &ups); err != nil || len(ups) != before+2 {
		t.Fatalf("updates %s: %v", r.Result, err)
	}
	old, moved := ups[before].Message, ups[before+1].Message
	if old.Chat.ID != group || old.Chat.Type != "group" || old.MigrateTo != to {
		t.Errorf("service message in the old group: %+v", old)
	}
	if moved.Chat.ID != to || moved.Chat.Type != "supergroup" || moved.MigrateFrom != group {
		t.Errorf("service message in the supergroup: %+v", moved)
	}
}

func TestFaultHTMLAndReset(t *testing.T) {
	t.Parallel()
	for _, inProcess := range []bool{false, true} {
		t.Run(fmt.Sprint("in-process=", inProcess), func(t *testing.T) {
			s := New()
			if inProcess {
				s.Close()
				s = NewInProcess()
			}
			defer s.Close()
			post := func() (*http.Response, error) {
				return s.Client().Post(s.URL+"/bot"+s.Token+"/sendMessage", "application/json", strings.NewReader(`{"chat_id":1,"text":"x"}`))
			}
			s.Fault("sendMessage", Fault{Status: 502, HTML: true})
			resp, err := post()
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 502 || resp.Header.Get("Content-Type") != "text/html" || !strings.HasPrefix(string(body), "<html>") {
				t.Errorf("HTML fault: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			s.Fault("sendMessage", Fault{Reset: true})
			if resp, err := post(); err == nil {
				resp.Body.Close()
				t.Errorf("reset fault answered %d", resp.StatusCode)
			} else if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "reset") {
				t.Errorf("reset fault: %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if c, err := s.WaitCall(ctx, "sendMessage", 2); err != nil || c.Status != 0 || c.Err != "connection reset" {
				t.Errorf("reset call recorded as %+v, %v", c, err)
			}
			if st, _ := send(t, s, 1); st != 200 {
				t.Errorf("after the faults: %d", st)
			}
		})
	}
}
