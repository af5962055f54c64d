package telegram

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"plumebot/internal/telegram/tgtest"
)

// Readiness probes that arrive together share one getMe, and for readyTTL after it no probe
// makes another, whether Telegram answered or not (issue 12 §3: 50 probes made 50 getMe).
func TestReachableIsCached(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv, a := inProcess(t, Options{})
		srv.Fault("getMe", tgtest.Fault{Delay: 100 * time.Millisecond}) // the probes overlap it
		probe := func(n int) {
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {
					if err := a.Reachable(context.Background()); err != nil {
						t.Errorf("Reachable: %v", err)
					}
				})
			}
			wg.Wait()
		}
		probe(50)
		time.Sleep(readyTTL - time.Second)
		probe(50)
		if n := len(srv.Calls("getMe")); n != 1 {
			t.Errorf("100 probes within %v made %d getMe calls, want 1", readyTTL, n)
		}
		time.Sleep(time.Second)
		srv.Fault("getMe", tgtest.Fault{Status: 502})
		for range 10 {
			if err := a.Reachable(context.Background()); err == nil {
				t.Error("Reachable while the Bot API fails: nil")
			}
		}
		if n := len(srv.Calls("getMe")); n != 2 {
			t.Errorf("%d getMe calls after the cache expired, want 2 (a failure is cached too)", n)
		}
	})
}
