package tgtest

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxTextLength is Telegram's limit for message text after entity parsing, in UTF-16 code units
// (https://core.telegram.org/bots/api#sendmessage).
const MaxTextLength = 4096

// MaxCallbackData is the limit of callback_data in bytes
// (https://core.telegram.org/bots/api#inlinekeyboardbutton).
const MaxCallbackData = 64

// tagRule says which attributes a supported tag needs (https://core.telegram.org/bots/api#html-style).
type tagRule struct {
	check func(attrs map[string]string) error
}

var supportedTags = map[string]tagRule{
	"b": {}, "strong": {}, "i": {}, "em": {}, "u": {}, "ins": {}, "s": {}, "strike": {}, "del": {},
	"tg-spoiler": {}, "code": {}, "pre": {}, "blockquote": {},
	"span": {check: func(a map[string]string) error {
		if a["class"] != "tg-spoiler" {
			return fmt.Errorf("tag \"span\" must have class \"tg-spoiler\"")
		}
		return nil
	}},
	"a": {check: func(a map[string]string) error {
		if _, ok := a["href"]; !ok {
			return fmt.Errorf("tag \"a\" must have attribute \"href\"")
		}
		return nil
	}},
	"tg-emoji": {check: func(a map[string]string) error {
		if a["emoji-id"] == "" {
			return fmt.Errorf("tag \"tg-emoji\" must have attribute \"emoji-id\"")
		}
		return nil
	}},
}

// ParseHTML checks text the way Telegram's HTML parse mode does and returns the plain text
// that remains after entity parsing; the error text follows Telegram's "can't parse entities".
func ParseHTML(s string) (string, error) {
	var out strings.Builder
	var stack []string
	inside := func(names ...string) bool {
		for _, open := range stack {
			for _, n := range names {
				if open == n {
					return true
				}
			}
		}
		return false
	}
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '<':
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				return "", fmt.Errorf("unclosed start tag at byte offset %d", i)
			}
			raw := s[i+1 : i+end]
			if strings.HasPrefix(raw, "/") {
				name := strings.ToLower(strings.TrimSpace(raw[1:]))
				if len(stack) == 0 {
					return "", fmt.Errorf("unexpected end tag at byte offset %d", i)
				}
				top := stack[len(stack)-1]
				if name != top {
					return "", fmt.Errorf("unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", i, top, name)
				}
				stack = stack[:len(stack)-1]
			} else {
				name, attrs, err := parseTag(raw)
				if err != nil {
					return "", fmt.Errorf("%v at byte offset %d", err, i)
				}
				rule, ok := supportedTags[name]
				if !ok {
					return "", fmt.Errorf("unsupported start tag \"%s\" at byte offset %d", name, i)
				}
				if rule.check != nil {
					if err := rule.check(attrs); err != nil {
						return "", fmt.Errorf("%v at byte offset %d", err, i)
					}
				}
				// Telegram allows no entities inside code/pre except <code> directly in <pre>.
				if inside("code") || (inside("pre") && !(name == "code" && stack[len(stack)-1] == "pre")) {
					return "", fmt.Errorf("tag \"%s\" can't be nested in a code entity at byte offset %d", name, i)
				}
				if name == "blockquote" && inside("blockquote") {
					return "", fmt.Errorf("blockquote can't be nested at byte offset %d", i)
				}
				stack = append(stack, name)
			}
			i += end + 1
		case '>':
			return "", fmt.Errorf("character '>' must be escaped as &gt; at byte offset %d", i)
		case '&':
			end := strings.IndexByte(s[i:], ';')
			if end < 0 || end > 12 {
				return "", fmt.Errorf("character '&' must be escaped as &amp; at byte offset %d", i)
			}
			r, ok := decodeEntity(s[i+1 : i+end])
			if !ok {
				return "", fmt.Errorf("unsupported HTML entity \"%s\" at byte offset %d", s[i:i+end+1], i)
			}
			out.WriteRune(r)
			i += end + 1
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return "", fmt.Errorf("text must be encoded in UTF-8 (byte offset %d)", i)
			}
			out.WriteString(s[i : i+size])
			i += size
		}
	}
	if len(stack) > 0 {
		return "", fmt.Errorf("can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1])
	}
	return out.String(), nil
}

func decodeEntity(name string) (rune, bool) {
	switch name {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "quot":
		return '"', true
	}
	if !strings.HasPrefix(name, "#") || len(name) < 2 {
		return 0, false
	}
	var n uint64
	var err error
	if name[1] == 'x' || name[1] == 'X' {
		n, err = strconv.ParseUint(name[2:], 16, 32)
	} else {
		n, err = strconv.ParseUint(name[1:], 10, 32)
	}
	if err != nil || n == 0 || n > utf8.MaxRune || (n >= 0xD800 && n <= 0xDFFF) {
		return 0, false
	}
	return rune(n), true
}

// parseTag splits `name attr="v" attr2='w' attr3=x flag` into a lower-case name and attributes.
func parseTag(raw string) (string, map[string]string, error) {
	raw = strings.TrimSpace(raw)
	n := strings.IndexAny(raw, " \t\r\n")
	if n < 0 {
		n = len(raw)
	}
	name := strings.ToLower(raw[:n])
	if name == "" {
		return "", nil, fmt.Errorf("empty tag name")
	}
	attrs := map[string]string{}
	rest := raw[n:]
	for {
		rest = strings.TrimLeft(rest, " \t\r\n")
		if rest == "" {
			return name, attrs, nil
		}
		k := strings.IndexAny(rest, "= \t\r\n")
		if k < 0 {
			attrs[strings.ToLower(rest)] = ""
			return name, attrs, nil
		}
		key := strings.ToLower(rest[:k])
		rest = strings.TrimLeft(rest[k:], " \t\r\n")
		if !strings.HasPrefix(rest, "=") {
			attrs[key] = ""
			continue
		}
		rest = strings.TrimLeft(rest[1:], " \t\r\n")
		if rest == "" {
			return "", nil, fmt.Errorf("expected attribute value")
		}
		var val string
		if q := rest[0]; q == '"' || q == '\'' {
			e := strings.IndexByte(rest[1:], q)
			if e < 0 {
				return "", nil, fmt.Errorf("unclosed attribute value")
			}
			val, rest = rest[1:1+e], rest[2+e:]
		} else {
			e := strings.IndexAny(rest, " \t\r\n")
			if e < 0 {
				e = len(rest)
			}
			val, rest = rest[:e], rest[e:]
		}
		attrs[key] = val
	}
}

// UTF16Len counts s the way Telegram counts message length.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		if l := utf16.RuneLen(r); l > 0 {
			n += l
		} else {
			n++
		}
	}
	return n
}
