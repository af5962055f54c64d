// Package chart draws the pictures an agent would rather look than read (WAN chart, online
// timeline, pod topology): data in, PNG bytes out, pure functions, no I/O, safe for concurrent use.
package chart

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"sync"

	stddraw "image/draw"

	"git.sr.ht/~sbinet/gg"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// ErrNoData is returned when an input holds nothing to draw (no valid point, no known
// interval, no pod); the caller sends its text report alone.
var ErrNoData = errors.New("chart: no data to draw")

// ErrInvalid is returned for an input that cannot describe a picture (a window that ends
// before it starts).
var ErrInvalid = errors.New("chart: invalid input")

// MaxBytes is the size budget of one picture (the largest inputs, such as MaxTopologyPods
// pods with 40-character names, stay within it; tests check).
const MaxBytes = 300 << 10

// Width is the width in pixels of every picture: Telegram's photo view shows 1280 px without
// scaling, and a phone scales it down to its screen, so text sizes below are chosen for that.
const Width = 1280

// Level is a health level, the same five as the text report's emoji legend
// (⚪ unknown, 🟢 healthy, 🟡 degraded, 🟠 issues, 🔴 offline); the order mirrors health.Level.
type Level int

// Levels, from "could not tell" to worst.
const (
	LevelUnknown Level = iota
	LevelHealthy
	LevelDegraded
	LevelIssues
	LevelOffline
)

// String is the level's word as drawn beside its colour ("healthy").
func (l Level) String() string {
	switch l {
	case LevelHealthy:
		return "healthy"
	case LevelDegraded:
		return "degraded"
	case LevelIssues:
		return "issues"
	case LevelOffline:
		return "offline"
	}
	return "unknown"
}

// Colours of the legend, close to Telegram's (Apple and Twemoji) round emoji 🟢 🟡 🟠 🔴 ⚪,
// darkened where needed so that a white symbol on them stays readable.
var (
	colorGreen  = color.RGBA{0x3f, 0xa3, 0x4d, 0xff}
	colorYellow = color.RGBA{0xfc, 0xc9, 0x35, 0xff}
	colorOrange = color.RGBA{0xf5, 0x8b, 0x0a, 0xff}
	colorRed    = color.RGBA{0xdc, 0x2f, 0x3f, 0xff}
	colorGrey   = color.RGBA{0xa0, 0xa4, 0xa8, 0xff}

	colorInk      = color.RGBA{0x1a, 0x1a, 0x1a, 0xff} // text: near-black on white
	colorInkMuted = color.RGBA{0x4a, 0x4a, 0x4a, 0xff} // secondary text, still ≥ 7:1 on white
	colorRule     = color.RGBA{0xd0, 0xd3, 0xd6, 0xff} // grid lines, box outlines
	colorNoData   = color.RGBA{0xec, 0xee, 0xf0, 0xff} // spans without data
	colorWhite    = color.RGBA{0xff, 0xff, 0xff, 0xff}
)

// color is the level's fill colour.
func (l Level) color() color.RGBA {
	switch l {
	case LevelHealthy:
		return colorGreen
	case LevelDegraded:
		return colorYellow
	case LevelIssues:
		return colorOrange
	case LevelOffline:
		return colorRed
	}
	return colorGrey
}

// tint mixes c with white: f = 0 is white, 1 is c.
func tint(c color.RGBA, f float64) color.RGBA {
	mix := func(v uint8) uint8 { return uint8(255 - f*(255-float64(v)) + 0.5) }
	return color.RGBA{mix(c.R), mix(c.G), mix(c.B), 0xff}
}

// canvas is one picture being drawn, in pixels with y growing downwards (as in the PNG), so that
// layouts and tests speak the same coordinates; vg's origin is bottom-left, hence the flips.
type canvas struct {
	img  *pixelCanvas
	dc   draw.Canvas
	w, h float64
}

