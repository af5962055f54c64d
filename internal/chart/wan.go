package chart

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// WANPoint is one sample of WAN throughput.
type WANPoint struct {
	// Time is the start of the sample's bucket (Plume's wanStats point time, plume-api.md §6.3).
	Time time.Time
	// DownloadMbps and UploadMbps are the average rates over the bucket in megabits per second
	// (Plume's rxMbytes and txMbytes × 8 / bucket seconds). NaN, ±Inf or a negative value:
	// no data for that direction; the line breaks there.
	DownloadMbps, UploadMbps float64
}

// WANData is the input of WAN.
type WANData struct {
	// Points in any order. A missing bucket (two points further apart than 1.5 × Step) or a
	// NaN value breaks the line: nothing is drawn where Plume has no data.
	Points []WANPoint
	// Start and End are the window drawn; both zero: from the first to the last point.
	Start, End time.Time
	// Step is the bucket length; zero is 15 minutes (Plume's daily wanStats).
	Step time.Duration
	// Location is the time zone of the axis and of the peak's time; nil is UTC.
	Location *time.Location
	// Title heads the picture (drawn as text, shortened to fit); empty: "WAN usage".
	Title string
}

// WAN draws download and upload throughput over the window as a 1280×720 PNG: two lines
// (download solid blue, upload dashed magenta) broken where there is no data (those spans shaded
// grey); each line's peak marked with a dot and labelled "peak 412 Mbps · 20:15" (its time in
// d.Location, with the day for windows over 24 h); each line's 95th percentile (nearest rank over
// the points with data, as the text report computes it) drawn as a dashed level labelled
// "p95 96 Mbps"; the time axis titled with its zone ("Time (Europe/Berlin)"). Errors: ErrNoData
// when no point has a value in either direction, ErrInvalid when End is before Start.
func WAN(d WANData) ([]byte, error) { return encoded(drawWAN(d)) }

// Series colours: blue and magenta stay apart for the common colour blindnesses and from the
// status colours; upload is also dashed, so the two never depend on colour alone.
var (
	colorDownload = color.RGBA{0x1f, 0x5f, 0xbf, 0xff}
	colorUpload   = color.RGBA{0xb0, 0x28, 0x7a, 0xff}
)

// wanSeries is one direction's points and statistics.
type wanSeries struct {
	name     string
	col      color.RGBA
	dashes   []vg.Length
	runs     []plotter.XYs // contiguous stretches with data
	peak     plotter.XY    // x: unix seconds
	p95      float64
	hasValue bool
}

// wanMark is a drawn peak or p95 annotation, for tests.
type wanMark struct {
	series string // "download", "upload"
	kind   string // "peak", "p95"
	value  float64
	at     [2]float64 // pixel position of the peak dot, or of the p95 level's right end
	label  rect
	text   string
}

// wanLayout is where WAN drew things, for tests that sample pixels.
type wanLayout struct {
	area  rect                       // the data area
	x     func(time.Time) float64    // time to pixel column
	y     func(mbps float64) float64 // rate to pixel row
	gaps  [][2]time.Time             // spans shaded as no data
	marks []wanMark
}

const (
	wanHeight  = 720
	wanHeaderH = 130
)

func valid(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 }

// series splits one direction into runs and computes its peak and 95th percentile.
func series(pts []WANPoint, step time.Duration, name string, col color.RGBA, get func(WANPoint) float64) wanSeries {
	s := wanSeries{name: name, col: col}
	var vals []float64
	var run plotter.XYs
	var last time.Time
	for _, p := range pts {
		v := get(p)
		if !valid(v) {
			if len(run) > 0 {
				s.runs = append(s.runs, run)
				run = nil
			}
			continue
		}
		if len(run) > 0 && p.Time.Sub(last) > step*3/2 {
			s.runs = append(s.runs, run)
			run = nil
		}
		x := float64(p.Time.UnixMilli()) / 1000
		run = append(run, plotter.XY{X: x, Y: v})
		last = p.Time
		if !s.hasValue || v > s.peak.Y {
			s.peak = plotter.XY{X: x, Y: v}
		}
		s.hasValue = true
		vals = append(vals, v)
	}
	if len(run) > 0 {
		s.runs = append(s.runs, run)
	}
	if len(vals) > 0 {
		sort.Float64s(vals)
		s.p95 = vals[max(int(math.Ceil(0.95*float64(len(vals))))-1, 0)]
	}
	return s
}

