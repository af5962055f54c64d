package bot

import (
	"testing"

	"plumebot/internal/plumesim"
)

// TestUnauthorizedReplyAdvisesAuth: plume's 401 text names no chat command; the bot adds
// which one helps, so the agent still learns what to do.
func TestUnauthorizedReplyAdvisesAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{ownSim: true})
	e.sim.SetFault("*", plumesim.Fault{Status: 401}) // every API call, even after a new token
	l := e.loc("healthy")
	e.say(alice, "/health "+l.CustomerID+" "+l.LocationID)
	const want = "🔒 Location details: Plume refused the credentials (401). The token may be revoked.\n" +
		"Send /auth to sign in again."
	if got := e.chat.last(alice).Text; got != want {
		t.Errorf("reply:\n%s\nwant:\n%s", got, want)
	}
}