// newCanvas is a white w×h-pixel picture. At 72 DPI one vg point is one pixel. The gg context
// is made here on our own image because vgimg.New would copy the whole image once more; vgimg
// then paints it white (its default background), and we set what vgimg sets on its own context.
func newCanvas(w, h int) *canvas {
	rgba := &image.RGBA{Pix: getPixels(4 * w * h), Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	ctx := gg.NewContextForRGBA(rgba)
	ctx.SetLineCapButt()
	ctx.InvertY()
	img := newPixelCanvas(vgimg.NewWith(vgimg.UseImageWithContext(rgba, ctx), vgimg.UseDPI(72)), float64(h))
	return &canvas{img: img, dc: draw.New(img), w: float64(w), h: float64(h)}
}

// pt converts top-left pixel coordinates to a vg point.
func (c *canvas) pt(x, y float64) vg.Point { return vg.Point{X: vg.Length(x), Y: vg.Length(c.h - y)} }

// rect is an axis-aligned rectangle in pixels (y down).
type rect struct{ x0, y0, x1, y1 float64 }

func (r rect) w() float64 { return r.x1 - r.x0 }
func (r rect) h() float64 { return r.y1 - r.y0 }

// overlaps reports whether r and o share any area (touching edges do not count).
func (r rect) overlaps(o rect) bool {
	return r.x0 < o.x1 && o.x0 < r.x1 && r.y0 < o.y1 && o.y0 < r.y1
}

// inside reports whether r lies within o.
func (r rect) inside(o rect) bool {
	return r.x0 >= o.x0 && r.y0 >= o.y0 && r.x1 <= o.x1 && r.y1 <= o.y1
}

func (c *canvas) path(pts ...[2]float64) vg.Path {
	var p vg.Path
	for i, q := range pts {
		if i == 0 {
			p.Move(c.pt(q[0], q[1]))
		} else {
			p.Line(c.pt(q[0], q[1]))
		}
	}
	return p
}

// fillRect paints r, its edges rounded to whole pixels: adjacent spans then meet without an
// anti-aliased seam, and a plain copy is much cheaper than rasterizing a path.
func (c *canvas) fillRect(r rect, col color.Color) {
	ir := image.Rect(int(math.Round(r.x0)), int(math.Round(r.y0)), int(math.Round(r.x1)), int(math.Round(r.y1)))
	stddraw.Draw(c.img.rgba, ir, image.NewUniform(col), image.Point{}, stddraw.Src)
}

// roundRect is the outline of r with corners of radius rad.
func (c *canvas) roundRect(r rect, rad float64) vg.Path {
	rad = min(rad, r.w()/2, r.h()/2)
	var p vg.Path
	p.Move(c.pt(r.x0+rad, r.y0))
	p.Line(c.pt(r.x1-rad, r.y0))
	p.Arc(c.pt(r.x1-rad, r.y0+rad), vg.Length(rad), halfPi, -halfPi)
	p.Line(c.pt(r.x1, r.y1-rad))
	p.Arc(c.pt(r.x1-rad, r.y1-rad), vg.Length(rad), 0, -halfPi)
	p.Line(c.pt(r.x0+rad, r.y1))
	p.Arc(c.pt(r.x0+rad, r.y1-rad), vg.Length(rad), -halfPi, -halfPi)
	p.Line(c.pt(r.x0, r.y0+rad))
	p.Arc(c.pt(r.x0+rad, r.y0+rad), vg.Length(rad), 2*halfPi, -halfPi)
	p.Close()
	return p
}

const halfPi = 1.5707963267948966

// box draws a rounded rectangle filled with fill and outlined with stroke of width lw (none if 0).
func (c *canvas) box(r rect, rad float64, fill, stroke color.Color, lw float64) {
	p := c.roundRect(r, rad)
	switch {
	case fill != nil && lw >= 2:
		// The outline covers the fill's edge: fill all but the corners as rectangles, which
		// costs far less than rasterizing the whole rounded path (a pod box is 1200×88 px).
		rad = min(rad, r.w()/2, r.h()/2)
		c.fillRect(rect{r.x0 + rad, r.y0, r.x1 - rad, r.y1}, fill)
		c.fillRect(rect{r.x0, r.y0 + rad, r.x1, r.y1 - rad}, fill)
		for _, q := range [][2]float64{{r.x0 + rad, r.y0 + rad}, {r.x1 - rad, r.y0 + rad}, {r.x0 + rad, r.y1 - rad}, {r.x1 - rad, r.y1 - rad}} {
			c.circle(q[0], q[1], rad, fill)
		}
	case fill != nil:
		c.img.SetColor(fill)
		c.img.Fill(p)
	}
	if lw > 0 {
		c.img.SetLineWidth(vg.Length(lw))
		c.img.SetLineDash(nil, 0)
		c.img.SetColor(stroke)
		c.img.Stroke(p)
	}
}

// line strokes a polyline; dash is the on/off pattern in pixels (nil: solid).
func (c *canvas) line(col color.Color, lw float64, dash []float64, pts ...[2]float64) {
	ds := make([]vg.Length, len(dash))
	for i, d := range dash {
		ds[i] = vg.Length(d)
	}
	c.img.SetLineWidth(vg.Length(lw))
	c.img.SetLineDash(ds, 0)
	c.img.SetColor(col)
	c.img.Stroke(c.path(pts...))
	c.img.SetLineDash(nil, 0)
}

func (c *canvas) circle(cx, cy, r float64, col color.Color) {
	var p vg.Path
	p.Move(c.pt(cx+r, cy))
	p.Arc(c.pt(cx, cy), vg.Length(r), 0, 2*2*halfPi)
	p.Close()
	c.img.SetColor(col)
	c.img.Fill(p)
}

// hatch strokes diagonal lines across r (clipped to it), spacing px apart: the second cue,
// beside colour, that a span is an outage.
func (c *canvas) hatch(r rect, col color.Color, lw, spacing float64) {
	var lines [][]vg.Point
	// Lines y = x - k (going down to the right in pixel space), k stepping across the box.
	for k := r.x0 - r.h(); k < r.x1; k += spacing {
		a := [2]float64{k, r.y0}
		b := [2]float64{k + r.h(), r.y1}
		lines = append(lines, []vg.Point{c.pt(a[0], a[1]), c.pt(b[0], b[1])})
	}
	clip := draw.Canvas{Canvas: c.img, Rectangle: vg.Rectangle{
		Min: vg.Point{X: vg.Length(r.x0), Y: vg.Length(c.h - r.y1)},
		Max: vg.Point{X: vg.Length(r.x1), Y: vg.Length(c.h - r.y0)},
	}}
	clip.StrokeLines(draw.LineStyle{Color: col, Width: vg.Length(lw)}, clip.ClipLinesXY(lines...)...)
}

// image is the drawn picture.
func (c *canvas) image() *image.RGBA { return c.img.rgba }

// encoded is the PNG of a drawing step's canvas (its layout is for tests), or its error.
func encoded[L any](c *canvas, _ L, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	return c.encode()
}

// encode writes the picture as PNG; the canvas must not be used after it.
func (c *canvas) encode() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(64 << 10)
	// BestSpeed: on these flat pictures it writes files about 15% larger than the default
	// level in a third of the time; a picture over budget (a tall topology) is written again
	// with the best compression.
	enc := png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: pngBuffers{}}
	pal := paletted(c.image())
	putPixels(c.img.rgba.Pix)
	defer putPixels(pal.Pix)
	if err := enc.Encode(&buf, pal); err != nil {
		return nil, err
	}
	if buf.Len() > MaxBytes {
		buf.Reset()
		enc.CompressionLevel = png.BestCompression
		if err := enc.Encode(&buf, pal); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// Pools of the big buffers a picture needs (a 1280×1500 topology is 7.7 MB of RGBA): reusing
// them spares the zeroing and the garbage collections that allocating them each time costs
// (measured: about a fifth of a picture's CPU). sync.Pool is safe for concurrent use.
var (
	pixelPool sync.Pool // *[]byte
	pngPool   sync.Pool // *png.EncoderBuffer
)

// getPixels is a byte slice of length n with any content (every user overwrites it all).
func getPixels(n int) []byte {
	if p, ok := pixelPool.Get().(*[]byte); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]byte, n)
}

func putPixels(b []byte) { pixelPool.Put(&b) }

// pngBuffers lends png.Encoder its zlib writer and row buffers.
type pngBuffers struct{}

func (pngBuffers) Get() *png.EncoderBuffer {
	b, _ := pngPool.Get().(*png.EncoderBuffer)
	return b
}

func (pngBuffers) Put(b *png.EncoderBuffer) { pngPool.Put(b) }
