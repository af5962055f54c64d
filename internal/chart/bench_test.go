package chart

import (
	"syscall"
	"testing"
	"time"
)

// Benchmarks report cpu-ms/op beside ns/op: the process's user+system CPU time per picture
// (garbage collection included), which a shared, loaded machine does not inflate the way it
// inflates wall time. Figures and the command are in BENCHMARKS.md.

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchPicture(b *testing.B, draw func() ([]byte, error)) {
	b.ReportAllocs()
	var size int
	c0 := cpuTime(b)
	for b.Loop() {
		p, err := draw()
		if err != nil {
			b.Fatal(err)
		}
		size = len(p)
	}
	b.ReportMetric(float64(cpuTime(b)-c0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(size), "png-bytes")
}

func BenchmarkWAN(b *testing.B) {
	d := wanDay(b)
	benchPicture(b, func() ([]byte, error) { return WAN(d) })
}

func BenchmarkTimeline7d(b *testing.B) {
	d := week(b)
	benchPicture(b, func() ([]byte, error) { return Timeline(d) })
}

func BenchmarkTopology12(b *testing.B) {
	d := nasty()
	benchPicture(b, func() ([]byte, error) { return Topology(d) })
}
