package render

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Telegram limits (https://core.telegram.org/bots/api#sendmessage, #inlinekeyboardbutton).
const (
	// MaxMessageLen is the longest message text, in UTF-16 code units after entity parsing.
	MaxMessageLen = 4096
	// MaxCallbackData is the longest callback_data of an inline button, in bytes.
	MaxCallbackData = 64
	// PageFooterRoom is what paginated views keep free for PageFooter, in UTF-16 units.
	PageFooterRoom = 40
)

// pageLimit is the size every view splits at, so any view can be paginated by the bot.
const pageLimit = MaxMessageLen - PageFooterRoom

// Pages is one or more complete Telegram-HTML messages, each within MaxMessageLen.
type Pages []string

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// Escape makes s safe as Telegram HTML text or attribute value (& < > "); invalid UTF-8
// becomes U+FFFD, because Telegram rejects it.
func Escape(s string) string {
	return escaper.Replace(strings.ToValidUTF8(s, "\uFFFD"))
}

type tokKind uint8

const (
	tokText tokKind = iota
	tokEntity
	tokOpen
	tokClose
)

type token struct {
	kind  tokKind
	raw   string
	name  string // tag name, lower case
	units int    // UTF-16 units of text it stands for
}

// Tags Telegram's HTML parse mode accepts (https://core.telegram.org/bots/api#html-style).
var allowedTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true, "s": true, "strike": true,
	"del": true, "span": true, "tg-spoiler": true, "a": true, "code": true, "pre": true,
	"blockquote": true, "tg-emoji": true,
}

// lexer walks Telegram HTML. In strict mode it reports what Telegram would reject; otherwise
// anything unparseable is taken as text (for counting and splitting).
type lexer struct {
	s       string
	i       int
	strict  bool
	perRune bool // one token per text rune (splitting); else runs of text
}

var errEOF = errors.New("eof")

func (l *lexer) next() (token, error) {
	if l.i >= len(l.s) {
		return token{}, errEOF
	}
	switch c := l.s[l.i]; c {
	case '<':
		if t, n, err := parseTag(l.s[l.i:]); err == nil {
			l.i += n
			return t, nil
		} else if l.strict {
			return token{}, fmt.Errorf("at byte %d: %w", l.i, err)
		}
	case '&':
		if t, n, err := parseEntity(l.s[l.i:]); err == nil {
			l.i += n
			return t, nil
		} else if l.strict {
			return token{}, fmt.Errorf("at byte %d: %w", l.i, err)
		}
	case '>':
		if l.strict {
			return token{}, fmt.Errorf("at byte %d: bare '>' must be &gt;", l.i)
		}
	}
	start := l.i
	units := 0
	for l.i < len(l.s) {
		if l.i > start && (l.s[l.i] == '<' || l.s[l.i] == '&' || l.s[l.i] == '>') {
			break
		}
		r, size := utf8.DecodeRuneInString(l.s[l.i:])
		if r == utf8.RuneError && size == 1 && l.strict {
			return token{}, fmt.Errorf("at byte %d: invalid UTF-8", l.i)
		}
		units += runeUnits(r)
		l.i += size
		if l.perRune {
			break
		}
	}
	return token{kind: tokText, raw: l.s[start:l.i], units: units}, nil
}

func runeUnits(r rune) int {
	if n := utf16.RuneLen(r); n > 0 {
		return n
	}
	return 1
}

func parseEntity(s string) (token, int, error) {
	end := strings.IndexByte(s, ';')
	if end < 0 || end > 12 {
		return token{}, 0, errors.New("bare '&' must be &amp;")
	}
	body := s[1:end]
	var r rune
	switch {
	case body == "lt", body == "gt", body == "amp", body == "quot":
		r = 'x'
	case strings.HasPrefix(body, "#x") || strings.HasPrefix(body, "#X"):
		v, err := strconv.ParseUint(body[2:], 16, 32)
		if err != nil || body[2:] == "" {
			return token{}, 0, fmt.Errorf("bad numeric entity &%s;", body)
		}
		r = rune(v)
	case strings.HasPrefix(body, "#"):
		v, err := strconv.ParseUint(body[1:], 10, 32)
		if err != nil {
			return token{}, 0, fmt.Errorf("bad numeric entity &%s;", body)
		}
		r = rune(v)
	default:
		return token{}, 0, fmt.Errorf("unsupported entity &%s; (only &lt; &gt; &amp; &quot; and numeric)", body)
	}
	if r == 0 || r > unicode.MaxRune || (r >= 0xD800 && r <= 0xDFFF) {
		return token{}, 0, fmt.Errorf("entity &%s; is not a valid character", body)
	}
	return token{kind: tokEntity, raw: s[:end+1], units: runeUnits(r)}, end + 1, nil
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}

