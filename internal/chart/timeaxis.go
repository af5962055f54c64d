package chart

import (
	"fmt"
	"time"
)

// timeTick is one labelled mark on a time axis.
type timeTick struct {
	at    time.Time
	label string
}

// tickStep picks a spacing that gives at most 8 labels across span (about 140 px apart on a
// 1280-px picture, room for "Tue 25" in 28-px type), on wall-clock boundaries.
func tickStep(span time.Duration) time.Duration {
	for _, s := range []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour,
		3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour} {
		if span/s <= 8 {
			return s
		}
	}
	days := (span/(24*time.Hour) + 7) / 8
	return days * 24 * time.Hour
}

// timeTicks are the marks between start and end (inclusive) at wall-clock multiples of the step
// in loc, so that "15:00" is 15:00 where the location is, across daylight-saving changes too.
// Sub-day ticks read "15:00", and "Tue 25" at local midnight; day ticks read "Tue 25".
func timeTicks(start, end time.Time, loc *time.Location) []timeTick {
	if !end.After(start) {
		return nil
	}
	step := tickStep(end.Sub(start))
	s := start.In(loc)
	day := time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, loc)
	var out []timeTick
	var last time.Time
	for k := 0; k < 1000; k++ {
		var t time.Time
		if step < 24*time.Hour {
			t = time.Date(day.Year(), day.Month(), day.Day(), 0, k*int(step/time.Minute), 0, 0, loc)
		} else {
			t = time.Date(day.Year(), day.Month(), day.Day()+k*int(step/(24*time.Hour)), 0, 0, 0, 0, loc)
		}
		if t.After(end) {
			break
		}
		// A daylight-saving change can map two wall-clock times to one instant, or make a
		// step short: keep ticks strictly increasing and at least half a step apart.
		if t.Before(start) || (!last.IsZero() && t.Sub(last) < step/2) {
			continue
		}
		last = t
		lbl := t.Format("15:04")
		if step >= 24*time.Hour || (t.Hour() == 0 && t.Minute() == 0) {
			lbl = t.Format("Mon 2")
		}
		out = append(out, timeTick{at: t, label: lbl})
	}
	return out
}

// zoneName names loc for an axis label: its IANA name ("Europe/Berlin", "UTC"), or its offset
// at t ("UTC+05:30") when it has no useful name (time.Local, time.FixedZone("", …)).
func zoneName(loc *time.Location, t time.Time) string {
	if n := loc.String(); n != "" && n != "Local" {
		return n
	}
	_, off := t.In(loc).Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("UTC%c%02d:%02d", sign, off/3600, off%3600/60)
}

// orUTC is loc, or UTC when the caller gave none.
func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// checkWindow refuses a window that ends before it starts.
func checkWindow(start, end time.Time) error {
	if end.Before(start) {
		return fmt.Errorf("%w: the window ends (%s) before it starts (%s)", ErrInvalid,
			end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	return nil
}
