package console

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"plumebot/internal/bot"
)

func TestText(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"<b>🟡 DEGRADED</b> &lt;b&gt; &amp; x":              "🟡 DEGRADED <b> & x",
		`<a href="https://x.example/?a=1&amp;b=2">doc</a>`: "doc (https://x.example/?a=1&b=2)",
		"<code>aa:bb</code>\n<i>page 1/2</i>":              "aa:bb\npage 1/2",
	}
	for in, want := range cases {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

// echo is a handler that answers text with a keyboard and reports button presses.
type echo struct {
	chat *Console
	mu   sync.Mutex
	got  []bot.Update
}

func (e *echo) Handle(ctx context.Context, u bot.Update) {
	e.mu.Lock()
	e.got = append(e.got, u)
	e.mu.Unlock()
	if u.Callback != nil {
		e.chat.AnswerCallback(ctx, u.Callback.ID, "pressed "+u.Callback.Data)
		return
	}
	e.chat.Send(ctx, u.ChatID, "<b>you said</b> "+u.Text, bot.Keyboard{{{Text: "Nodes", Data: "a:n"}, {Text: "Devices", Data: "a:d"}}})
}

func TestRunNumbersPressButtons(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	c := New(&out)
	h := &echo{chat: c}
	in := strings.NewReader("/health\n2\n7\n/quit\nnever read\n")
	if err := c.Run(context.Background(), in, h, 42, "Ann"); err != nil {
		t.Fatal(err)
	}
	if len(h.got) != 2 {
		t.Fatalf("handled %d updates, want 2 (a message and a press; 7 is no button; /quit stops)", len(h.got))
	}
	if h.got[0].Text != "/health" || h.got[0].UserID != 42 || h.got[0].ChatType != bot.ChatPrivate {
		t.Errorf("message update = %+v", h.got[0])
	}
	if cb := h.got[1].Callback; cb == nil || cb.Data != "a:d" || h.got[1].MessageID != 2 {
		t.Errorf("press update = %+v", h.got[1])
	}
	s := out.String()
	for _, want := range []string{"you said /health", "[1] Nodes", "[2] Devices", "[pressed a:d]", "no button numbered 7"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "<b>") {
		t.Errorf("HTML tags reached the terminal:\n%s", s)
	}
}

// A line of any length is survived: one over Telegram's limit is refused with a word, and the
// lines after it are read as usual.
func TestRunSurvivesLongLines(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	c := New(&out)
	h := &echo{chat: c}
	exact := strings.Repeat("é", MaxLine)
	in := strings.NewReader(strings.Repeat("x", 100_000) + "\n" + exact + "\n/after\n")
	if err := c.Run(context.Background(), in, h, 42, "Ann"); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(h.got) != 2 || h.got[0].Text != exact || h.got[1].Text != "/after" {
		t.Fatalf("handled %d updates, want the 4096-character line and /after", len(h.got))
	}
	if !strings.Contains(out.String(), "(that line is 100000 characters long; a Telegram message holds at most 4096)") {
		t.Errorf("no word about the long line:\n%.300s", out.String())
	}
}
