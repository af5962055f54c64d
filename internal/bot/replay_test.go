package bot

import "testing"

// TestReplayAfterLogout: buttons made while signed in are pressed again after /logout (a
// stale message, a replayed callback). They must not reach Plume with the forgotten
// credentials: the presser is told to sign in, and nothing else happens.
func TestReplayAfterLogout(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{
		{name: "buttons_after_logout", opt: envOpt{noOperator: true, ownSim: true}, steps: append(signInSteps(alice),
			says(alice, "/health {healthy}"),
			says(alice, "/logout"),
			meanwhile("the simulator's counters are reset", func(e *env) { e.sim.ResetCounters() }),
			presses(alice, "📱 Devices"),
			presses(alice, "🔄 Refresh"),
			verify(func(e *env) {
				if n := e.sim.Requests(""); n != 0 {
					e.t.Errorf("%d requests reached Plume after /logout", n)
				}
			}),
		)},
	})
}
