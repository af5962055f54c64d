package chart

import (
	"strings"
	"testing"
	"time"
)

func TestClean(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"Living room", "Living room"},
		{"<b>Office</b> & co", "<b>Office</b> & co"}, // drawn as text: markup is just characters
		{"  Garage\t\n with\r\ntabs  ", "Garage with tabs"},
		{"\x1b[31mRed\x07\x00", "[31mRed"},
		{"Kids' room 🧸", "Kids' room"},
		{"👨‍👩‍👧‍👦 Family", "Family"},
		{"☕️ Café", "Café"},
		{"a\u202eevil\u202c b\u200bc", "aevil bc"}, // bidi override and zero-width space dropped
		{"bad \xff\xfe utf-8 \xc3", "bad ? utf-8 ?"},
		{"客厅 Living", "? Living"},
		{"غرفة المعيشة", "? ?"},
		{"Салон Ω", "Салон Ω"},
		{"🏠", ""},
		{"", ""},
	} {
		if got := clean(tc.in); got != tc.want {
			t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := clean(strings.Repeat("ab", 10000)); len([]rune(got)) != maxInputRunes {
		t.Errorf("clean of 20000 runes kept %d, want %d", len([]rune(got)), maxInputRunes)
	}
}

func TestVisual(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"Office 2", "Office 2"},
		{"שלום", "םולש"},
		{"חדר 2", "2 רדח"}, // digits after Hebrew belong to its run
		{"2 חדר", "2 רדח"}, // digits before it stay where they are
		{"Pod חדר שינה 12 A", "Pod 12 הניש רדח A"},
		{"(אב)", "(בא)"},           // brackets mirrored with the run
		{"חדר 123 ב", "ב 123 רדח"}, // a number inside keeps its order
	} {
		if got := visual(tc.in); got != tc.want {
			t.Errorf("visual(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEllipsis(t *testing.T) {
	t.Parallel()
	st := textStyle{size: 32, bold: true}
	long := strings.Repeat("W", 40)
	for _, maxW := range []float64{0, 10, 100, 400, 5000} {
		got := ellipsis(long, st, maxW)
		if w := st.width(got); w > maxW {
			t.Errorf("ellipsis to %v px gave %q, %v px wide", maxW, got, w)
		}
		if maxW < 5000 && got != "" && !strings.HasSuffix(got, "…") {
			t.Errorf("ellipsis to %v px gave %q without …", maxW, got)
		}
	}
	if got := ellipsis("Office", st, 400); got != "Office" {
		t.Errorf("a short name changed: %q", got)
	}
	if got := ellipsis("Living room next to TV", st, st.width("Living room")+st.width("…")); got != "Living room…" {
		t.Errorf("cut at a space: %q, want no space before …", got)
	}
}

func TestTimeTicks(t *testing.T) {
	t.Parallel()
	loc := berlin(t)
	labels := func(ts []timeTick) string {
		var s []string
		for _, tk := range ts {
			s = append(s, tk.label)
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		name       string
		start, end time.Time
		want       string
	}{
		{"3 h", time.Date(2026, 11, 25, 11, 10, 0, 0, loc), time.Date(2026, 11, 25, 14, 10, 0, 0, loc),
			"11:30 12:00 12:30 13:00 13:30 14:00"},
		{"24 h", time.Date(2026, 11, 24, 14, 0, 0, 0, loc), time.Date(2026, 11, 25, 14, 0, 0, 0, loc),
			"15:00 18:00 21:00 Wed 25 03:00 06:00 09:00 12:00"},
		// Europe/Berlin springs forward at 02:00 on 29 March 2026: ticks stay on wall-clock hours.
		{"24 h across DST", time.Date(2026, 3, 28, 12, 0, 0, 0, loc), time.Date(2026, 3, 29, 12, 0, 0, 0, loc),
			"12:00 15:00 18:00 21:00 Sun 29 03:00 06:00 09:00 12:00"},
		// …and falls back at 03:00 on 25 October 2026.
		{"24 h across DST end", time.Date(2026, 10, 24, 12, 0, 0, 0, loc), time.Date(2026, 10, 25, 12, 0, 0, 0, loc),
			"12:00 15:00 18:00 21:00 Sun 25 03:00 06:00 09:00 12:00"},
		{"7 d", time.Date(2026, 11, 18, 14, 0, 0, 0, loc), time.Date(2026, 11, 25, 14, 0, 0, 0, loc),
			"Thu 19 Fri 20 Sat 21 Sun 22 Mon 23 Tue 24 Wed 25"},
	} {
		ts := timeTicks(tc.start, tc.end, loc)
		if got := labels(ts); got != tc.want {
			t.Errorf("%s: ticks %q, want %q", tc.name, got, tc.want)
		}
		for i := 1; i < len(ts); i++ {
			if !ts[i].at.After(ts[i-1].at) {
				t.Errorf("%s: ticks not increasing at %d", tc.name, i)
			}
		}
	}
	if got := timeTicks(time.Unix(10, 0), time.Unix(0, 0), loc); got != nil {
		t.Errorf("an inverted window has ticks: %v", got)
	}
}

func TestZoneName(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		loc  *time.Location
		want string
	}{
		{berlin(t), "Europe/Berlin"},
		{time.UTC, "UTC"},
		{time.FixedZone("", 5*3600+1800), "UTC+05:30"},
		{time.FixedZone("", -3*3600), "UTC-03:00"},
	} {
		if got := zoneName(tc.loc, at); got != tc.want {
			t.Errorf("zoneName(%v) = %q, want %q", tc.loc, got, tc.want)
		}
	}
}
