package chart

import (
	"image/color"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/unicode/bidi"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/font/liberation"
	"gonum.org/v1/plot/vg"

	stdfont "golang.org/x/image/font"
)

// fonts holds plot's bundled Liberation fonts, parsed once (liberation.Collection is behind a
// sync.Once); font.Cache is read-locked on lookup, so concurrent pictures share it safely.
var fonts = font.NewCache(liberation.Collection())

// Text sizes in pixels. A 1280-px picture is shown about 2.5× smaller on a phone, so 28 px is
// the smallest size that stays readable there.
const (
	sizeTitle = 40
	sizeBody  = 30
	sizeSmall = 28
)

// textStyle is how a string is drawn.
type textStyle struct {
	size float64
	bold bool
	col  color.Color
}

func (s textStyle) face() font.Face {
	f := font.Font{Typeface: "Liberation", Variant: "Sans"}
	if s.bold {
		f.Weight = stdfont.WeightBold
	}
	return fonts.Lookup(f, vg.Length(s.size))
}

// width is the drawn width of s in pixels.
func (s textStyle) width(str string) float64 {
	f := s.face()
	return float64(f.Width(str))
}

// ascent is the height of capitals above the baseline, used to centre a line vertically.
func (s textStyle) ascent() float64 { return 0.72 * s.size }

// Alignment of a string relative to its x.
const (
	alignLeft = iota
	alignCenter
	alignRight
)

// text draws str (already cleaned: see label) with its baseline at y.
func (c *canvas) text(x, y float64, str string, st textStyle, align int) {
	if str == "" {
		return
	}
	f := st.face()
	switch align {
	case alignCenter:
		x -= float64(f.Width(str)) / 2
	case alignRight:
		x -= float64(f.Width(str))
	}
	c.img.SetColor(st.col)
	c.img.FillString(f, c.pt(x, y), str)
}

// maxInputRunes bounds the work spent on one string: nothing drawn is longer.
const maxInputRunes = 256

// clean makes a string from Plume or a user safe to draw: invalid UTF-8 and letters the font
// lacks become "?", control and format characters (bidi overrides, zero-width joiners) and
// symbols the font lacks (emoji) are dropped, whitespace collapses to one space. The result is
// in logical order; display passes it through visual.
func clean(s string) string {
	var (
		b       strings.Builder
		buf     sfnt.Buffer
		face    = textStyle{size: sizeBody}.face()
		n       int
		space   bool // a space is pending
		unknown bool // the last rune written was a "?" standing for unknown letters
	)
	put := func(r rune) {
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
		n++
	}
	for i := 0; i < len(s) && n < maxInputRunes; {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			r = unicode.ReplacementChar
		case unicode.IsSpace(r) || unicode.In(r, unicode.Zl, unicode.Zp):
			space, unknown = true, false
			continue
		case unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Co, unicode.Cs):
			continue
		}
		if r != unicode.ReplacementChar {
			if idx, err := face.Face.GlyphIndex(&buf, r); err == nil && idx != 0 {
				put(r)
				unknown = false
				continue
			}
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				continue // emoji and other symbols: nothing to show in their place
			}
		}
		if !unknown {
			put('?')
			unknown = true
		}
	}
	return b.String()
}

// visual reorders right-to-left runs (Hebrew) for drawing left to right, as a left-to-right
// paragraph shows them (Unicode bidi rules W2, N1, I1 and L2 in the simple case of one level): a
// run from the first right-to-left letter to the last right-to-left letter or digit before the
// next left-to-right letter is reversed, brackets mirrored, and the digits in it keep their own
// order. x/text's bidi.Paragraph.Order is not used: it panics on some input (golang/go#71809 and
// reports of index out of range); only its character table is.
func visual(s string) string {
	class := func(r rune) bidi.Class { p, _ := bidi.LookupRune(r); return p.Class() }
	isRTL := func(c bidi.Class) bool { return c == bidi.R || c == bidi.AL }
	isNum := func(c bidi.Class) bool { return c == bidi.EN || c == bidi.AN }
	rs := []rune(s)
	out := make([]rune, 0, len(rs))
	for i := 0; i < len(rs); {
		if !isRTL(class(rs[i])) {
			out = append(out, rs[i])
			i++
			continue
		}
		end := i
		for j := i; j < len(rs) && class(rs[j]) != bidi.L; j++ {
			if c := class(rs[j]); isRTL(c) || isNum(c) {
				end = j
			}
		}
		run := []rune(bidi.ReverseString(string(rs[i : end+1])))
		for a := 0; a < len(run); {
			if !isNum(class(run[a])) {
				a++
				continue
			}
			z := a
			for z < len(run) && isNum(class(run[z])) {
				z++
			}
			slices.Reverse(run[a:z])
			a = z
		}
		out = append(out, run...)
		i = end + 1
	}
	return string(out)
}

// ellipsis shortens s (cleaned, logical order) to fit maxW pixels in style st, cutting at the
// end and adding "…".
func ellipsis(s string, st textStyle, maxW float64) string {
	f := st.face()
	if float64(f.Width(s)) <= maxW {
		return s
	}
	rs := []rune(s)
	// The longest prefix that fits with "…": binary search, widths grow with length.
	lo, hi := 0, len(rs)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if float64(f.Width(strings.TrimRight(string(rs[:mid]), " ")+"…")) <= maxW {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0 {
		if float64(f.Width("…")) <= maxW {
			return "…"
		}
		return ""
	}
	return strings.TrimRight(string(rs[:lo]), " ") + "…"
}

// label is s from outside made drawable within maxW pixels: cleaned, shortened, reordered.
func label(s string, st textStyle, maxW float64) string {
	return visual(ellipsis(clean(s), st, maxW))
}

// hasWords reports whether a cleaned string shows anything but unknown-letter marks and
// punctuation, i.e. whether it can name something on its own.
func hasWords(s string) bool {
	for _, r := range s {
		if r != '?' && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return true
		}
	}
	return false
}
