package chart

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// wanDay is 24 h of 15-minute points ending 14:00 Berlin time: an evening peak of 412 Mbps at
// 20:15, no points at all from 03:00 to 05:00 (missing buckets) and NaN download values from
// 09:00 to 09:45 (Plume sent nulls) while upload has data.
func wanDay(t testing.TB) WANData {
	loc := berlin(t)
	end := time.Date(2026, 11, 25, 14, 0, 0, 0, loc)
	start := end.Add(-24 * time.Hour)
	d := WANData{Start: start, End: end, Location: loc, Title: "WAN usage · last 24 h"}
	for i := 0; i < 96; i++ {
		at := start.Add(time.Duration(i) * 15 * time.Minute)
		h := at.In(loc).Hour()
		if h >= 3 && h < 5 {
			continue
		}
		fh := float64(at.In(loc).Hour()) + float64(at.In(loc).Minute())/60
		evening := math.Exp(-math.Pow((fh-20.5)/2.2, 2))
		down := 18 + 140*evening + 25*math.Abs(math.Sin(float64(i)*1.7))
		up := 3 + 22*evening + 4*math.Abs(math.Cos(float64(i)*1.3))
		if at.In(loc).Hour() == 20 && at.In(loc).Minute() == 15 {
			down = 412
		}
		if h == 9 {
			down = math.NaN()
		}
		d.Points = append(d.Points, WANPoint{Time: at, DownloadMbps: down, UploadMbps: up})
	}
	return d
}

// inLabel reports whether pixel (x, y) is inside one of the drawn labels (outlined in the series
// colours, so not part of a line).
func inLabel(lay wanLayout, x, y int) bool {
	for _, m := range lay.marks {
		r := m.label
		if float64(x) >= r.x0-2 && float64(x) <= r.x1+2 && float64(y) >= r.y0-2 && float64(y) <= r.y1+2 {
			return true
		}
	}
	return false
}

// lineIn reports whether column x of the data area shows the series colour outside labels.
func lineIn(img image.Image, lay wanLayout, x int, col color.RGBA) bool {
	for y := int(lay.area.y0); y <= int(lay.area.y1); y++ {
		if !inLabel(lay, x, y) && near(img.At(x, y), col, 24) {
			return true
		}
	}
	return false
}

// lineNear is lineIn for a dashed line: the colour shows within a dash period of column x.
func lineNear(img image.Image, lay wanLayout, x int, col color.RGBA) bool {
	for dx := -14; dx <= 14; dx++ {
		if lineIn(img, lay, x+dx, col) {
			return true
		}
	}
	return false
}

// drawnWANDay is wanDay drawn: the data, the decoded PNG and where things were drawn.
func drawnWANDay(t *testing.T) (WANData, image.Image, wanLayout) {
	d := wanDay(t)
	c, lay, err := drawWAN(d)
	if err != nil {
		t.Fatal(err)
	}
	return d, encodeDecode(t, c, wanHeight), lay
}

// TestWANGaps: where Plume has no data no line is drawn (the missing buckets 03:00–05:00 for
// both directions, the NaN download 09:00–09:45), and the span without any data is shaded.
func TestWANGaps(t *testing.T) {
	t.Parallel()
	d, img, lay := drawnWANDay(t)
	loc := d.Location
	at := func(h, m int) float64 { return lay.x(time.Date(2026, 11, 25, h, m, 0, 0, loc)) }
	// Lines end at the last point before a gap (02:45, 08:45) and resume at the first after it
	// (05:00, 10:00); a 4-px line reaches 2 px (plus anti-aliasing) beyond.
	for x := int(at(2, 45)) + 4; x <= int(at(5, 0))-4; x++ {
		if lineIn(img, lay, x, colorDownload) || lineIn(img, lay, x, colorUpload) {
			t.Errorf("column %d (03:00–05:00, no data) shows a line", x)
		}
		shaded := 0
		for y := int(lay.area.y0); y < int(lay.area.y1); y++ {
			if near(img.At(x, y), colorNoData, 4) {
				shaded++
			}
		}
		if shaded < int(lay.area.h())*2/3 { // labels and the p95 levels may cross the shade
			t.Errorf("column %d (03:00–05:00, no data) is not shaded: %d of %v rows", x, shaded, lay.area.h())
		}
	}
	for x := int(at(8, 45)) + 4; x <= int(at(10, 0))-4; x++ {
		if lineIn(img, lay, x, colorDownload) {
			t.Errorf("column %d (09:00–09:45, download NaN) shows the download line", x)
		}
		if !lineNear(img, lay, x, colorUpload) {
			t.Errorf("column %d (09:00–09:45) lost the upload line, which has data", x)
		}
	}
	// Where both have data both lines are there.
	for _, x := range []float64{at(0, 30), at(6, 0), at(7, 30), lay.x(d.Start.Add(time.Hour))} {
		if !lineIn(img, lay, int(x), colorDownload) || !lineNear(img, lay, int(x), colorUpload) {
			t.Errorf("column %d has data but misses a line", int(x))
		}
	}
	if len(lay.gaps) != 1 {
		t.Errorf("shaded spans %v, want the one from 02:45 to 05:00", lay.gaps)
	}
}

