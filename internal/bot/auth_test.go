package bot

import (
	"encoding/base64"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"plumebot/internal/plume"
	"plumebot/internal/plumedata"
	"plumebot/internal/plumesim"
)

func basic(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }

// A header-looking text at any step but the header's (a fake one: the tests print it).
const strayHeader = "Basic c2VjcmV0OnNlY3JldA=="

// tokenFetches is a check that the simulator issued want tokens so far.
func tokenFetches(want int) step {
	return verify(func(e *env) {
		e.t.Helper()
		if n := e.sim.TokenFetches(); n != want {
			e.t.Errorf("token fetches %d, want %d", n, want)
		}
	})
}

// Every /auth step, the wrong inputs at each (re-asked, the state unchanged: the right inputs
// that follow still sign in), /skip, /cancel, expiry and the header message deleted.
func TestAuth(t *testing.T) {
	t.Parallel()
	signedOut := envOpt{noOperator: true}
	runScenarios(t, []scenario{
		{name: "auth", opt: envOpt{noOperator: true, ownSim: true}, steps: []step{
			says(alice, "/auth"),
			says(alice, "/skip"), // PLUME_SSO_URL
			says(alice, "{header}"),
			says(alice, "{partner}"),
			says(alice, "/skip"), // PLUME_API_BASE
			tokenFetches(1),
			says(alice, "/health {healthy}"),
			tokenFetches(1), // the client that tested the credentials is reused
			says(alice, "/logout"),
			says(alice, "/health {healthy}"),
		}},
		{name: "auth_sso_step", opt: signedOut, steps: []step{
			says(alice, "/auth"),
			says(alice, "http://127.0.0.1/token"),
			says(alice, "https://evil.example.com/oauth2/x/v1/token"),
			says(alice, "https://user:pw@127.0.0.1/t"),
			says(alice, "not a url"),
			says(alice, strayHeader),
			says(alice, "{sso}"),
			says(alice, "{header}"),
			says(alice, "{partner}"),
			says(alice, "/skip"),
		}},
		{name: "auth_header_step", opt: signedOut, steps: []step{
			says(alice, "/auth"),
			says(alice, "/skip"),
			says(alice, "Bearer abc"),
			says(alice, "Basic !!!notbase64"),
			says(alice, basic("nocolon")),
			says(alice, basic(":secret-without-id")),
			says(alice, "/skip"),
			says(alice, "/status {healthy}"), // another command meanwhile leaves /auth where it was
			says(alice, "{header}"),
			says(alice, "{partner}"),
			says(alice, "/skip"),
		}},
		{name: "auth_partner_step", opt: signedOut, steps: []step{
			says(alice, "/auth"),
			says(alice, "/skip"),
			says(alice, "{header}"),
			says(alice, "short"),
			says(alice, "abcdefghijklmnopqrstuvwxyz-123"),
			says(alice, "/skip"),
			says(alice, strayHeader),
			says(alice, "{partner}"),
			says(alice, "/skip"),
		}},
		{name: "auth_api_step", opt: signedOut, steps: []step{
			says(alice, "/auth"),
			says(alice, "/skip"),
			says(alice, "{header}"),
			says(alice, "{partner}"),
			says(alice, "http://127.0.0.1/api"),
			says(alice, "https://plume.evil.example/api"),
			says(alice, "basic c2VjcmV0OnNlY3JldA=="),
			says(alice, "{api}"),
		}},
		{name: "auth_cancel_at_each_step", opt: signedOut, steps: []step{
			says(alice, "/auth"),
			says(alice, "/cancel"),
			says(alice, "/auth"),
			says(alice, "/skip"),
			says(alice, "/cancel"),
			says(alice, "/auth"),
			says(alice, "/skip"),
			says(alice, "{header}"),
			says(alice, "/cancel"),
			says(alice, "/auth"),
			says(alice, "/skip"),
			says(alice, "{header}"),
			says(alice, "{partner}"),
			says(alice, "/auth"), // starts over
			says(alice, "/cancel"),
			says(alice, "{partner}"), // no conversation any more
			says(alice, "/cancel"),
			says(alice, "/health {healthy}"), // nothing was saved
		}},
		{name: "auth_no_default_sso", opt: envOpt{noOperator: true, cfg: func(c *Config) { c.DefaultSSOURL = "" }}, steps: []step{
			says(alice, "/auth"),
			says(alice, "/skip"),
			says(alice, "{sso}"),
		}},
		{name: "auth_expiry", opt: signedOut, steps: []step{
			says(alice, "/auth"),
			says(alice, "/skip"),
			after(9 * time.Minute),
			says(alice, "Bearer x"), // a step, even a wrong one, restarts the 10 minutes
			after(9 * time.Minute),
			says(alice, "{header}"),
			after(10 * time.Minute),
			says(alice, "{partner}"),
			says(alice, "hello"), // told once
		}},
		{name: "auth_expiry_at_header_step", opt: signedOut, steps: []step{
			says(alice, "/auth"),
			says(alice, "/skip"),
			after(11 * time.Minute),
			says(alice, "{header}"), // too late, and still deleted
		}},
		{name: "auth_delete_refused", opt: signedOut, steps: []step{
			meanwhile("Telegram refuses to delete messages", func(e *env) { e.chat.failDel = true }),
			says(alice, "/auth"),
			says(alice, "/skip"),
			says(alice, "Basic !!!notbase64"),
			says(alice, "{header}"),
			says(alice, strayHeader),
			says(alice, "{partner}"),
			says(alice, "/skip"),
			says(alice, strayHeader),
		}},
		{name: "header_outside_auth", steps: []step{
			says(alice, strayHeader),
			says(alice, "basic   abc"),
		}},
		// A photo captioned with the header (a screenshot of a curl line) carries it as well.
		{name: "header_in_a_caption", steps: []step{
			says(alice, "/auth"),
			captioned(alice, "curl -H 'Authorization: {header}'"),
			says(alice, "/cancel"),
			captioned(alice, "{header}"),
		}},
		// The shapes a header is pasted in from curl, a JSON export or a note: each is deleted,
		// at the wrong /auth step and in a group too; ordinary words are not headers.
		{name: "header_pasted_shapes", steps: []step{
			says(alice, "Authorization:"+strayHeader),
			says(alice, `curl -H "Authorization:`+strayHeader+`" https://example.net`),
			says(alice, `{"Authorization": "`+strayHeader+`"}`),
			says(alice, "authorization=Basic abc"),
			says(alice, "Basic:c2VjcmV0OnNlY3JldA=="),
			says(alice, "the basic check failed, authorization is fine"),
			says(alice, "/auth"),
			says(alice, "/skip"),
			says(alice, "{header}"),
			says(alice, `{"Authorization":"`+strayHeader+`"}`),
			says(alice, "/cancel"),
			saysIn(group, bob, "Authorization:"+strayHeader),
		}},
	})
}

