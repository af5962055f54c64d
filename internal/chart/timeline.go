package chart

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"
	"time"
)

// State is what a location was during an Interval.
type State int

// States of the online timeline, drawn green, orange, red and grey.
const (
	StateUnknown State = iota // no data (Plume sent none for the interval)
	StateOnline               // online the whole interval
	StatePartial              // online part of the interval (Interval.OnlinePercent)
	StateOffline              // offline the whole interval
)

// Interval is a span of time in one state.
type Interval struct {
	Start, End time.Time
	State      State
	// OnlinePercent is, for StatePartial, the share of the interval the location was online,
	// 0..100 (Plume's onlineStats percentage, plume-api.md §6 reports). Other states ignore it:
	// online counts 100, offline 0.
	OnlinePercent float64
}

// TimelineData is the input of Timeline.
type TimelineData struct {
	// Start and End are the window drawn (3 h, 24 h, 7 d…). Both zero: the span of Intervals.
	Start, End time.Time
	// Intervals in any order; times not covered are drawn as no data. Where two overlap, the
	// one that starts first keeps the overlap. Parts outside the window are cut off.
	Intervals []Interval
	// Location is the time zone of the axis and the times written (the location's zone);
	// nil is UTC.
	Location *time.Location
	// Title heads the picture, e.g. "Online history · last 24 h" (drawn as text, shortened to
	// fit); empty: "Online history". The uptime is added after it.
	Title string
}

// Timeline draws the online timeline of a window as a 1280×720 PNG: one bar with the online
// (green), partly online (orange, sparse hatch), offline (red, dense hatch, labelled
// "offline" where wide enough) and no-data (grey) spans, a time axis in d.Location, a legend,
// and the uptime (see Uptime) in the title. Errors: ErrNoData when no interval with data falls
// in the window, ErrInvalid when End is before Start.
func Timeline(d TimelineData) ([]byte, error) { return encoded(drawTimeline(d)) }

// Uptime is the percentage (0..100) of the window's time with data during which the location
// was online, partial intervals counting their OnlinePercent: for equal buckets, the mean of
// Plume's percentages. ok is false when no time in the window has data (or the window is
// invalid). The caller puts the same figure in the photo's caption.
func (d TimelineData) Uptime() (pct float64, ok bool) {
	spans, _, _, err := d.normalize()
	if err != nil {
		return 0, false
	}
	return uptime(spans)
}

func uptime(spans []Interval) (float64, bool) {
	var known, online float64
	for _, s := range spans {
		dur := s.End.Sub(s.Start).Seconds()
		switch s.State {
		case StateOnline:
			known += dur
			online += dur
		case StatePartial:
			known += dur
			online += dur * math.Min(100, math.Max(0, s.OnlinePercent)) / 100
		case StateOffline:
			known += dur
		}
	}
	if known == 0 {
		return 0, false
	}
	return 100 * online / known, true
}

// normalize returns the window and its intervals sorted, clipped to the window and to each
// other, without empty ones or unknown states (holes stand for no data).
func (d TimelineData) normalize() (spans []Interval, start, end time.Time, err error) {
	start, end = d.Start, d.End
	if start.IsZero() && end.IsZero() {
		for _, iv := range d.Intervals {
			if start.IsZero() || iv.Start.Before(start) {
				start = iv.Start
			}
			if end.IsZero() || iv.End.After(end) {
				end = iv.End
			}
		}
	}
	if err := checkWindow(start, end); err != nil {
		return nil, start, end, err
	}
	for _, iv := range d.Intervals {
		if iv.State < StateUnknown || iv.State > StateOffline {
			iv.State = StateUnknown
		}
		if iv.Start.Before(start) {
			iv.Start = start
		}
		if iv.End.After(end) {
			iv.End = end
		}
		if iv.State != StateUnknown && iv.End.After(iv.Start) {
			spans = append(spans, iv)
		}
	}
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].Start.Before(spans[j].Start) })
	out := spans[:0]
	for _, s := range spans {
		if n := len(out); n > 0 && s.Start.Before(out[n-1].End) {
			s.Start = out[n-1].End
			if !s.End.After(s.Start) {
				continue
			}
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, start, end, ErrNoData
	}
	return out, start, end, nil
}

// timelineLayout is where Timeline drew things, for tests that sample pixels.
type timelineLayout struct {
	bar  rect
	x    func(time.Time) float64
	minW float64 // narrowest a span is drawn, so that a short outage stays visible
}

