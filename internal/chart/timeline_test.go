package chart

import (
	"errors"
	"image/color"
	"math"
	"testing"
	"time"
)

// day24 is a 24-hour window of hourly buckets ending at 14:00 Berlin time, with one offline
// hour, one partial hour and two hours without data.
func day24(t testing.TB) TimelineData {
	loc := berlin(t)
	end := time.Date(2026, 11, 25, 14, 0, 0, 0, loc)
	start := end.Add(-24 * time.Hour)
	d := TimelineData{Start: start, End: end, Location: loc, Title: "Online history · last 24 h"}
	for h := 0; h < 24; h++ {
		iv := Interval{Start: start.Add(time.Duration(h) * time.Hour), End: start.Add(time.Duration(h+1) * time.Hour), State: StateOnline}
		switch h {
		case 5:
			iv.State = StateOffline
		case 6:
			iv.State, iv.OnlinePercent = StatePartial, 60
		case 15, 16:
			continue
		}
		d.Intervals = append(d.Intervals, iv)
	}
	return d
}

// week is 7 days of hourly buckets ending Wednesday 14:00 Berlin time (across no DST change),
// with outages of various lengths, partial hours and a day with a data hole.
func week(t testing.TB) TimelineData {
	loc := berlin(t)
	end := time.Date(2026, 11, 25, 14, 0, 0, 0, loc)
	start := end.Add(-7 * 24 * time.Hour)
	d := TimelineData{Start: start, End: end, Location: loc, Title: "Online history · last 7 d"}
	for h := 0; h < 7*24; h++ {
		iv := Interval{Start: start.Add(time.Duration(h) * time.Hour), End: start.Add(time.Duration(h+1) * time.Hour), State: StateOnline}
		switch {
		case h == 20, h >= 70 && h < 76:
			iv.State = StateOffline
		case h == 21 || h == 120:
			iv.State, iv.OnlinePercent = StatePartial, 75
		case h >= 130 && h < 142:
			continue
		}
		d.Intervals = append(d.Intervals, iv)
	}
	return d
}

// TestTimelineOutageColour scans every column of the bar in the PNG: where the series is
// offline the outage red appears, and nowhere else, including for an outage far narrower than a
// pixel (drawn at the minimum width) and for outages in unsorted, overlapping input.
func TestTimelineOutageColour(t *testing.T) {
	t.Parallel()
	loc := berlin(t)
	for _, tc := range []struct {
		name    string
		window  time.Duration
		outages [][2]time.Duration // offsets from the start
	}{
		{"3h", 3 * time.Hour, [][2]time.Duration{{10 * time.Minute, 25 * time.Minute}, {2 * time.Hour, 2*time.Hour + 5*time.Minute}}},
		{"24h", 24 * time.Hour, [][2]time.Duration{{5 * time.Hour, 6 * time.Hour}, {6*time.Hour + 30*time.Minute, 9 * time.Hour}, {23 * time.Hour, 24 * time.Hour}}},
		{"7d", 7 * 24 * time.Hour, [][2]time.Duration{{0, 3 * time.Hour}, {50 * time.Hour, 50*time.Hour + 15*time.Minute}, {100 * time.Hour, 130 * time.Hour}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			end := time.Date(2026, 11, 25, 14, 0, 0, 0, loc)
			start := end.Add(-tc.window)
			d := TimelineData{Start: start, End: end, Location: loc}
			// Online everywhere first, then the outages and a partial span listed after it, out of
			// order: the earlier-starting interval keeps an overlap, so the outages must be cut
			// out of the online span by the caller, as Plume's buckets are.
			var cuts []time.Time
			cuts = append(cuts, start)
			for _, o := range tc.outages {
				cuts = append(cuts, start.Add(o[0]), start.Add(o[1]))
			}
			cuts = append(cuts, end)
			for i := len(tc.outages) - 1; i >= 0; i-- {
				o := tc.outages[i]
				d.Intervals = append(d.Intervals, Interval{Start: start.Add(o[0]), End: start.Add(o[1]), State: StateOffline})
			}
			for i := 0; i+1 < len(cuts); i += 2 {
				d.Intervals = append(d.Intervals, Interval{Start: cuts[i], End: cuts[i+1], State: StateOnline})
			}
			c, lay, err := drawTimeline(d)
			if err != nil {
				t.Fatal(err)
			}
			if lay.minW < 3 {
				t.Fatalf("a short outage is drawn %v px wide: too thin to see", lay.minW)
			}
			img := encodeDecode(t, c, timelineHeight)
			y0, y1 := int(lay.bar.y0)+3, int(lay.bar.y1)-3
			for x := int(lay.bar.x0) + 3; x < int(lay.bar.x1)-3; x++ {
				inside, nearEdge := false, false
				for _, o := range tc.outages {
					a, b := lay.x(start.Add(o[0])), lay.x(start.Add(o[1]))
					if b-a < lay.minW {
						mid := (a + b) / 2
						a, b = mid-lay.minW/2, mid+lay.minW/2
					}
					fx := float64(x) + 0.5
					inside = inside || (fx > a+1 && fx < b-1)
					nearEdge = nearEdge || (fx >= a-2 && fx <= b+2)
				}
				has := columnHas(img, x, y0, y1, colorRed, 16)
				switch {
				case inside && !has:
					t.Errorf("column %d is inside an outage but shows no red", x)
				case !nearEdge && has:
					t.Errorf("column %d is outside every outage but shows red", x)
				}
			}
		})
	}
}

