package render

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxMessageLen is Telegram's longest message text, in UTF-16 code units after entity parsing
// (https://core.telegram.org/bots/api#sendmessage).
const MaxMessageLen = 4096

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// Escape makes s safe as Telegram HTML text or attribute value (& < > "); invalid UTF-8
// becomes U+FFFD, because Telegram rejects it.
func Escape(s string) string {
	return escaper.Replace(strings.ToValidUTF8(s, "\uFFFD"))
}

// The lexer below reads the HTML render itself writes, to count and split it as Telegram
// counts it. It does not judge it: the tests check every message with tgtest's own parser.

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

// Tags Telegram's HTML parse mode accepts (https://core.telegram.org/bots/api#html-style);
// anything else that starts with '<' is counted as text.
var knownTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true, "s": true, "strike": true,
	"del": true, "span": true, "tg-spoiler": true, "a": true, "code": true, "pre": true,
	"blockquote": true, "tg-emoji": true,
}

// lexer walks Telegram HTML; anything it cannot read as a tag or an entity is text.
type lexer struct {
	s       string
	i       int
	perRune bool // one token per text rune (splitting); else runs of text
}

// next returns the next token, or false at the end.
func (l *lexer) next() (token, bool) {
	if l.i >= len(l.s) {
		return token{}, false
	}
	switch l.s[l.i] {
	case '<':
		if t, n, ok := parseTag(l.s[l.i:]); ok {
			l.i += n
			return t, true
		}
	case '&':
		if t, n, ok := parseEntity(l.s[l.i:]); ok {
			l.i += n
			return t, true
		}
	}
	start := l.i
	units := 0
	for l.i < len(l.s) {
		if l.i > start && (l.s[l.i] == '<' || l.s[l.i] == '&') {
			break
		}
		r, size := utf8.DecodeRuneInString(l.s[l.i:])
		units += runeUnits(r)
		l.i += size
		if l.perRune {
			break
		}
	}
	return token{kind: tokText, raw: l.s[start:l.i], units: units}, true
}

func runeUnits(r rune) int {
	if n := utf16.RuneLen(r); n > 0 {
		return n
	}
	return 1
}

// parseEntity reads one entity (&lt; &gt; &amp; &quot; or numeric) at the start of s.
func parseEntity(s string) (token, int, bool) {
	end := strings.IndexByte(s, ';')
	if end < 0 || end > 12 {
		return token{}, 0, false
	}
	body := s[1:end]
	var r rune
	switch {
	case body == "lt", body == "gt", body == "amp", body == "quot":
		r = 'x'
	case strings.HasPrefix(body, "#x") || strings.HasPrefix(body, "#X"):
		v, err := strconv.ParseUint(body[2:], 16, 32)
		if err != nil {
			return token{}, 0, false
		}
		r = rune(v)
	case strings.HasPrefix(body, "#"):
		v, err := strconv.ParseUint(body[1:], 10, 32)
		if err != nil {
			return token{}, 0, false
		}
		r = rune(v)
	default:
		return token{}, 0, false
	}
	if r == 0 || r > unicode.MaxRune || (r >= 0xD800 && r <= 0xDFFF) {
		return token{}, 0, false
	}
	return token{kind: tokEntity, raw: s[:end+1], units: runeUnits(r)}, end + 1, true
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}

// parseTag reads one tag of a known name at the start of s, skipping its attributes (a quoted
// value may hold '>').
func parseTag(s string) (token, int, bool) {
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
	if !knownTags[name] {
		return token{}, 0, false
	}
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
			i++
		}
		if i >= len(s) {
			return token{}, 0, false
		}
		if s[i] == '>' {
			i++
			break
		}
		if closing {
			return token{}, 0, false
		}
		as := i
		for i < len(s) && (isNameByte(s[i]) || s[i] == '_') {
			i++
		}
		if i == as {
			return token{}, 0, false
		}
		if i < len(s) && s[i] == '=' {
			i++
			if i >= len(s) {
				return token{}, 0, false
			}
			if q := s[i]; q == '"' || q == '\'' {
				e := strings.IndexByte(s[i+1:], q)
				if e < 0 {
					return token{}, 0, false
				}
				i += e + 2
			} else {
				for i < len(s) && s[i] != ' ' && s[i] != '>' {
					i++
				}
			}
		}
	}
	k := tokOpen
	if closing {
		k = tokClose
	}
	return token{kind: k, raw: s[:i], name: name}, i, true
}

// textLen is the length Telegram counts: UTF-16 code units of the text after entity parsing
// (tags count 0, an entity counts as the character it stands for).
func textLen(html string) int {
	l := lexer{s: html}
	n := 0
	for {
		t, ok := l.next()
		if !ok {
			return n
		}
		n += t.units
	}
}
