package chart

import (
	"encoding/binary"
	"image"
	"image/color"
	"sort"
	"sync"

	stddraw "image/draw"
)

// paletted converts a drawn picture to at most 256 colours for PNG. Our pictures are flat
// colours plus anti-aliased edges, so little is lost, and a paletted PNG is both smaller and far
// cheaper to write (one byte per pixel, no row filters): measured on the 12-pod topology, 287 KB
// and 90 ms of CPU as RGB, against about a third of each as a palette (BENCHMARKS.md).
//
// Colours are grouped by their top 5 bits per channel; each group is represented by its mean
// (a flat colour dominates its group, so it keeps its exact value), the 256 most frequent groups
// form the palette and the rarer ones (edge pixels) take the nearest palette colour. No library in
// the project's reach quantizes images (image/draw's palette conversion searches the palette for
// every pixel: seconds per picture).
func paletted(src *image.RGBA) *image.Paletted {
	const groups = 1 << 15
	type group struct{ n, r, g, b uint32 }
	hist := make([]group, groups)
	b := src.Bounds()
	// Our canvases start at (0, 0) with no padding, so the pixels are one run of 4-byte words;
	// anything else is copied into such an image first.
	if b.Min != (image.Point{}) || src.Stride != 4*b.Dx() {
		c := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		stddraw.Draw(c, c.Bounds(), src, b.Min, stddraw.Src)
		src, b = c, c.Bounds()
	}
	pix := src.Pix
	key := func(p uint32) int { return int(p>>3&0x1f)<<10 | int(p>>11&0x1f)<<5 | int(p>>19&0x1f) }
	// One pass finds the runs of one colour (most of a picture: a run is ten pixels on average in
	// our pictures) and counts them; the second pass writes whole runs. Pixels are compared as
	// 32-bit words, alpha included: every picture here is opaque.
	runs := getRuns()
	for i := 0; i < len(pix); {
		p := binary.LittleEndian.Uint32(pix[i:])
		j := i + 4
		for pp := uint64(p) | uint64(p)<<32; j+8 <= len(pix) && binary.LittleEndian.Uint64(pix[j:]) == pp; {
			j += 8
		}
		for j < len(pix) && binary.LittleEndian.Uint32(pix[j:]) == p {
			j += 4
		}
		n := uint32(j-i) / 4
		k := key(p)
		g := &hist[k]
		g.n += n
		g.r += n * (p & 0xff)
		g.g += n * (p >> 8 & 0xff)
		g.b += n * (p >> 16 & 0xff)
		runs = append(runs, run{key: uint16(k), n: n})
		i = j
	}
	var used []int
	for k := range hist {
		if hist[k].n > 0 {
			used = append(used, k)
		}
	}
	sort.Slice(used, func(i, j int) bool {
		if hist[used[i]].n != hist[used[j]].n {
			return hist[used[i]].n > hist[used[j]].n
		}
		return used[i] < used[j]
	})
	mean := func(k int) color.RGBA {
		g := hist[k]
		return color.RGBA{uint8((g.r + g.n/2) / g.n), uint8((g.g + g.n/2) / g.n), uint8((g.b + g.n/2) / g.n), 0xff}
	}
	n := min(len(used), 256)
	pal := make(color.Palette, n)
	index := make([]uint8, groups)
	for i, k := range used[:n] {
		pal[i] = mean(k)
		index[k] = uint8(i)
	}
	for _, k := range used[n:] {
		c := mean(k)
		best, bestD := 0, -1
		for i, p := range pal {
			q := p.(color.RGBA)
			dr, dg, db := int(c.R)-int(q.R), int(c.G)-int(q.G), int(c.B)-int(q.B)
			if d := dr*dr + dg*dg + db*db; bestD < 0 || d < bestD {
				best, bestD = i, d
			}
		}
		index[k] = uint8(best)
	}
	dst := &image.Paletted{Pix: getPixels(b.Dx() * b.Dy()), Stride: b.Dx(), Rect: b, Palette: pal}
	out := dst.Pix
	for _, r := range runs {
		idx := index[r.key]
		seg := out[:r.n]
		for i := range seg {
			seg[i] = idx
		}
		out = out[r.n:]
	}
	putRuns(runs)
	return dst
}

// run is a stretch of pixels of one colour group, in reading order.
type run struct {
	key uint16
	n   uint32
}

var runPool sync.Pool // *[]run

func getRuns() []run {
	if p, ok := runPool.Get().(*[]run); ok {
		return (*p)[:0]
	}
	return make([]run, 0, 1<<16)
}

func putRuns(r []run) { runPool.Put(&r) }