// Timeline geometry (pixels).
const (
	timelineHeight = 720
	timelineMargin = 48
	timelineBarY0  = 150
	timelineBarY1  = 330
	timelineMinW   = 4
)

// Colours of the timeline's hatches: darker shades of the fill, so the fill still reads as its
// legend colour and the pattern survives greyscale and colour blindness.
var (
	colorRedDark    = color.RGBA{0x8c, 0x10, 0x1c, 0xff}
	colorOrangeDark = color.RGBA{0xa8, 0x5a, 0x00, 0xff}
)

func stateColor(s State) color.RGBA {
	switch s {
	case StateOnline:
		return colorGreen
	case StatePartial:
		return colorOrange
	case StateOffline:
		return colorRed
	}
	return colorNoData
}

func drawTimeline(d TimelineData) (*canvas, timelineLayout, error) {
	spans, start, end, err := d.normalize()
	if err != nil {
		return nil, timelineLayout{}, err
	}
	up, _ := uptime(spans)
	loc := orUTC(d.Location)
	c := newCanvas(Width, timelineHeight)
	bar := rect{timelineMargin, timelineBarY0, Width - timelineMargin, timelineBarY1}
	span := end.Sub(start).Seconds()
	x := func(t time.Time) float64 {
		if span <= 0 {
			return bar.x0
		}
		return bar.x0 + bar.w()*t.Sub(start).Seconds()/span
	}
	lay := timelineLayout{bar: bar, x: x, minW: timelineMinW}

	// Title: "<title> · uptime 99.5%", the title shortened first.
	title := textStyle{size: sizeTitle, bold: true, col: colorInk}
	upText := " · uptime " + formatPercent(up)
	name := d.Title
	if strings.TrimSpace(name) == "" {
		name = "Online history"
	}
	c.text(bar.x0, 64, label(name, title, bar.w()-title.width(upText))+upText, title, alignLeft)
	muted := textStyle{size: sizeSmall, col: colorInkMuted}
	c.text(bar.x0, 108, formatRange(start, end, loc), muted, alignLeft)

	// The bar: no data underneath, then online, partial and offline on top, so that a short
	// outage is never covered by its neighbours.
	c.fillRect(bar, colorNoData)
	for _, st := range []State{StateOnline, StatePartial, StateOffline} {
		for _, s := range spans {
			if s.State != st {
				continue
			}
			r := rect{x(s.Start), bar.y0, x(s.End), bar.y1}
			if r.w() < timelineMinW {
				mid := (r.x0 + r.x1) / 2
				r.x0, r.x1 = max(bar.x0, mid-timelineMinW/2), min(bar.x1, mid+timelineMinW/2)
			}
			drawState(c, r, st)
		}
	}
	c.line(colorInkMuted, 2, nil, [2]float64{bar.x0, bar.y0}, [2]float64{bar.x1, bar.y0},
		[2]float64{bar.x1, bar.y1}, [2]float64{bar.x0, bar.y1}, [2]float64{bar.x0, bar.y0})
	labelSpans(c, spans, bar, x)

	// Time axis.
	tick := textStyle{size: sizeSmall, col: colorInk}
	for _, tk := range timeTicks(start, end, loc) {
		tx := x(tk.at)
		c.line(colorInk, 2, nil, [2]float64{tx, bar.y1}, [2]float64{tx, bar.y1 + 14})
		align := alignCenter
		if tx-tick.width(tk.label)/2 < 0 {
			align = alignLeft
		} else if tx+tick.width(tk.label)/2 > c.w {
			align = alignRight
		}
		c.text(tx, bar.y1+48, tk.label, tick, align)
	}
	c.text(Width/2, bar.y1+92, "Time ("+zoneName(loc, start)+")", muted, alignCenter)

	// Legend: a swatch of each state with its word.
	lx := bar.x0
	body := textStyle{size: sizeSmall, col: colorInk}
	for _, st := range []State{StateOnline, StatePartial, StateOffline, StateUnknown} {
		sw := rect{lx, 500, lx + 44, 540}
		drawState(c, sw, st)
		c.line(colorInkMuted, 1.5, nil, [2]float64{sw.x0, sw.y0}, [2]float64{sw.x1, sw.y0},
			[2]float64{sw.x1, sw.y1}, [2]float64{sw.x0, sw.y1}, [2]float64{sw.x0, sw.y0})
		word := stateWord(st)
		c.text(sw.x1+12, 530, word, body, alignLeft)
		lx = sw.x1 + 12 + body.width(word) + 44
	}

	// One summary line: outages (runs of offline or partial time) and time without data.
	for i, line := range timelineSummary(spans, start, end, loc) {
		c.text(bar.x0, 610+float64(i)*46, line, textStyle{size: sizeBody, col: colorInk}, alignLeft)
	}
	return c, lay, nil
}

