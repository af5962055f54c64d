package render

import (
	"fmt"
	"strings"
)

// Pages is one or more complete Telegram-HTML messages, each within MaxMessageLen.
type Pages []string

// PageFooterRoom is what paginated views keep free for PageFooter, in UTF-16 units.
const PageFooterRoom = 40

// pageLimit is the size every view splits at, so any view can be paginated by the bot.
const pageLimit = MaxMessageLen - PageFooterRoom

// Split joins parts, one per line, into messages of at most limit UTF-16 units. A part is never
// split unless it alone is longer than limit; then it is cut at a line break if possible, else
// between characters, never inside a tag, an entity or a surrogate pair, closing the open tags
// at the cut and reopening them on the next message. Empty parts are skipped.
func Split(parts []string, limit int) Pages {
	var pages Pages
	var cur strings.Builder
	curLen := 0
	flush := func() {
		if cur.Len() > 0 {
			pages = append(pages, cur.String())
			cur.Reset()
			curLen = 0
		}
	}
	for _, p := range parts {
		if blank(p) {
			continue // Telegram rejects a message of only whitespace; a blank item shows nothing
		}
		n := textLen(p)
		if cur.Len() > 0 && curLen+1+n <= limit {
			cur.WriteByte('\n')
			cur.WriteString(p)
			curLen += 1 + n
			continue
		}
		flush()
		p = strings.TrimLeft(p, "\n")
		if p == "" {
			continue
		}
		n = textLen(p)
		if n <= limit {
			cur.WriteString(p)
			curLen = n
			continue
		}
		chunks := splitLong(p, limit)
		pages = append(pages, chunks[:len(chunks)-1]...)
		last := chunks[len(chunks)-1]
		cur.WriteString(last)
		curLen = textLen(last)
	}
	flush()
	return pages
}

// splitLong cuts one oversized item into chunks of at most limit units.
func splitLong(p string, limit int) []string {
	l := lexer{s: p, perRune: true}
	var toks []token
	for {
		t, ok := l.next()
		if !ok {
			break
		}
		toks = append(toks, t)
	}
	var chunks []string
	var startStack []token
	start := 0
	for start < len(toks) {
		units, cut := 0, len(toks)
		nl, nlUnits := -1, 0
		for i := start; i < len(toks); i++ {
			t := toks[i]
			if units > 0 && units+t.units > limit {
				cut = i
				if t.raw == "\n" {
					nl, nlUnits = i, units
				}
				break
			}
			if t.raw == "\n" && units > 0 {
				nl, nlUnits = i, units
			}
			units += t.units
		}
		skip := 0
		if cut < len(toks) && nl > start && nlUnits > 0 {
			cut, skip = nl, 1
		}
		if skip == 0 {
			// Keep closing tags with their text and opening tags with theirs, so no chunk
			// ends in an empty element or holds nothing but tags.
			for cut < len(toks) && toks[cut].kind == tokClose {
				cut++
			}
			for cut > start+1 && toks[cut-1].kind == tokOpen {
				cut--
			}
		}
		endStack := replay(startStack, toks[start:cut])
		var b strings.Builder
		for _, o := range startStack {
			b.WriteString(o.raw)
		}
		for _, t := range toks[start:cut] {
			b.WriteString(t.raw)
		}
		for i := len(endStack) - 1; i >= 0; i-- {
			b.WriteString("</" + endStack[i].name + ">")
		}
		// A chunk of only tags or whitespace would be rejected by Telegram and shows nothing.
		if !blank(b.String()) {
			chunks = append(chunks, b.String())
		}
		if skip == 1 {
			// The newline sits at the cut; tags it is inside stay open across it.
			endStack = replay(endStack, toks[cut:cut+1])
		}
		start, startStack = cut+skip, endStack
	}
	if len(chunks) == 0 {
		chunks = append(chunks, p)
	}
	return chunks
}

// blank reports whether html has no visible text (only tags and whitespace).
func blank(html string) bool {
	l := lexer{s: html}
	for {
		t, ok := l.next()
		if !ok {
			return true
		}
		if t.kind == tokEntity || t.kind == tokText && strings.TrimSpace(t.raw) != "" {
			return false
		}
	}
}

// replay returns the open-tag stack after toks, starting from stack (never modified).
func replay(stack []token, toks []token) []token {
	out := append([]token(nil), stack...)
	for _, t := range toks {
		switch t.kind {
		case tokOpen:
			out = append(out, t)
		case tokClose:
			for i := len(out) - 1; i >= 0; i-- {
				if out[i].name == t.name {
					out = append(out[:i], out[i+1:]...)
					break
				}
			}
		}
	}
	return out
}

// PageFooter is the "page 2/7" line the bot appends to page (1-based) of a paginated view;
// it fits in PageFooterRoom.
func PageFooter(page, total int) string {
	return fmt.Sprintf("\n\n<i>page %d/%d</i>", page, total)
}
