// Package console is the terminal adapter behind `plumebot demo`: lines typed are messages,
// replies are printed as plain text, and buttons become numbers that typing presses.
package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"plumebot/internal/bot"
)

// Handler is what the console feeds updates to (the bot core).
type Handler interface {
	Handle(ctx context.Context, u bot.Update)
}

// Console implements bot.Chat on a terminal.
type Console struct {
	mu      sync.Mutex
	out     io.Writer
	nextMsg int64
	nextCB  int64
	choices map[int]choice // number typed → button pressed
	nextNum int
}

type choice struct {
	messageID int64
	data      string
}

// New returns a console writing to out.
func New(out io.Writer) *Console {
	return &Console{out: out, choices: map[int]choice{}, nextNum: 1}
}

// MaxLine is the longest line taken as a message, in characters: Telegram's limit for a
// message's text. A longer line is refused with a word, as Telegram would not deliver it.
const MaxLine = 4096

// Run reads lines from in until EOF or ctx is done and hands each to h as an update from
// userID in a private chat. A line that is only a number shown beside a button presses it.
// A line of any length is read (the part beyond MaxLine is skipped, not buffered).
func (c *Console) Run(ctx context.Context, in io.Reader, h Handler, userID int64, name string) error {
	// Lines up to 64 KiB come in one piece, so no character is split when counting.
	r := bufio.NewReaderSize(in, 64<<10)
	c.prompt()
	for {
		raw, chars, err := readLine(r, MaxLine)
		if err != nil && raw == "" && chars == 0 {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		line := strings.TrimSpace(raw)
		switch {
		case chars > MaxLine:
			c.printf("(that line is %d characters long; a Telegram message holds at most %d)\n", chars, MaxLine)
			c.prompt()
			continue
		case line == "":
			c.prompt()
			continue
		case line == "/quit" || line == "/exit":
			return nil
		}
		c.handle(ctx, h, userID, name, line)
		c.prompt()
	}
}

// readLine reads one line and returns at most max characters of it (its length in characters
// is chars, counted in full): a 100 KB line costs no 100 KB buffer.
func readLine(r *bufio.Reader, max int) (line string, chars int, err error) {
	var b strings.Builder
	for {
		frag, err := r.ReadSlice('\n')
		chars += utf8.RuneCount(frag)
		if b.Len() < 4*max {
			b.Write(frag[:min(len(frag), 4*max-b.Len())])
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		s := strings.TrimRight(b.String(), "\r\n")
		if strings.HasSuffix(string(frag), "\n") {
			chars--
		}
		return s, chars, err
	}
}

// handle turns one line into an update: a button press or a message.
func (c *Console) handle(ctx context.Context, h Handler, userID int64, name, line string) {
	u := bot.Update{UserID: userID, FirstName: name, ChatID: userID, ChatType: bot.ChatPrivate}
	if n, err := strconv.Atoi(line); err == nil {
		c.mu.Lock()
		ch, ok := c.choices[n]
		c.nextCB++
		cbID := strconv.FormatInt(c.nextCB, 10)
		c.mu.Unlock()
		if !ok {
			c.printf("(no button numbered %d)\n", n)
			return
		}
		u.MessageID = ch.messageID
		u.Callback = &bot.Callback{ID: cbID, Data: ch.data}
	} else {
		c.mu.Lock()
		c.nextMsg++
		u.MessageID = c.nextMsg
		c.mu.Unlock()
		u.Text = line
	}
	h.Handle(ctx, u)
}

func (c *Console) prompt() { c.printf("> ") }

func (c *Console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.out, format, args...)
}

// Send prints a message and numbers its buttons.
func (c *Console) Send(_ context.Context, _ int64, text string, kb bot.Keyboard) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextMsg++
	c.show("", c.nextMsg, text, kb)
	return c.nextMsg, nil
}

// Edit prints the new version of a message.
func (c *Console) Edit(_ context.Context, _ int64, messageID int64, text string, kb bot.Keyboard) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.show("(updated) ", messageID, text, kb)
	return nil
}

// Delete notes that a message was removed (the /auth header message).
func (c *Console) Delete(context.Context, int64, int64) error {
	c.printf("\n(bot deleted your message: it carried a secret)\n")
	return nil
}

// AnswerCallback prints a button's toast, if any.
func (c *Console) AnswerCallback(_ context.Context, _ string, text string) error {
	if text != "" {
		c.printf("\n[%s]\n", text)
	}
	return nil
}

// Typing prints nothing: the reply follows at once in a terminal.
func (c *Console) Typing(context.Context, int64) error { return nil }

// show must be called with c.mu held.
func (c *Console) show(prefix string, messageID int64, text string, kb bot.Keyboard) {
	var b strings.Builder
	b.WriteString("\n")
	b.WriteString(prefix)
	b.WriteString(Text(text))
	b.WriteString("\n")
	if len(kb) > 0 {
		// Only the latest keyboard is live, so numbers stay short on a phone-sized terminal.
		c.choices = map[int]choice{}
		c.nextNum = 1
	}
	for _, row := range kb {
		var cells []string
		for _, btn := range row {
			n := c.nextNum
			c.nextNum++
			c.choices[n] = choice{messageID: messageID, data: btn.Data}
			cells = append(cells, fmt.Sprintf("[%d] %s", n, btn.Text))
		}
		b.WriteString("  " + strings.Join(cells, "  ") + "\n")
	}
	io.WriteString(c.out, b.String())
}

var (
	linkRe = regexp.MustCompile(`(?s)<a\s+href="([^"]*)"\s*>(.*?)</a>`)
	tagRe  = regexp.MustCompile(`<[^>]*>`)
)

// Text turns Telegram HTML into readable plain text: links keep their URL, tags go,
// entities are decoded.
func Text(s string) string {
	s = linkRe.ReplaceAllString(s, "$2 ($1)")
	s = tagRe.ReplaceAllString(s, "")
	return html.UnescapeString(s)
}
