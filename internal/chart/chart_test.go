package chart

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the example pictures in testdata/")

// decode checks that b is a PNG of width×height (height 0: any) within the size budget.
func decode(t *testing.T, b []byte, height int) image.Image {
	t.Helper()
	if len(b) > MaxBytes {
		t.Errorf("PNG is %d bytes, over %d", len(b), MaxBytes)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	bd := img.Bounds()
	if bd.Dx() != Width || (height > 0 && bd.Dy() != height) {
		t.Errorf("size %dx%d, want %dx%d", bd.Dx(), bd.Dy(), Width, height)
	}
	// Telegram's sendPhoto: width + height ≤ 10000, ratio ≤ 20.
	if bd.Dx()+bd.Dy() > 10000 || bd.Dy() > 20*bd.Dx() || bd.Dx() > 20*bd.Dy() {
		t.Errorf("size %dx%d is outside Telegram's photo limits", bd.Dx(), bd.Dy())
	}
	return img
}

// TestExamples draws one picture of each kind and, with -update, writes it to testdata/ to be
// looked at (the files are not compared: a font or library update may move a pixel).
func TestExamples(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file   string
		height int // 0: any (a topology is as tall as its tree)
		draw   func() ([]byte, error)
	}{
		{"wan_24h.png", wanHeight, func() ([]byte, error) { return WAN(wanDay(t)) }},
		{"timeline_24h.png", timelineHeight, func() ([]byte, error) { return Timeline(day24(t)) }},
		{"timeline_7d.png", timelineHeight, func() ([]byte, error) { return Timeline(week(t)) }},
		{"topology.png", 0, func() ([]byte, error) { return Topology(home()) }},
		{"topology_12_nasty.png", 0, func() ([]byte, error) { return Topology(nasty()) }},
	} {
		b, err := tc.draw()
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		decode(t, b, tc.height)
		t.Logf("%s: %d bytes", tc.file, len(b))
		if *update {
			if err := os.WriteFile(filepath.Join("testdata", tc.file), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// near reports whether c is within tol of want on every channel.
func near(c color.Color, want color.RGBA, tol int) bool {
	r, g, b, _ := c.RGBA()
	d := func(a uint32, w uint8) bool { x := int(a>>8) - int(w); return x <= tol && x >= -tol }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

// columnHas reports whether any pixel of column x between rows y0 and y1 is near want.
func columnHas(img image.Image, x, y0, y1 int, want color.RGBA, tol int) bool {
	for y := y0; y <= y1; y++ {
		if near(img.At(x, y), want, tol) {
			return true
		}
	}
	return false
}

// encodeDecode is the picture as the caller gets it: PNG bytes, decoded.
func encodeDecode(t *testing.T, c *canvas, height int) image.Image {
	t.Helper()
	b, err := c.encode()
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, b, height)
}

// TestConcurrent draws every picture from several goroutines at once (run with -race): each
// result equals the one drawn alone, so nothing is shared between pictures but read-only fonts
// and the buffer pools.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	draws := []func() ([]byte, error){
		func() ([]byte, error) { return WAN(wanDay(t)) },
		func() ([]byte, error) { return Timeline(week(t)) },
		func() ([]byte, error) { return Timeline(day24(t)) },
		func() ([]byte, error) { return Topology(nasty()) },
		func() ([]byte, error) { return Topology(home()) },
	}
	want := make([][]byte, len(draws))
	for i, d := range draws {
		b, err := d()
		if err != nil {
			t.Fatal(err)
		}
		want[i] = b
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		for i, d := range draws {
			wg.Go(func() {
				b, err := d()
				if err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(b, want[i]) {
					t.Errorf("picture %d drawn concurrently differs from the one drawn alone", i)
				}
			})
		}
	}
	wg.Wait()
}
