package tgtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseHTML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		plain string
		ok    bool
	}{
		{"<b>a</b>", "a", true},
		{"<b>a", "", false},
		{"a & b", "", false},
		{"a &amp; b", "a & b", true},
		{"1 &lt; 2 &gt; 0 &quot;q&quot;", `1 < 2 > 0 "q"`, true},
		{"&#128512; &#x1F600;", "😀 😀", true},
		{"&nbsp;", "", false},
		{"1 < 2", "", false},
		{"a > b", "", false},
		{"<i>x</b>", "", false},
		{"</b>", "", false},
		{"<foo>x</foo>", "", false},
		{"<B>x</B>", "x", true},
		{`<a href="https://example.com/?a=1&amp;b=2">link</a>`, "link", true},
		{"<a>x</a>", "", false},
		{`<span class="tg-spoiler">x</span>`, "x", true},
		{"<span>x</span>", "", false},
		{"<tg-spoiler>x</tg-spoiler>", "x", true},
		{`<pre><code class="language-go">x := 1</code></pre>`, "x := 1", true},
		{"<code><b>x</b></code>", "", false},
		{"<blockquote expandable>q</blockquote>", "q", true},
		{"<blockquote><blockquote>q</blockquote></blockquote>", "", false},
		{"<b><i>x</i></b>", "x", true},
		{"<b><i>x</b></i>", "", false},
		{`<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>`, "👍", true},
		{"\xff", "", false},
	}
	for _, tt := range tests {
		plain, err := ParseHTML(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseHTML(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && plain != tt.plain {
			t.Errorf("ParseHTML(%q) = %q, want %q", tt.in, plain, tt.plain)
		}
	}
}

type reply struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

func call(t *testing.T, s *Server, method string, params map[string]any) (int, reply) {
	t.Helper()
	return callToken(t, s, s.Token, method, params)
}

func callToken(t *testing.T, s *Server, token, method string, params map[string]any) (int, reply) {
	t.Helper()
	body, _ := json.Marshal(params)
	client := testClient
	if s.hs == nil { // NewInProcess
		client = s.Client()
	}
	resp, err := client.Post(s.URL+"/bot"+token+"/"+method, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	var r reply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("%s: decoding reply: %v", method, err)
	}
	return resp.StatusCode, r
}

func messageID(t *testing.T, r reply) int64 {
	t.Helper()
	var m struct {
		MessageID int64 `json:"message_id"`
	}
	if err := json.Unmarshal(r.Result, &m); err != nil || m.MessageID == 0 {
		t.Fatalf("no message_id in %s (%v)", r.Result, err)
	}
	return m.MessageID
}

func kb(data string) map[string]any {
	return map[string]any{"inline_keyboard": []any{[]any{map[string]any{"text": "B", "callback_data": data}}}}
}

func TestSendMessageRules(t *testing.T) {
	t.Parallel()
	s := New()
	defer s.Close()
	tests := []struct {
		name   string
		params map[string]any
		status int
		errHas string
	}{
		{"plain ok", map[string]any{"chat_id": 1, "text": "hello"}, 200, ""},
		{"html ok", map[string]any{"chat_id": 1, "text": "<b>a</b>", "parse_mode": "HTML"}, 200, ""},
		{"html unclosed", map[string]any{"chat_id": 1, "text": "<b>a", "parse_mode": "HTML"}, 400, "can't parse entities"},
		{"raw ampersand", map[string]any{"chat_id": 1, "text": "a & b", "parse_mode": "HTML"}, 400, "can't parse entities"},
		{"escaped ampersand", map[string]any{"chat_id": 1, "text": "a &amp; b", "parse_mode": "HTML"}, 200, ""},
		{"empty", map[string]any{"chat_id": 1, "text": ""}, 400, "message text is empty"},
		{"only tags", map[string]any{"chat_id": 1, "text": "<b> </b>", "parse_mode": "HTML"}, 400, "message text is empty"},
		{"4096 chars", map[string]any{"chat_id": 1, "text": strings.Repeat("a", 4096)}, 200, ""},
		{"4097 chars", map[string]any{"chat_id": 1, "text": strings.Repeat("a", 4097)}, 400, "message is too long"},
		{"tags don't count", map[string]any{"chat_id": 1, "text": "<b>" + strings.Repeat("a", 4096) + "</b>", "parse_mode": "HTML"}, 200, ""},
		{"entities count once", map[string]any{"chat_id": 1, "text": strings.Repeat("&amp;", 4096), "parse_mode": "HTML"}, 200, ""},
		{"2048 emoji", map[string]any{"chat_id": 1, "text": strings.Repeat("😀", 2048)}, 200, ""},
		{"2049 emoji", map[string]any{"chat_id": 1, "text": strings.Repeat("😀", 2049)}, 400, "message is too long"},
		{"data 64 bytes", map[string]any{"chat_id": 1, "text": "k", "reply_markup": kb(strings.Repeat("x", 64))}, 200, ""},
		{"data 65 bytes", map[string]any{"chat_id": 1, "text": "k", "reply_markup": kb(strings.Repeat("x", 65))}, 400, "BUTTON_DATA_INVALID"},
		{"data empty", map[string]any{"chat_id": 1, "text": "k", "reply_markup": kb("")}, 400, "BUTTON_DATA_INVALID"},
		{"no chat", map[string]any{"text": "k"}, 400, "chat not found"},
	}
	for _, tt := range tests {
		status, r := call(t, s, "sendMessage", tt.params)
		if status != tt.status || r.OK != (tt.status == 200) || !strings.Contains(r.Description, tt.errHas) {
			t.Errorf("%s: got %d %q, want %d containing %q", tt.name, status, r.Description, tt.status, tt.errHas)
		}
	}
}

func TestEditDeleteAndMessages(t *testing.T) {
	t.Parallel()
	s := New()
	defer s.Close()
	_, r := call(t, s, "sendMessage", map[string]any{"chat_id": 7, "text": "<b>v1</b>", "parse_mode": "HTML", "reply_markup": kb("r")})
	id := messageID(t, r)

	edit := func(text string, markup any) (int, reply) {
		p := map[string]any{"chat_id": 7, "message_id": id, "text": text, "parse_mode": "HTML"}
		if markup != nil {
			p["reply_markup"] = markup
		}
		return call(t, s, "editMessageText", p)
	}
	if st, r := edit("<b>v1</b>", kb("r")); st != 400 || !strings.Contains(r.Description, "message is not modified") {
		t.Errorf("identical edit: %d %q, want 400 not modified", st, r.Description)
	}
	if st, r := edit("<b>v1</b>", kb("other")); st != 200 {
		t.Errorf("edit of the keyboard only: %d %q", st, r.Description)
	}
	if st, r := edit("<i>v2</i>", nil); st != 200 {
		t.Errorf("edit: %d %q", st, r.Description)
	}
	msgs := s.Messages(7)
	if len(msgs) != 1 || msgs[0].Text != "<i>v2</i>" || msgs[0].Keyboard != nil || msgs[0].Deleted {
		t.Fatalf("Messages after edit = %+v", msgs)
	}
	if st, _ := call(t, s, "editMessageText", map[string]any{"chat_id": 7, "message_id": 99, "text": "x"}); st != 400 {
		t.Errorf("edit of unknown message: %d, want 400", st)
	}
	if st, _ := call(t, s, "deleteMessage", map[string]any{"chat_id": 7, "message_id": id}); st != 200 {
		t.Errorf("delete: %d", st)
	}
	if st, r := call(t, s, "deleteMessage", map[string]any{"chat_id": 7, "message_id": id}); st != 400 || !strings.Contains(r.Description, "message to delete not found") {
		t.Errorf("second delete: %d %q", st, r.Description)
	}
	if !s.Messages(7)[0].Deleted || !s.IsDeleted(7, id) {
		t.Error("message not marked deleted")
	}
	// A user's own message in a private chat can be deleted by the bot.
	in := s.PushMessage(8, 8, "Basic c2VjcmV0")
	if st, _ := call(t, s, "deleteMessage", map[string]any{"chat_id": 8, "message_id": in}); st != 200 || !s.IsDeleted(8, in) {
		t.Errorf("delete of incoming message: %d", st)
	}
	// In a group, only an administrator with the right to delete may delete others' messages.
	in = s.PushMessage(8, -9, "Basic c2VjcmV0")
	if st, r := call(t, s, "deleteMessage", map[string]any{"chat_id": -9, "message_id": in}); st != 400 || r.Description != "Bad Request: message can't be deleted" || s.IsDeleted(-9, in) {
		t.Errorf("delete in a group without the right: %d %q", st, r.Description)
	}
	s.GrantDelete(-9)
	if st, _ := call(t, s, "deleteMessage", map[string]any{"chat_id": -9, "message_id": in}); st != 200 || !s.IsDeleted(-9, in) {
		t.Errorf("delete in a group as an administrator: %d", st)
	}
}

func TestCallbacksAndErrors(t *testing.T) {
	t.Parallel()
	s := New()
	defer s.Close()
	id := s.PushCallback(5, 5, 1, "x")
	if got := s.UnansweredCallbacks(); len(got) != 1 || got[0] != id {
		t.Fatalf("UnansweredCallbacks = %v", got)
	}
	if st, _ := call(t, s, "answerCallbackQuery", map[string]any{"callback_query_id": id}); st != 200 {
		t.Errorf("answer: %d", st)
	}
	if st, _ := call(t, s, "answerCallbackQuery", map[string]any{"callback_query_id": id}); st != 400 {
		t.Errorf("second answer: %d, want 400", st)
	}
	if st, _ := call(t, s, "answerCallbackQuery", map[string]any{"callback_query_id": "nope"}); st != 400 {
		t.Errorf("unknown id: %d, want 400", st)
	}
	if len(s.UnansweredCallbacks()) != 0 {
		t.Error("callback still unanswered")
	}
	if st, _ := call(t, s, "sendPhoto", map[string]any{"chat_id": 1}); st != 404 {
		t.Errorf("unknown method: %d, want 404", st)
	}
	// Method names match in any case, as at Telegram, and are recorded in the API's spelling.
	if st, _ := call(t, s, "GETME", nil); st != 200 {
		t.Errorf("GETME: %d, want 200", st)
	}
	if c := s.Calls("getMe"); len(c) != 1 {
		t.Errorf("GETME recorded as %+v, want one getMe call", s.Calls(""))
	}
	if st, _ := callToken(t, s, "1:WRONG", "getMe", nil); st != 401 {
		t.Errorf("wrong token: %d, want 401", st)
	}
	if st, _ := call(t, s, "sendChatAction", map[string]any{"chat_id": 1, "action": "dancing"}); st != 400 {
		t.Errorf("bad action: %d, want 400", st)
	}
	if st, _ := call(t, s, "sendChatAction", map[string]any{"chat_id": 1, "action": "typing"}); st != 200 {
		t.Errorf("typing: %d", st)
	}
}

func TestGetUpdatesOffsetsAndWebhook(t *testing.T) {
	t.Parallel()
	s := New()
	defer s.Close()
	s.PushMessage(1, 1, "/start")
	s.PushMessage(2, -100, "hi")
	_, r := call(t, s, "getUpdates", map[string]any{"timeout": 0})
	var ups []struct {
		UpdateID int64 `json:"update_id"`
		Message  struct {
			Chat struct{ Type string } `json:"chat"`
		} `json:"message"`
	}
	if err := json.Unmarshal(r.Result, &ups); err != nil || len(ups) != 2 {
		t.Fatalf("getUpdates = %s (%v)", r.Result, err)
	}
	if ups[0].Message.Chat.Type != "private" || ups[1].Message.Chat.Type != "supergroup" {
		t.Errorf("chat types = %q, %q", ups[0].Message.Chat.Type, ups[1].Message.Chat.Type)
	}
	// Without an offset the same updates come again; with it they are confirmed.
	call(t, s, "getUpdates", map[string]any{"offset": ups[1].UpdateID + 1, "timeout": 0})
	if n := s.Pending(); n != 0 {
		t.Errorf("Pending after confirm = %d", n)
	}

	if st, _ := call(t, s, "setWebhook", map[string]any{"url": "https://bot.example/hook", "secret_token": "bad secret!"}); st != 400 {
		t.Errorf("setWebhook with invalid secret: %d, want 400", st)
	}
	if st, _ := call(t, s, "setWebhook", map[string]any{"url": "https://bot.example/hook", "secret_token": "ok_Secret-1"}); st != 200 {
		t.Errorf("setWebhook: %d", st)
	}
	if u, sec := s.SetWebhookInfo(); u != "https://bot.example/hook" || sec != "ok_Secret-1" {
		t.Errorf("SetWebhookInfo = %q %q", u, sec)
	}
	if st, _ := call(t, s, "getUpdates", map[string]any{"timeout": 0}); st != 409 {
		t.Errorf("getUpdates with webhook: %d, want 409", st)
	}
	call(t, s, "deleteWebhook", nil)
	if st, _ := call(t, s, "getUpdates", map[string]any{"timeout": 0}); st != 200 {
		t.Errorf("getUpdates after deleteWebhook: %d", st)
	}
}

func TestLongPollWakesOnPush(t *testing.T) {
	t.Parallel()
	s := New()
	defer s.Close()
	done := make(chan reply, 1)
	go func() {
		_, r := call(t, s, "getUpdates", map[string]any{"timeout": 30})
		done <- r
	}()
	s.PushMessage(3, 3, "x")
	select {
	case r := <-done:
		if !strings.Contains(string(r.Result), `"text":"x"`) {
			t.Errorf("long poll returned %s", r.Result)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("long poll did not return")
	}
}

// Each edit is made only once the waiter saw the one before, at a random point of its look
// and its wait: a change that lands between the two must still wake it, or this times out.
func TestWaitUntilSeesEveryChange(t *testing.T) {
	t.Parallel()
	s := New()
	defer s.Close()
	_, r := call(t, s, "sendMessage", map[string]any{"chat_id": 9, "text": "v0"})
	id := messageID(t, r)
	next, done := make(chan int), make(chan struct{})
	defer func() { close(next); <-done }() // the last edit's reply is read before Close
	go func() {
		defer close(done)
		for i := range next {
			body, _ := json.Marshal(map[string]any{"chat_id": 9, "message_id": id, "text": fmt.Sprintf("v%d", i)})
			resp, err := testClient.Post(s.URL+"/bot"+s.Token+"/editMessageText", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Errorf("edit %d: %v", i, err)
				continue
			}
			resp.Body.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := 1; i <= 200; i++ {
		next <- i
		want := fmt.Sprintf("v%d", i)
		if err := s.WaitUntil(ctx, func(s *Server) bool { return s.Messages(9)[0].Text == want }); err != nil {
			t.Fatalf("waiting for edit %d: %v (text is %q)", i, err, s.Messages(9)[0].Text)
		}
	}
	// A pushed update is a change too.
	go s.PushMessage(4, 4, "hi")
	if err := s.WaitUntil(ctx, func(s *Server) bool { return s.Pending() == 1 }); err != nil {
		t.Fatalf("waiting for a pushed update: %v", err)
	}
}

func TestWaitUntilAndWaitCallGiveUp(t *testing.T) {
	t.Parallel()
	s := New()
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.WaitUntil(ctx, func(*Server) bool { return true }); err != nil {
		t.Errorf("a condition that holds: %v, want nil even with a done context", err)
	}
	if err := s.WaitUntil(ctx, func(*Server) bool { return false }); !errors.Is(err, context.Canceled) {
		t.Errorf("a condition that never holds: %v, want context.Canceled", err)
	}
	call(t, s, "getMe", nil)
	if c, err := s.WaitCall(ctx, "getMe", 1); err != nil || c.Method != "getMe" {
		t.Errorf("WaitCall of a recorded call = %+v, %v", c, err)
	}
	_, err := s.WaitCall(ctx, "getMe", 2)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "call 2 of getMe (saw 1)") {
		t.Errorf("WaitCall of a call not made: %v", err)
	}
	if _, err := s.WaitCall(context.Background(), "getMe", 0); err == nil {
		t.Error("WaitCall(0) returned no error")
	}
}

func TestFaultsAndRates(t *testing.T) {
	t.Parallel()
	s := New()
	defer s.Close()
	s.Fault("sendMessage", Fault{Status: 429, RetryAfter: 3, Times: 2})
	for i := range 2 {
		st, r := call(t, s, "sendMessage", map[string]any{"chat_id": 1, "text": "x"})
		if st != 429 || r.Parameters.RetryAfter != 3 || !strings.Contains(r.Description, "retry after 3") {
			t.Errorf("call %d: %d %+v", i, st, r)
		}
	}
	if st, _ := call(t, s, "sendMessage", map[string]any{"chat_id": 1, "text": "x"}); st != 200 {
		t.Errorf("after the fault: %d", st)
	}
	if c := s.Calls("sendMessage"); len(c) != 3 || c[0].Status != 429 || c[2].Status != 200 {
		t.Errorf("Calls = %+v", c)
	}

	// Off by default; once on, a burst in one private chat gets 429 with retry_after.
	for range 6 {
		if st, _ := call(t, s, "sendMessage", map[string]any{"chat_id": 2, "text": "x"}); st != 200 {
			t.Fatalf("rates not enforced yet, got %d", st)
		}
	}
	s.EnforceRates(true)
	var limited bool
	for range 6 {
		st, r := call(t, s, "sendMessage", map[string]any{"chat_id": 3, "text": "x"})
		if st == 429 {
			limited = r.Parameters.RetryAfter >= 1
			break
		}
	}
	if !limited {
		t.Error("a burst of 6 in one chat was not limited")
	}
}

func TestParamsEncodings(t *testing.T) {
	t.Parallel()
	s := New()
	defer s.Close()
	form := url.Values{"chat_id": {"11"}, "text": {"form"}, "reply_markup": {`{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}`}}
	resp, err := testClient.PostForm(s.URL+"/bot"+s.Token+"/sendMessage", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("chat_id", "12")
	_ = w.WriteField("text", "multi")
	w.Close()
	resp, err = testClient.Post(s.URL+"/bot"+s.Token+"/sendMessage", w.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := s.WaitCall(ctx, "sendMessage", 2)
	if err != nil {
		t.Fatal(err)
	}
	if c.Int("chat_id") != 12 || c.String("text") != "multi" || c.Status != 200 {
		t.Errorf("multipart call = %+v", c)
	}
	if m := s.Messages(11); len(m) != 1 || len(m[0].Keyboard) != 1 || m[0].Keyboard[0][0] != (Button{"A", "a"}) {
		t.Errorf("form message = %+v", m)
	}
	_, r := call(t, s, "setMyCommands", map[string]any{"commands": []any{map[string]any{"command": "Bad", "description": "x"}}})
	if r.OK {
		t.Error("setMyCommands accepted an upper-case name")
	}
}

func TestLoopbackClientRefusesTheInternet(t *testing.T) {
	t.Parallel()
	s := New()
	defer s.Close()
	c := LoopbackClient()
	resp, err := c.Post(s.APIURL()+"/bot"+s.Token+"/getMe", "application/json", nil)
	if err != nil {
		t.Fatalf("loopback refused: %v", err)
	}
	resp.Body.Close()
	// A literal address, so no DNS lookup either: the dial is refused before any packet.
	_, err = c.Get("http://192.0.2.1/bot123:x/getMe")
	if err == nil || !strings.Contains(err.Error(), "only reach loopback") {
		t.Fatalf("non-loopback dial not refused: %v", err)
	}
}

// testClient has a transport of its own: httptest.Server.Close closes the idle connections
// of http.DefaultTransport, so a parallel test's Close could fail this package's POSTs with EOF.
var testClient = LoopbackClient()
