package watch_test

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"plumebot/internal/store"
	"plumebot/internal/watch"
)

// TestBudget: the schedule keeps to the budget in every simulated second, spreads checks
// evenly (no bursts), checks each watch once per interval, and measures the interval.
func TestBudget(t *testing.T) {
	tests := []struct {
		name             string
		watches          int
		min              time.Duration
		budget           float64
		interval, spread time.Duration // expected
	}{
		// 2 × 10 / 2 = 10 s > 5 s: the budget sets the interval; one check a second.
		{"budget bound", 10, 5 * time.Second, 2, 10 * time.Second, time.Second},
		// 2 × 3 / 6 = 1 s < 60 s: the minimum interval sets it; a check every 20 s.
		{"interval bound", 3, time.Minute, 6, time.Minute, 20 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				b := store.NewMemory()
				defer b.Close()
				p := newPlume()
				h := newHarness(t, newStore(t, b), p, nil, watch.Config{MinInterval: tc.min, Budget: tc.budget})
				for i := range tc.watches {
					loc := fmt.Sprintf("%024x", i+1)
					p.add(custA, loc, "L")
					h.add(watch.NewWatch{ChatID: int64(i + 1), UserID: userA, CustomerID: custA, LocationID: loc})
				}
				h.start()
				const cycles = 10
				wait(cycles*tc.interval + time.Millisecond)
				h.stop()

				perSecond := map[int64]int{}
				var gaps []time.Duration
				for i, c := range p.calls {
					perSecond[c.Unix()] += 2 // a check costs two requests
					if i > 0 {
						gaps = append(gaps, c.Sub(p.calls[i-1]))
					}
				}
				for sec, n := range perSecond {
					if float64(n) > tc.budget {
						t.Errorf("second %d: %d requests, budget %.0f/s", sec, n, tc.budget)
					}
				}
				for i, g := range gaps {
					if g != tc.spread {
						t.Fatalf("check %d came %s after the previous one, want every %s", i+1, g, tc.spread)
					}
				}
				if want := cycles*tc.watches + 1; len(p.calls) != want {
					t.Errorf("%d checks in %d intervals of %d watches, want %d", len(p.calls), cycles, tc.watches, want)
				}
				st, err := h.e.Stats(t.Context())
				if err != nil || st.Interval != tc.interval || st.Achieved != tc.interval || st.Watches != tc.watches {
					t.Errorf("Stats = %+v, %v; want interval and achieved %s, %d watches", st, err, tc.interval, tc.watches)
				}
			})
		})
	}
}
