package chart

import (
	"fmt"
	"image/color"
	"math"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// wanMarks draws the p95 levels (under the lines) and the peak dots and labels (over them),
// placing each label where it overlaps no other label and no dot. It draws on c, the canvas
// plot draws on, in pixel coordinates.
type wanMarks struct {
	c      *canvas
	series []*wanSeries
	loc    *time.Location
	lay    *wanLayout
	placed []rect
	trace  [][2]float64 // points along the drawn lines, in pixels

	timeFormat string // of the peak's time
}

// levels is the plotter of the p95 levels, drawn before the lines.
func (m *wanMarks) levels() plot.Plotter {
	return plotterFunc(func(dc draw.Canvas, p *plot.Plot) {
		_, trY := p.Transforms(&dc)
		for _, s := range m.series {
			if s.hasValue {
				y := trY(s.p95)
				dc.StrokeLine2(draw.LineStyle{Color: tint(s.col, 0.45), Width: 2.5, Dashes: []vg.Length{8, 6}},
					dc.Min.X, y, dc.Max.X, y)
			}
		}
	})
}

// Plot draws the peak dots and every label.
func (m *wanMarks) Plot(dc draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&dc)
	area := rect{float64(dc.Min.X), wanHeight - float64(dc.Max.Y), float64(dc.Max.X), wanHeight - float64(dc.Min.Y)}
	peakAt := func(s *wanSeries) [2]float64 {
		return [2]float64{float64(trX(s.peak.X)), wanHeight - float64(trY(s.peak.Y))}
	}
	m.traceLines(trX, trY)
	// Peak dots first, so that no label covers one.
	for _, s := range m.series {
		if s.hasValue {
			at := peakAt(s)
			m.c.circle(at[0], at[1], 13, colorWhite)
			m.c.circle(at[0], at[1], 9, s.col)
			m.placed = append(m.placed, rect{at[0] - 13, at[1] - 13, at[0] + 13, at[1] + 13})
		}
	}
	const h = 44.0
	for _, s := range m.series {
		if !s.hasValue {
			continue
		}
		at := peakAt(s)
		txt := fmt.Sprintf("peak %s Mbps · %s", formatMbps(s.peak.Y), unixTime(s.peak.X).In(m.loc).Format(m.timeFormat))
		w := wanLabel.width(txt) + 20
		var cands []rect
		for _, dy := range []float64{-h - 8, 8, -2*h - 16, h + 24} { // above, below, higher, lower
			for _, dx := range []float64{16, -16 - w, -w / 2} { // right, left, centred
				cands = append(cands, rect{at[0] + dx, at[1] + dy, at[0] + dx + w, at[1] + dy + h})
			}
		}
		r := m.place(area, cands...)
		m.label(r, txt, s.col)
		m.lay.marks = append(m.lay.marks, wanMark{series: s.name, kind: "peak", value: s.peak.Y, at: at, label: r, text: txt})
	}
	for _, s := range m.series {
		if !s.hasValue {
			continue
		}
		y := wanHeight - float64(trY(s.p95))
		txt := "p95 " + formatMbps(s.p95) + " Mbps"
		w := wanLabel.width(txt) + 20
		x0, x1 := area.x0+12, area.x1-12
		r := m.place(area,
			rect{x1 - w, y - h - 4, x1, y - 4}, rect{x1 - w, y + 4, x1, y + 4 + h},
			rect{x0, y - h - 4, x0 + w, y - 4}, rect{x0, y + 4, x0 + w, y + 4 + h})
		m.label(r, txt, s.col)
		m.lay.marks = append(m.lay.marks, wanMark{series: s.name, kind: "p95", value: s.p95, at: [2]float64{area.x1, y}, label: r, text: txt})
	}
}

var wanLabel = textStyle{size: sizeSmall, bold: true}

// place returns the candidate inside area that overlaps no placed label or dot and covers the
// fewest points of the lines (dots along them, every few pixels), and records it. When none is
// free the first one is moved inside area.
func (m *wanMarks) place(area rect, cands ...rect) rect {
	best, bestScore := -1, 0
	for i, r := range cands {
		if !r.inside(area) {
			continue
		}
		free := true
		for _, o := range m.placed {
			free = free && !r.overlaps(o)
		}
		if !free {
			continue
		}
		score := 0
		for _, q := range m.trace {
			if q[0] >= r.x0 && q[0] <= r.x1 && q[1] >= r.y0 && q[1] <= r.y1 {
				score++
			}
		}
		if best < 0 || score < bestScore {
			best, bestScore = i, score
		}
	}
	var r rect
	if best >= 0 {
		r = cands[best]
	} else {
		r = cands[0]
		dx := max(area.x0-r.x0, 0) + min(area.x1-r.x1, 0)
		dy := max(area.y0-r.y0, 0) + min(area.y1-r.y1, 0)
		r = rect{r.x0 + dx, r.y0 + dy, r.x1 + dx, r.y1 + dy}
	}
	m.placed = append(m.placed, r)
	return r
}

// traceLines samples the drawn lines every few pixels, for place.
func (m *wanMarks) traceLines(trX, trY func(float64) vg.Length) {
	for _, s := range m.series {
		for _, run := range s.runs {
			for i, q := range run {
				x, y := float64(trX(q.X)), wanHeight-float64(trY(q.Y))
				m.trace = append(m.trace, [2]float64{x, y})
				if i == 0 {
					continue
				}
				px, py := float64(trX(run[i-1].X)), wanHeight-float64(trY(run[i-1].Y))
				n := int(math.Hypot(x-px, y-py) / 6)
				for k := 1; k < n; k++ {
					f := float64(k) / float64(n)
					m.trace = append(m.trace, [2]float64{px + f*(x-px), py + f*(y-py)})
				}
			}
		}
	}
}

// label draws a white box outlined in the series colour with txt in it.
func (m *wanMarks) label(r rect, txt string, col color.Color) {
	m.c.box(r, 8, colorWhite, col, 2.5)
	st := wanLabel
	st.col = colorInk
	m.c.text(r.x0+10, (r.y0+r.y1)/2+st.ascent()/2, txt, st, alignLeft)
}