func TestTimelineStateColours(t *testing.T) {
	t.Parallel()
	d := day24(t)
	c, lay, err := drawTimeline(d)
	if err != nil {
		t.Fatal(err)
	}
	img := encodeDecode(t, c, timelineHeight)
	// Sample the middle of each hour: hour 5 offline, 6 partial, 15–16 no data, others online.
	want := map[int]color.RGBA{5: colorRed, 6: colorOrange, 15: colorNoData, 16: colorNoData, 0: colorGreen, 12: colorGreen, 23: colorGreen}
	for h, col := range want {
		x := int(lay.x(d.Start.Add(time.Duration(h)*time.Hour + 30*time.Minute)))
		if !columnHas(img, x, int(lay.bar.y0)+4, int(lay.bar.y1)-4, col, 16) {
			t.Errorf("hour %d: column %d lacks %v", h, x, col)
		}
	}
}

func TestTimelineUptime(t *testing.T) {
	t.Parallel()
	up, ok := day24(t).Uptime()
	// 22 hours with data: 20 online, one offline, one 60% online.
	if want := 100 * 20.6 / 22; !ok || math.Abs(up-want) > 1e-9 {
		t.Errorf("uptime = %v, %v; want %v", up, ok, want)
	}
	loc := berlin(t)
	s := time.Date(2026, 11, 25, 0, 0, 0, 0, loc)
	h := func(n int) time.Time { return s.Add(time.Duration(n) * time.Hour) }
	// Overlapping intervals are counted once: the one that starts first keeps the overlap.
	d := TimelineData{Start: h(0), End: h(4), Intervals: []Interval{
		{Start: h(2), End: h(4), State: StateOffline},
		{Start: h(0), End: h(3), State: StateOnline},
	}}
	if up, ok := d.Uptime(); !ok || math.Abs(up-75) > 1e-9 {
		t.Errorf("overlap: uptime = %v, %v; want 75", up, ok)
	}
	// Parts outside the window do not count.
	d = TimelineData{Start: h(1), End: h(2), Intervals: []Interval{{Start: h(0), End: h(3), State: StateOnline}, {Start: h(3), End: h(5), State: StateOffline}}}
	if up, ok := d.Uptime(); !ok || up != 100 {
		t.Errorf("clipped: uptime = %v, %v; want 100", up, ok)
	}
	for p, want := range map[float64]string{100: "100%", 99.999: "99.99%", 99.5: "99.5%", 93.636363: "93.64%", 0: "0%"} {
		if got := formatPercent(p); got != want {
			t.Errorf("formatPercent(%v) = %q, want %q", p, got, want)
		}
	}
}

func TestTimelineErrors(t *testing.T) {
	t.Parallel()
	s := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		d    TimelineData
		want error
	}{
		{"nothing", TimelineData{}, ErrNoData},
		{"window without intervals", TimelineData{Start: s, End: s.Add(time.Hour)}, ErrNoData},
		{"only no data", TimelineData{Start: s, End: s.Add(time.Hour), Intervals: []Interval{{Start: s, End: s.Add(time.Hour), State: StateUnknown}}}, ErrNoData},
		{"outside the window", TimelineData{Start: s, End: s.Add(time.Hour), Intervals: []Interval{{Start: s.Add(2 * time.Hour), End: s.Add(3 * time.Hour), State: StateOnline}}}, ErrNoData},
		{"inverted interval", TimelineData{Start: s, End: s.Add(time.Hour), Intervals: []Interval{{Start: s.Add(time.Hour), End: s, State: StateOnline}}}, ErrNoData},
		{"inverted window", TimelineData{Start: s.Add(time.Hour), End: s, Intervals: []Interval{{Start: s, End: s.Add(time.Hour), State: StateOnline}}}, ErrInvalid},
	} {
		if b, err := Timeline(tc.d); !errors.Is(err, tc.want) || b != nil {
			t.Errorf("%s: %d bytes, error %v; want %v", tc.name, len(b), err, tc.want)
		}
	}
	// No window given: the intervals' span, drawn in UTC.
	b, err := Timeline(TimelineData{Intervals: []Interval{{Start: s, End: s.Add(3 * time.Hour), State: StateOnline}}})
	if err != nil {
		t.Fatal(err)
	}
	decode(t, b, timelineHeight)
}