func drawWAN(d WANData) (*canvas, wanLayout, error) {
	step := d.Step
	if step <= 0 {
		step = 15 * time.Minute
	}
	pts := append([]WANPoint(nil), d.Points...)
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].Time.Before(pts[j].Time) })
	start, end := d.Start, d.End
	if start.IsZero() && end.IsZero() && len(pts) > 0 {
		start, end = pts[0].Time, pts[len(pts)-1].Time
	}
	if err := checkWindow(start, end); err != nil {
		return nil, wanLayout{}, err
	}
	in := pts[:0:0]
	for _, p := range pts {
		if !p.Time.Before(start) && !p.Time.After(end) {
			in = append(in, p)
		}
	}
	down := series(in, step, "download", colorDownload, func(p WANPoint) float64 { return p.DownloadMbps })
	up := series(in, step, "upload", colorUpload, func(p WANPoint) float64 { return p.UploadMbps })
	up.dashes = []vg.Length{16, 9}
	if !down.hasValue && !up.hasValue {
		return nil, wanLayout{}, ErrNoData
	}
	if !end.After(start) { // a single point: show one bucket around it
		start, end = start.Add(-step), end.Add(step)
	}
	loc := orUTC(d.Location)

	c := newCanvas(Width, wanHeight)
	lay := wanLayout{gaps: noDataSpans(in, start, end, step)}
	drawWANHeader(c, d.Title, len(lay.gaps) > 0)

	p := plot.New()
	// Only colour, font and handler change: plot's alignments of axis texts are kept.
	restyle := func(st *text.Style, size float64, col color.Color) {
		st.Color, st.Handler = col, text.Plain{Fonts: fonts}
		st.Font = font.Font{Typeface: "Liberation", Variant: "Sans", Size: vg.Length(size)}
	}
	p.BackgroundColor = nil
	p.X.Min, p.X.Max = float64(start.UnixMilli())/1000, float64(end.UnixMilli())/1000
	top, yticks := rateTicks(math.Max(down.peak.Y, up.peak.Y) * 1.2)
	p.Y.Min, p.Y.Max = 0, top
	p.Y.Tick.Marker = plot.ConstantTicks(yticks)
	p.X.Tick.Marker = timeTicker{loc: loc}
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		restyle(&a.Tick.Label, sizeSmall, colorInk)
		restyle(&a.Label.TextStyle, sizeSmall, colorInkMuted)
		a.LineStyle = draw.LineStyle{Color: colorInk, Width: 2}
		a.Tick.LineStyle = draw.LineStyle{Color: colorInk, Width: 2}
		a.Tick.Length = 10
		a.Padding = 0
	}
	p.X.Label.Text = "Time (" + zoneName(loc, start) + ")"
	p.Y.Label.Text = "Mbps"
	p.X.Label.Padding, p.Y.Label.Padding = 8, 12
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	grid.Horizontal = draw.LineStyle{Color: colorRule, Width: 1.5}
	p.Add(grid, &gapShade{spans: lay.gaps, lay: &lay})
	marks := &wanMarks{c: c, series: []*wanSeries{&down, &up}, loc: loc, lay: &lay, timeFormat: "15:04"}
	if end.Sub(start) > 24*time.Hour {
		marks.timeFormat = "Mon 15:04" // a week: the peak's day matters
	}
	p.Add(marks.levels())
	for _, s := range []*wanSeries{&down, &up} {
		for _, r := range s.runs {
			if len(r) == 1 { // a lone point has no line: draw it as a dot
				sc, err := plotter.NewScatter(r)
				if err != nil {
					return nil, wanLayout{}, err
				}
				sc.GlyphStyle = draw.GlyphStyle{Color: s.col, Radius: 4, Shape: draw.CircleGlyph{}}
				p.Add(sc)
				continue
			}
			l, err := plotter.NewLine(r)
			if err != nil {
				return nil, wanLayout{}, err
			}
			l.LineStyle = draw.LineStyle{Color: s.col, Width: 4, Dashes: s.dashes}
			p.Add(l)
		}
	}
	p.Add(marks)
	area := draw.Crop(c.dc, 24, -40, 8, -wanHeaderH)
	p.Draw(area)
	return c, lay, nil
}

