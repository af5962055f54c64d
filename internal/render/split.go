package render

import (
	"fmt"
	"strings"
)

// Pages is one or more complete Telegram-HTML messages, each within MaxMessageLen.
type Pages []string

// PageFooterRoom is what paginated views keep free for PageHeader (pages 2 and on) and
// PageFooter, in UTF-16 units.
const PageFooterRoom = 140

// maxHeaderPlace caps the place a PageHeader names, in characters: a 70-character hotel name
// is recognisable from its start.
const maxHeaderPlace = 40

// pageLimit is the size every view splits at, so any view can be paginated by the bot.
const pageLimit = MaxMessageLen - PageFooterRoom

// Split joins parts, one per line, into messages of at most limit UTF-16 units, breaking at
// section boundaries: a part that starts with a line break opens a section, and the parts
// after it without one belong to it. A section that does not fit after what is already on a
// page starts a page of its own when that keeps it whole; a section longer than a page starts
// where at least its first line (its heading) and first item fit, so a heading never ends a
// message with its content in the next. A part is never split unless it alone is longer than
// limit; then it is cut at a line break if possible, else between characters, never inside a
// tag, an entity or a surrogate pair, closing the open tags at the cut and reopening them on
// the next message. Empty parts are skipped.
func Split(parts []string, limit int) Pages {
	s := splitter{limit: limit}
	for _, sec := range sections(parts) {
		s.section(sec)
	}
	s.flush()
	return s.pages
}

// sections cuts parts at the parts that start with a line break.
func sections(parts []string) [][]string {
	var out [][]string
	for _, p := range parts {
		if blank(p) {
			continue // Telegram rejects a message of only whitespace; a blank item shows nothing
		}
		if len(out) == 0 || strings.HasPrefix(p, "\n") {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], p)
	}
	return out
}

// splitter fills pages part by part.
type splitter struct {
	limit  int
	pages  Pages
	cur    strings.Builder
	curLen int
}

// fits reports whether n more units, on a line of their own, fit on the current page.
func (s *splitter) fits(n int) bool {
	if s.cur.Len() == 0 {
		return n <= s.limit
	}
	return s.curLen+1+n <= s.limit
}

func (s *splitter) flush() {
	if s.cur.Len() > 0 {
		s.pages = append(s.pages, s.cur.String())
		s.cur.Reset()
		s.curLen = 0
	}
}

// section places one section: on a page of its own when it does not fit after what is there
// but fits alone, or when not even its heading and first item fit here.
func (s *splitter) section(sec []string) {
	whole := textLen(sec[0]) + len(sec) - 1
	for _, p := range sec[1:] {
		whole += textLen(p)
	}
	if s.cur.Len() > 0 && !s.fits(whole) {
		alone := whole - textLen(sec[0]) + textLen(strings.TrimLeft(sec[0], "\n"))
		head := textLen(sec[0])
		if len(sec) > 1 {
			head += 1 + textLen(sec[1])
		}
		if alone <= s.limit || !s.fits(head) {
			s.flush()
		}
	}
	for _, p := range sec {
		s.part(p)
	}
}

// part adds one part: after the page's text when it fits, else on a new page, cut in chunks
// only when it alone is longer than a page.
func (s *splitter) part(p string) {
	n := textLen(p)
	if s.cur.Len() > 0 && s.fits(n) {
		s.cur.WriteByte('\n')
		s.cur.WriteString(p)
		s.curLen += 1 + n
		return
	}
	s.flush()
	p = strings.TrimLeft(p, "\n")
	if p == "" {
		return
	}
	if n = textLen(p); n <= s.limit {
		s.cur.WriteString(p)
		s.curLen = n
		return
	}
	chunks := splitLong(p, s.limit)
	s.pages = append(s.pages, chunks[:len(chunks)-1]...)
	last := chunks[len(chunks)-1]
	s.cur.WriteString(last)
	s.curLen = textLen(last)
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

// PageHeader is the one line the bot puts first on page 2 and later of a list, so that a page
// read alone says what it shows: the section ("📱 Devices"), the place (a location's name, a
// customer ID, a search), cut to maxHeaderPlace characters, and the page (1-based). With the
// footer it fits in PageFooterRoom.
func PageHeader(section, place string, page, total int) string {
	h := "<b>" + esc(section) + "</b>"
	if strings.TrimSpace(place) != "" {
		if rs := []rune(clean(place)); len(rs) > maxHeaderPlace {
			place = string(rs[:maxHeaderPlace-1]) + "…"
		}
		h += " · " + esc(place)
	}
	return h + fmt.Sprintf(" · page %d/%d\n\n", page, total)
}