// TestWANMarks: each direction's peak dot sits on its highest point, and its p95 level is the
// nearest-rank 95th percentile, both labelled with their values, labels inside the chart and
// apart.
func TestWANMarks(t *testing.T) {
	t.Parallel()
	d, img, lay := drawnWANDay(t)
	for _, s := range []struct {
		name string
		get  func(WANPoint) float64
		col  color.RGBA
	}{{"download", func(p WANPoint) float64 { return p.DownloadMbps }, colorDownload},
		{"upload", func(p WANPoint) float64 { return p.UploadMbps }, colorUpload}} {
		var vals []float64
		var peak WANPoint
		for _, p := range d.Points {
			if v := s.get(p); !math.IsNaN(v) {
				vals = append(vals, v)
				if v > s.get(peak) {
					peak = p
				}
			}
		}
		sort.Float64s(vals)
		p95 := vals[int(math.Ceil(0.95*float64(len(vals))))-1]
		var found int
		for _, m := range lay.marks {
			if m.series != s.name {
				continue
			}
			found++
			if !m.label.inside(lay.area) {
				t.Errorf("%s %s label %v is outside the chart %v", s.name, m.kind, m.label, lay.area)
			}
			switch m.kind {
			case "peak":
				wantX, wantY := lay.x(peak.Time), lay.y(s.get(peak))
				if math.Abs(m.at[0]-wantX) > 1 || math.Abs(m.at[1]-wantY) > 1 {
					t.Errorf("%s peak dot at %v, want (%v, %v)", s.name, m.at, wantX, wantY)
				}
				if !near(img.At(int(m.at[0]), int(m.at[1])), s.col, 24) {
					t.Errorf("%s peak dot is not drawn at %v", s.name, m.at)
				}
				want := "peak " + formatMbps(s.get(peak)) + " Mbps · " + peak.Time.In(d.Location).Format("15:04")
				if m.text != want {
					t.Errorf("%s peak label %q, want %q", s.name, m.text, want)
				}
			case "p95":
				if m.value != p95 {
					t.Errorf("%s p95 = %v, want %v", s.name, m.value, p95)
				}
				// The dashed level is drawn across the chart in the series' tint.
				y, n := int(math.Round(lay.y(p95))), 0
				for x := int(lay.area.x0); x < int(lay.area.x1); x++ {
					if !inLabel(lay, x, y) && (near(img.At(x, y), tint(s.col, 0.45), 30) || near(img.At(x, y+1), tint(s.col, 0.45), 30)) {
						n++
					}
				}
				if n < int(lay.area.w())/4 {
					t.Errorf("%s p95 level at row %d: only %d pixels drawn", s.name, y, n)
				}
				if want := "p95 " + formatMbps(p95) + " Mbps"; m.text != want {
					t.Errorf("%s p95 label %q, want %q", s.name, m.text, want)
				}
			}
		}
		if found != 2 {
			t.Errorf("%s: %d marks, want a peak and a p95", s.name, found)
		}
	}
	for i, a := range lay.marks {
		for _, b := range lay.marks[i+1:] {
			if a.label.overlaps(b.label) {
				t.Errorf("labels %q and %q overlap", a.text, b.text)
			}
		}
	}
}

func TestWANErrors(t *testing.T) {
	t.Parallel()
	s := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	nan := math.NaN()
	for _, tc := range []struct {
		name string
		d    WANData
		want error
	}{
		{"nothing", WANData{}, ErrNoData},
		{"all NaN", WANData{Points: []WANPoint{{Time: s, DownloadMbps: nan, UploadMbps: nan}, {Time: s.Add(time.Hour), DownloadMbps: math.Inf(1), UploadMbps: -1}}}, ErrNoData},
		{"outside the window", WANData{Start: s, End: s.Add(time.Hour), Points: []WANPoint{{Time: s.Add(2 * time.Hour), DownloadMbps: 5, UploadMbps: 1}}}, ErrNoData},
		{"inverted window", WANData{Start: s.Add(time.Hour), End: s, Points: []WANPoint{{Time: s, DownloadMbps: 5}}}, ErrInvalid},
	} {
		if b, err := WAN(tc.d); !errors.Is(err, tc.want) || b != nil {
			t.Errorf("%s: %d bytes, error %v; want %v", tc.name, len(b), err, tc.want)
		}
	}
}

// TestWANOddInputs: one point, one direction only, all zeros, huge rates, unsorted points.
func TestWANOddInputs(t *testing.T) {
	t.Parallel()
	s := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		d    WANData
	}{
		{"one point", WANData{Points: []WANPoint{{Time: s, DownloadMbps: 12, UploadMbps: 3}}}},
		{"upload only", WANData{Points: []WANPoint{{Time: s, DownloadMbps: math.NaN(), UploadMbps: 3}, {Time: s.Add(15 * time.Minute), DownloadMbps: math.NaN(), UploadMbps: 4}}}},
		{"zeros", WANData{Points: []WANPoint{{Time: s}, {Time: s.Add(15 * time.Minute)}}}},
		{"10 Gbps", WANData{Points: []WANPoint{{Time: s, DownloadMbps: 9876.5, UploadMbps: 0.01}, {Time: s.Add(15 * time.Minute), DownloadMbps: 10000, UploadMbps: 0.02}}}},
		{"fixed zone, long title", WANData{Location: time.FixedZone("", 19800), Title: "WAN usage of a location whose name is far too long to fit 🏠 <b>",
			Points: []WANPoint{{Time: s, DownloadMbps: 1, UploadMbps: 1}, {Time: s.Add(time.Hour), DownloadMbps: 2, UploadMbps: 1}}}},
	} {
		b, err := WAN(tc.d)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		decode(t, b, wanHeight)
	}
	// The points' order does not matter.
	d := wanDay(t)
	want, err := WAN(d)
	if err != nil {
		t.Fatal(err)
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(d.Points), func(i, j int) { d.Points[i], d.Points[j] = d.Points[j], d.Points[i] })
	if got, err := WAN(d); err != nil || !bytes.Equal(got, want) {
		t.Errorf("shuffled points drew a different picture (err %v)", err)
	}
}
