package watch_test

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"plumebot/internal/watch"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestCapacity is the watcher's benchmark (BENCHMARKS.md): 1,000 watched locations, a
// Plume answering in 100 ms, the default budget (2 requests/s, so an interval of 1,000 s),
// two intervals of virtual time. It reports the achieved interval, the requests per
// second, CPU per check and heap per watch (the memory store holds the records on the
// heap; with bolt they are in the file, so its figure is the engine's own).
//
//	PLUMEBOT_WATCH_CAPACITY=1 go test -run TestCapacity -v ./internal/watch/
func TestCapacity(t *testing.T) {
	if os.Getenv("PLUMEBOT_WATCH_CAPACITY") == "" {
		t.Skip("the capacity benchmark: PLUMEBOT_WATCH_CAPACITY=1 go test -run TestCapacity -v ./internal/watch/")
	}
	const watches = 1000
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPlume()
				p.latency = 100 * time.Millisecond
				locs := make([]string, watches)
				for i := range locs {
					locs[i] = fmt.Sprintf("%024x", i+1)
					p.add(custA, locs[i], fmt.Sprintf("Location %d", i+1))
				}
				b := bk.open(t)
				defer b.Close()
				obs := newEvents()
				h := newHarness(t, newStore(t, b), p, nil, watch.Config{Observer: obs})
				before := heapInUse()
				for i, loc := range locs {
					h.add(watch.NewWatch{ChatID: int64(-1000 - i), UserID: userA, CustomerID: custA, LocationID: loc})
				}
				cpu0 := cpuTime()
				h.start()
				const intervals = 2
				wait(intervals*watches*time.Second + time.Second)
				cpu := cpuTime() - cpu0
				heap := heapInUse() - before
				st, err := h.e.Stats(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				h.stop()
				keys, err := b.Keys(t.Context(), "rec:watch:")
				if err != nil {
					t.Fatal(err)
				}
				recBytes := 0
				for _, k := range keys {
					v, _ := b.Get(t.Context(), k)
					recBytes += len(v)
				}

				p.mu.Lock()
				calls := p.calls
				p.mu.Unlock()
				perSecond := map[int64]int{}
				for _, c := range calls {
					perSecond[c.Unix()] += 2
				}
				most := 0
				for _, n := range perSecond {
					most = max(most, n)
				}
				span := calls[len(calls)-1].Sub(calls[0]).Seconds()
				checks := obs.all
				t.Logf("%d watches, %s: interval %s (achieved %s), %d checks, %.2f requests/s (busiest second %d, budget %.0f), "+
					"CPU %.0f µs per check, heap %.0f B per watch, sealed record %d B",
					watches, bk.name, st.Interval, st.Achieved, checks, float64(obs.requests)/span, most, st.Budget,
					float64(cpu.Microseconds())/float64(checks), float64(heap)/watches, recBytes/len(keys))
				if most > 2 || st.Achieved != 1000*time.Second || checks < intervals*watches {
					t.Fatalf("budget or interval missed: busiest second %d requests, achieved %s, %d checks", most, st.Achieved, checks)
				}
			})
		})
	}
}