// captioned is a photo user sends in their private chat, with text as its caption.
func captioned(user int64, text string) step {
	return says(user, text).shaped("a photo captioned", func(u *Update) { u.Caption, u.Text = u.Text, "" })
}

// A failed credential test says which part failed, saves nothing, keeps the answers that were
// fine and asks again only for the one that failed; the right answer then finishes /auth.
func TestAuthFailures(t *testing.T) {
	t.Parallel()
	attempt := func(sso, header, partner string, fix ...step) []step {
		return slices.Concat([]step{says(alice, "/auth"), says(alice, sso), says(alice, header), says(alice, partner),
			says(alice, "/skip"), says(alice, "/health {healthy}")}, fix, []step{says(alice, "/health {healthy}")})
	}
	fault := func(f plumesim.Fault) step {
		return meanwhile("the token endpoint answers 503", func(e *env) { e.sim.SetFault("token", f) })
	}
	healed := meanwhile("the token endpoint is back", func(e *env) { e.sim.ClearFaults() })
	own := envOpt{noOperator: true, ownSim: true}
	runScenarios(t, []scenario{
		{name: "auth_rejected", opt: own, steps: attempt("{sso}", basic("sim-client:not-the-secret"), "{partner}",
			says(alice, "{header}"))},
		{name: "auth_wrong_partner", opt: own, steps: attempt("{sso}", "{header}", "ffffffffffffffffffffffff",
			says(alice, "{partner}"))},
		{name: "auth_sso_down", opt: own, steps: slices.Concat(
			[]step{fault(plumesim.Fault{Status: 503})}, attempt("{sso}", "{header}", "{partner}", healed, says(alice, "{sso}")))},
		{name: "auth_sso_closed", opt: own, steps: attempt("https://127.0.0.1:1/oauth2/x/v1/token", "{header}", "{partner}",
			says(alice, "/skip"))},
		{name: "auth_sso_untrusted", opt: envOpt{noOperator: true, cfg: untrustingData}, steps: []step{
			says(alice, "/auth"), says(alice, "{sso}"), says(alice, "{header}"), says(alice, "{partner}"), says(alice, "/skip"),
		}},
	})
}

// untrustingData is a data source whose HTTP client does not trust the simulator's CA, as a
// deployment without SSL_CERT_FILE for a private CA.
func untrustingData(c *Config) {
	c.Data = plumedata.New(plumedata.Config{Plume: plume.Options{HTTPClient: &http.Client{}, AllowedHosts: c.AllowedHosts},
		Logger: c.Logger, Now: c.Now})
}

// Two copies of the SSO URL at once (a double tap): the first is step 1, the second is taken as
// a (wrong) header, deleted, and step 2 asked again; /auth then finishes.
func TestAuthDoubleTap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{noOperator: true})
	e.say(alice, "/auth")
	ids := make(chan int64, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { ids <- e.say(alice, e.info.SSOURL) })
	}
	wg.Wait()
	close(ids)
	var deleted int
	for id := range ids {
		if e.chat.wasDeleted(id) {
			deleted++
		}
	}
	const step2 = "<b>Step 2/4</b>: send the Authorization header, <code>Basic …</code>.\n" +
		"I delete your message right away and never show it again."
	want := []string{step2, "⚠️ The header must start with &quot;Basic &quot; followed by base64 of " +
		"clientId:clientSecret.\n\n" + step2}
	var got []string
	for _, m := range e.chat.messages(alice)[1:] {
		got = append(got, m.Text)
	}
	if deleted != 1 || !slices.Equal(got, want) {
		t.Fatalf("%d of the two copies deleted; replies:\n%q\nwant:\n%q", deleted, got, want)
	}
	e.say(alice, e.info.AuthHeader)
	e.say(alice, e.info.PartnerID)
	e.say(alice, "/skip")
	if a := e.lastAudit(); a["command"] != "auth:api" || a["outcome"] != "ok" {
		t.Errorf("finish after a double tap: %v", a)
	}
}