func stateWord(s State) string {
	switch s {
	case StateOnline:
		return "online"
	case StatePartial:
		return "partly offline"
	case StateOffline:
		return "offline"
	}
	return "no data"
}

// drawState fills r in the state's colour with its pattern.
func drawState(c *canvas, r rect, s State) {
	c.fillRect(r, stateColor(s))
	switch s {
	case StateOffline:
		c.hatch(r, colorRedDark, 3, 14)
	case StatePartial:
		c.hatch(r, colorOrangeDark, 2, 28)
	}
}

// labelSpans writes "offline" / "partly offline" / "no data" on spans wide enough to hold it.
func labelSpans(c *canvas, spans []Interval, bar rect, x func(time.Time) float64) {
	st := textStyle{size: sizeSmall, bold: true, col: colorWhite}
	put := func(x0, x1 float64, word string, bg, fg color.Color) {
		w := st.width(word) + 20
		if x1-x0 < w+8 {
			return
		}
		mid := (x0 + x1) / 2
		cy := (bar.y0 + bar.y1) / 2
		c.box(rect{mid - w/2, cy - 22, mid + w/2, cy + 22}, 6, bg, nil, 0)
		s := st
		s.col = fg
		c.text(mid, cy+s.ascent()/2, word, s, alignCenter)
	}
	prev := bar.x0
	for _, s := range spans {
		x0, x1 := x(s.Start), x(s.End)
		put(prev, x0, "no data", colorWhite, colorInk)
		prev = x1
		switch s.State {
		case StateOffline:
			put(x0, x1, "offline", colorRedDark, colorWhite)
		case StatePartial:
			put(x0, x1, "partly offline", colorOrangeDark, colorWhite)
		}
	}
	put(prev, bar.x1, "no data", colorWhite, colorInk)
}

// timelineSummary is the line under the legend: the outages and the time without data.
func timelineSummary(spans []Interval, start, end time.Time, loc *time.Location) []string {
	type run struct{ start, end time.Time }
	var outages []run
	var known time.Duration
	for _, s := range spans {
		known += s.End.Sub(s.Start)
		if s.State == StateOnline {
			continue
		}
		if n := len(outages); n > 0 && !s.Start.After(outages[n-1].end) {
			outages[n-1].end = s.End
			continue
		}
		outages = append(outages, run{s.Start, s.End})
	}
	var lines []string
	switch len(outages) {
	case 0:
		lines = append(lines, "No outage.")
	default:
		longest := outages[0]
		for _, o := range outages {
			if o.end.Sub(o.start) > longest.end.Sub(longest.start) {
				longest = o
			}
		}
		n := "1 outage"
		if len(outages) > 1 {
			n = fmt.Sprintf("%d outages", len(outages))
		}
		lines = append(lines, fmt.Sprintf("%s · longest %s from %s", n,
			formatDuration(longest.end.Sub(longest.start)), longest.start.In(loc).Format("Mon 2 Jan 15:04")))
	}
	if missing := end.Sub(start) - known; missing >= time.Minute {
		window := formatDuration(end.Sub(start))
		if end.Sub(start) < 48*time.Hour { // "of 24 h" rather than "of 1 d"
			window = fmt.Sprintf("%d h", int(end.Sub(start).Round(time.Hour).Hours()))
		}
		lines = append(lines, fmt.Sprintf("No data for %s of %s.", formatDuration(missing), window))
	}
	return lines
}

// formatPercent writes a percentage with up to two decimals ("99.5%"), never rounding a value
// below 100 up to "100%": an agent must not read "100%" over a visible outage.
func formatPercent(p float64) string {
	s := strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", p), "0"), ".")
	if p < 100 && s == "100" {
		s = "99.99"
	}
	return s + "%"
}

// formatDuration writes d in the text report's words: "45 min", "1 h 5 min", "2 d 3 h".
func formatDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 24*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h == 0 {
		return fmt.Sprintf("%d d", days)
	}
	return fmt.Sprintf("%d d %d h", days, h)
}

// formatRange writes the window in loc: "Mon 24 Nov 14:00 – Tue 25 Nov 14:00 · Europe/Berlin".
func formatRange(start, end time.Time, loc *time.Location) string {
	const f = "Mon 2 Jan 15:04"
	return start.In(loc).Format(f) + " – " + end.In(loc).Format(f) + " · " + zoneName(loc, start)
}