// drawWANHeader writes the title and the legend above the chart ("no data" only when shaded).
func drawWANHeader(c *canvas, title string, gaps bool) {
	st := textStyle{size: sizeTitle, bold: true, col: colorInk}
	if strings.TrimSpace(title) == "" {
		title = "WAN usage"
	}
	c.text(48, 60, label(title, st, Width-96), st, alignLeft)
	body := textStyle{size: sizeSmall, col: colorInk}
	x := 48.0
	item := func(word string, draw func(x0, x1, y float64)) {
		draw(x, x+56, 100)
		c.text(x+68, 110, word, body, alignLeft)
		x += 68 + body.width(word) + 40
	}
	item("download", func(x0, x1, y float64) { c.line(colorDownload, 4, nil, [2]float64{x0, y}, [2]float64{x1, y}) })
	item("upload", func(x0, x1, y float64) {
		c.line(colorUpload, 4, []float64{16, 9}, [2]float64{x0, y}, [2]float64{x1, y})
	})
	item("95th percentile", func(x0, x1, y float64) {
		c.line(tint(colorDownload, 0.45), 2.5, []float64{8, 6}, [2]float64{x0, y}, [2]float64{x1, y})
	})
	if gaps {
		item("no data", func(x0, x1, y float64) { c.fillRect(rect{x0, y - 16, x1, y + 16}, colorNoData) })
	}
}

// noDataSpans are the parts of the window with no value in either direction, longer than a step.
func noDataSpans(pts []WANPoint, start, end time.Time, step time.Duration) [][2]time.Time {
	var out [][2]time.Time
	prev := start
	first := true
	for _, p := range pts {
		if !valid(p.DownloadMbps) && !valid(p.UploadMbps) {
			continue
		}
		if (first && p.Time.Sub(prev) >= step) || (!first && p.Time.Sub(prev) > step*3/2) {
			out = append(out, [2]time.Time{prev, p.Time})
		}
		prev, first = p.Time, false
	}
	if end.Sub(prev) > step*3/2 {
		out = append(out, [2]time.Time{prev, end})
	}
	return out
}

// rateTicks are round levels (1, 2, 5 × 10ⁿ Mbps) up to at least maxV, and the top one.
func rateTicks(maxV float64) (top float64, ticks []plot.Tick) {
	maxV = math.Max(maxV, 1)
	raw := maxV / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	top = math.Ceil(maxV/step) * step
	for v := 0.0; v <= top+step/2; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: formatMbps(v)})
	}
	return top, ticks
}

// formatMbps writes a rate without useless decimals: "412", "96.5", "0.8".
func formatMbps(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0")
}

// timeTicker gives plot the time axis of timeTicks (x values are Unix seconds).
type timeTicker struct{ loc *time.Location }

func (t timeTicker) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, tk := range timeTicks(unixTime(lo), unixTime(hi), t.loc) {
		out = append(out, plot.Tick{Value: float64(tk.at.UnixMilli()) / 1000, Label: tk.label})
	}
	return out
}

func unixTime(s float64) time.Time { return time.UnixMilli(int64(math.Round(s * 1000))) }

// gapShade shades the spans with no data and records the plot's transforms for tests.
type gapShade struct {
	spans [][2]time.Time
	lay   *wanLayout
}

func (g *gapShade) Plot(dc draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&dc)
	g.lay.area = rect{float64(dc.Min.X), wanHeight - float64(dc.Max.Y), float64(dc.Max.X), wanHeight - float64(dc.Min.Y)}
	g.lay.x = func(t time.Time) float64 { return float64(trX(float64(t.UnixMilli()) / 1000)) }
	g.lay.y = func(v float64) float64 { return wanHeight - float64(trY(v)) }
	st := text.Style{Color: colorInkMuted, Font: font.Font{Typeface: "Liberation", Variant: "Sans", Size: sizeSmall},
		Handler: text.Plain{Fonts: fonts}, XAlign: draw.XCenter, YAlign: draw.YTop}
	for _, s := range g.spans {
		x0, x1 := trX(float64(s[0].UnixMilli())/1000), trX(float64(s[1].UnixMilli())/1000)
		dc.FillPolygon(colorNoData, []vg.Point{{X: x0, Y: dc.Min.Y}, {X: x1, Y: dc.Min.Y}, {X: x1, Y: dc.Max.Y}, {X: x0, Y: dc.Max.Y}})
		if float64(x1-x0) > (textStyle{size: sizeSmall}).width("no data")+16 {
			dc.FillText(st, vg.Point{X: (x0 + x1) / 2, Y: dc.Max.Y - 12}, "no data")
		}
	}
}

type plotterFunc func(draw.Canvas, *plot.Plot)

func (f plotterFunc) Plot(dc draw.Canvas, p *plot.Plot) { f(dc, p) }