// parseTag parses one tag at the start of s and checks its attributes.
func parseTag(s string) (token, int, error) {
	i := 1
	closing := i < len(s) && s[i] == '/'
	if closing {
		i++
	}
	start := i
	for i < len(s) && isNameByte(s[i]) {
		i++
	}
	name := strings.ToLower(s[start:i])
	if name == "" {
		return token{}, 0, errors.New("bare '<' must be &lt;")
	}
	if !allowedTags[name] {
		return token{}, 0, fmt.Errorf("unsupported tag <%s>", name)
	}
	attrs := map[string]string{}
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
			i++
		}
		if i >= len(s) {
			return token{}, 0, fmt.Errorf("unclosed tag <%s", name)
		}
		if s[i] == '>' {
			i++
			break
		}
		if closing {
			return token{}, 0, fmt.Errorf("closing tag </%s> has attributes", name)
		}
		as := i
		for i < len(s) && (isNameByte(s[i]) || s[i] == '_') {
			i++
		}
		an := strings.ToLower(s[as:i])
		if an == "" {
			return token{}, 0, fmt.Errorf("bad attribute in <%s>", name)
		}
		val := ""
		if i < len(s) && s[i] == '=' {
			i++
			if i >= len(s) {
				return token{}, 0, fmt.Errorf("unclosed tag <%s", name)
			}
			if q := s[i]; q == '"' || q == '\'' {
				e := strings.IndexByte(s[i+1:], q)
				if e < 0 {
					return token{}, 0, fmt.Errorf("unterminated attribute in <%s>", name)
				}
				val = s[i+1 : i+1+e]
				i += e + 2
			} else {
				vs := i
				for i < len(s) && s[i] != ' ' && s[i] != '>' {
					i++
				}
				val = s[vs:i]
			}
		}
		attrs[an] = val
	}
	if !closing {
		if err := checkAttrs(name, attrs); err != nil {
			return token{}, 0, err
		}
	}
	k := tokOpen
	if closing {
		k = tokClose
	}
	return token{kind: k, raw: s[:i], name: name}, i, nil
}

func checkAttrs(name string, attrs map[string]string) error {
	allowed := map[string]bool{}
	switch name {
	case "a":
		if strings.TrimSpace(attrs["href"]) == "" {
			return errors.New("<a> needs an href")
		}
		allowed["href"] = true
	case "span":
		if attrs["class"] != "tg-spoiler" {
			return errors.New(`<span> needs class="tg-spoiler"`)
		}
		allowed["class"] = true
	case "tg-emoji":
		if attrs["emoji-id"] == "" {
			return errors.New("<tg-emoji> needs an emoji-id")
		}
		allowed["emoji-id"] = true
	case "code":
		allowed["class"] = true
	case "blockquote":
		allowed["expandable"] = true
	}
	for a := range attrs {
		if !allowed[a] {
			return fmt.Errorf("attribute %q not allowed in <%s>", a, name)
		}
	}
	return nil
}

// TextLen is the length Telegram counts: UTF-16 code units of the text after entity parsing
// (tags count 0, an entity counts as the character it stands for).
func TextLen(html string) int {
	l := lexer{s: html}
	n := 0
	for {
		t, err := l.next()
		if err != nil {
			return n
		}
		n += t.units
	}
}

// Validate reports what Telegram would reject in an HTML-mode message: unknown tags or
// attributes, unbalanced or misnested tags, bare < > &, unsupported entities, invalid UTF-8,
// and a text that is empty after parsing.
func Validate(html string) error {
	l := lexer{s: html, strict: true}
	var stack []string
	var text strings.Builder
	for {
		t, err := l.next()
		if errors.Is(err, errEOF) {
			break
		}
		if err != nil {
			return err
		}
		switch t.kind {
		case tokOpen:
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				switch {
				case top == "code":
					return fmt.Errorf("<%s> inside <code>", t.name)
				case top == "pre" && t.name != "code":
					return fmt.Errorf("<%s> inside <pre>", t.name)
				}
				for _, o := range stack {
					if o == t.name && (o == "a" || o == "blockquote" || o == "pre" || o == "code") {
						return fmt.Errorf("<%s> nested in <%s>", t.name, o)
					}
				}
			}
			stack = append(stack, t.name)
		case tokClose:
			if len(stack) == 0 || stack[len(stack)-1] != t.name {
				return fmt.Errorf("</%s> does not close the innermost open tag", t.name)
			}
			stack = stack[:len(stack)-1]
		default:
			if text.Len() == 0 && strings.TrimSpace(t.raw) != "" {
				text.WriteString(t.raw)
			}
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("unclosed <%s>", stack[len(stack)-1])
	}
	if text.Len() == 0 {
		return errors.New("message text is empty")
	}
	return nil
}

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
		n := TextLen(p)
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
		n = TextLen(p)
		if n <= limit {
			cur.WriteString(p)
			curLen = n
			continue
		}
		chunks := splitLong(p, limit)
		pages = append(pages, chunks[:len(chunks)-1]...)
		last := chunks[len(chunks)-1]
		cur.WriteString(last)
		curLen = TextLen(last)
	}
	flush()
	return pages
}

// splitLong cuts one oversized item into chunks of at most limit units.
func splitLong(p string, limit int) []string {
	l := lexer{s: p, perRune: true}
	var toks []token
	for {
		t, err := l.next()
		if err != nil {
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
		t, err := l.next()
		if err != nil {
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
