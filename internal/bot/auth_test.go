package bot

import (
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"

	"plumebot/internal/plumesim"
)

// authStep reads the user's conversation step ("" when none).
func (e *env) authStep(user int64) *authState {
	e.t.Helper()
	st, err := e.bot.loadAuth(e.ctx(), user)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func TestAuthHappyPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{noOperator: true, ownSim: true})
	e.say(alice, "/auth")
	if st := e.authStep(alice); st == nil || st.Step != stepSSO {
		t.Fatalf("after /auth: %+v", st)
	}
	e.say(alice, "/skip") // takes PLUME_SSO_URL
	if st := e.authStep(alice); st.Step != stepHeader || st.TokenURL != e.info.SSOURL {
		t.Fatalf("after /skip: %+v", st)
	}
	hdrMsg := e.say(alice, e.info.AuthHeader)
	if !e.chat.wasDeleted(hdrMsg) {
		t.Error("the header message was not deleted")
	}
	e.say(alice, e.info.PartnerID)
	e.say(alice, "/skip") // default API base
	got := e.chat.texts(alice)
	for _, w := range []string{"Testing credentials", "saved"} {
		if !strings.Contains(got, w) {
			t.Errorf("lacks %q:\n%s", w, got)
		}
	}
	if st := e.authStep(alice); st != nil {
		t.Errorf("conversation left behind: %+v", st)
	}
	creds, own, ok, err := e.bot.credentials(e.ctx(), alice)
	if err != nil || !ok || !own || creds.AuthHeader.Reveal() != e.info.AuthHeader || creds.APIBase != e.info.APIBase {
		t.Fatalf("stored creds: own=%v ok=%v err=%v", own, ok, err)
	}
	if e.sim.TokenFetches() != 1 {
		t.Errorf("token fetches %d", e.sim.TokenFetches())
	}
	// The client of the test is reused: /health needs no new token.
	h := e.loc("healthy")
	e.say(alice, "/health "+h.CustomerID+" "+h.LocationID)
	if e.sim.TokenFetches() != 1 {
		t.Errorf("token fetched again: %d", e.sim.TokenFetches())
	}
	// /logout forgets credentials and settings.
	e.say(alice, "/logout")
	if _, _, ok, _ := e.bot.credentials(e.ctx(), alice); ok {
		t.Error("credentials survive /logout")
	}
	if s, _ := e.bot.loadSettings(e.ctx(), alice); s.LocationID != "" {
		t.Error("settings survive /logout")
	}
}

func TestAuthInvalidInputReasks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{noOperator: true})
	good := e.info.AuthHeader
	steps := []struct {
		step    string
		reach   []string // inputs that lead to this step
		invalid []struct{ in, why string }
	}{
		{stepSSO, nil, []struct{ in, why string }{
			{"http://127.0.0.1/token", "https"},
			{"https://evil.example.com/oauth2/x/v1/token", "not allowed"},
			{"https://user:pw@127.0.0.1/t", "password"},
			{"not a url", "https"},
			{"Basic c2VjcmV0OnNlY3JldA==", "deleted it"},
		}},
		{stepHeader, []string{"/skip"}, []struct{ in, why string }{
			{"Bearer abc", "Basic"},
			{"Basic !!!notbase64", "base64"},
			{"Basic " + base64.StdEncoding.EncodeToString([]byte("nocolon")), "clientId:clientSecret"},
			{"/skip", "cannot be skipped"},
		}},
		{stepPartner, []string{"/skip", good}, []struct{ in, why string }{
			{"short", "20"},
			{"abcdefghijklmnopqrstuvwxyz-123", "letters and digits"},
			{"/skip", "cannot be skipped"},
			{"Basic c2VjcmV0OnNlY3JldA==", "deleted it"},
		}},
		{stepAPI, []string{"/skip", good, e.info.PartnerID}, []struct{ in, why string }{
			{"http://127.0.0.1/api", "https"},
			{"https://plume.evil.example/api", "not allowed"},
			{"basic c2VjcmV0OnNlY3JldA==", "deleted it"},
		}},
	}
	for i, s := range steps {
		user := int64(8000 + i)
		e.bot.users[user] = true
		t.Run(s.step, func(t *testing.T) {
			e.say(user, "/auth")
			for _, in := range s.reach {
				e.say(user, in)
			}
			before := e.authStep(user)
			if before == nil || before.Step != s.step {
				t.Fatalf("not at step %s: %+v", s.step, before)
			}
			for _, c := range s.invalid {
				id := e.say(user, c.in)
				last := e.chat.last(user).Text
				if !strings.Contains(last, c.why) || !strings.Contains(last, "Step") {
					t.Errorf("%q: reply lacks %q or the prompt:\n%s", c.in, c.why, last)
				}
				after := e.authStep(user)
				if after == nil || after.Step != before.Step || after.TokenURL != before.TokenURL ||
					after.Header != before.Header || after.PartnerID != before.PartnerID {
					t.Errorf("%q changed the state: %+v → %+v", c.in, before, after)
				}
				if (s.step == stepHeader && c.in != "/skip" || looksLikeHeader(c.in)) && !e.chat.wasDeleted(id) {
					t.Errorf("%q: message with a (possible) header not deleted", c.in)
				}
				if strings.Contains(e.chat.texts(user), "notbase64") || strings.Contains(e.chat.texts(user), "c2VjcmV0") {
					t.Error("input echoed")
				}
			}
			e.say(user, "/cancel")
			if e.authStep(user) != nil || !strings.Contains(e.chat.last(user).Text, "cancelled") {
				t.Error("/cancel did not end the conversation")
			}
		})
	}
}

func TestAuthFailuresByCause(t *testing.T) {
	t.Parallel()
	wrongHeader := "Basic " + base64.StdEncoding.EncodeToString([]byte("sim-client:not-the-secret"))
	cases := []struct {
		name          string
		header, pid   string
		fault         *plumesim.Fault
		closedSSO     bool
		want, outcome string
	}{
		{name: "credentials rejected", header: wrongHeader, want: "rejected", outcome: "error:token_failed"},
		{name: "wrong partner", pid: "ffffffffffffffffffffffff", want: "partner", outcome: "error:token_failed"},
		{name: "SSO 503", fault: &plumesim.Fault{Status: 503}, want: "could not be reached", outcome: "error:token_failed"},
		{name: "SSO closed port", closedSSO: true, want: "could not be reached", outcome: "error:token_failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpt{noOperator: true, ownSim: true})
			if c.fault != nil {
				e.sim.SetFault("token", *c.fault)
			}
			sso := e.info.SSOURL
			if c.closedSSO {
				sso = "https://127.0.0.1:1/oauth2/x/v1/token"
			}
			header, pid := e.info.AuthHeader, e.info.PartnerID
			if c.header != "" {
				header = c.header
			}
			if c.pid != "" {
				pid = c.pid
			}
			e.say(alice, "/auth")
			e.say(alice, sso)
			e.say(alice, header)
			e.say(alice, pid)
			e.say(alice, "/skip")
			got := e.chat.last(alice).Text
			if !strings.Contains(got, c.want) || !strings.Contains(got, "/auth") {
				t.Errorf("reply lacks %q or /auth:\n%s", c.want, got)
			}
			if _, _, ok, _ := e.bot.credentials(e.ctx(), alice); ok {
				t.Error("failed credentials were saved")
			}
			if a := e.lastAudit(); a["outcome"] != c.outcome {
				t.Errorf("audit %v", a)
			}
			if strings.Contains(e.chat.texts(alice)+e.logs.String(), strings.TrimPrefix(header, "Basic ")) {
				t.Error("header leaked")
			}
		})
	}
}

func TestAuthExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{noOperator: true})
	e.say(alice, "/auth")
	e.say(alice, "/skip")
	e.clock.Advance(9 * time.Minute) // each step refreshes the expiry
	e.say(alice, "Bearer x")
	e.clock.Advance(9 * time.Minute)
	if st := e.authStep(alice); st == nil || st.Step != stepHeader {
		t.Fatalf("expired too early: %+v", st)
	}
	e.clock.Advance(2 * time.Minute)
	e.say(alice, e.info.AuthHeader)
	if got := e.chat.last(alice).Text; !strings.Contains(got, "timed out") {
		t.Errorf("after expiry: %s", got)
	}
	if e.authStep(alice) != nil {
		t.Error("expired conversation kept")
	}
	e.say(alice, "hello")
	if got := e.chat.last(alice).Text; !strings.Contains(got, "/help") {
		t.Errorf("after the timeout message: %s", got)
	}
}

func TestAuthDoubleTap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{noOperator: true})
	e.say(alice, "/auth")
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { e.say(alice, e.info.SSOURL) })
	}
	wg.Wait()
	st := e.authStep(alice)
	if st == nil || st.Step != stepHeader || st.TokenURL != e.info.SSOURL || st.Header != "" {
		t.Fatalf("state after a double tap: %+v", st)
	}
	// The second copy was taken as a (bad) header: re-asked, and deleted.
	if got := e.chat.last(alice).Text; !strings.Contains(got, "Step 2/4") {
		t.Errorf("last reply: %s", got)
	}
	e.say(alice, e.info.AuthHeader)
	e.say(alice, e.info.PartnerID)
	e.say(alice, "/skip")
	if got := e.chat.last(alice).Text; !strings.Contains(got, "saved") {
		t.Errorf("finish after double tap: %s", got)
	}
}

func TestAuthHeaderDeleteFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{noOperator: true})
	e.chat.failDel = true
	e.say(alice, "/auth")
	e.say(alice, "/skip")
	e.say(alice, e.info.AuthHeader)
	if got := e.chat.texts(alice); !strings.Contains(got, "delete it yourself") {
		t.Errorf("no delete-it-yourself hint:\n%s", got)
	}
	if st := e.authStep(alice); st == nil || st.Step != stepPartner {
		t.Errorf("state %+v", st)
	}
}

func TestAuthNoDefaultSSO(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{noOperator: true, cfg: func(c *Config) { c.DefaultSSOURL = "" }})
	e.say(alice, "/auth")
	e.say(alice, "/skip")
	if st := e.authStep(alice); st == nil || st.Step != stepSSO {
		t.Errorf("/skip without a default moved on: %+v", st)
	}
	if got := e.chat.last(alice).Text; !strings.Contains(got, "no default") {
		t.Errorf("reply: %s", got)
	}
}

func TestOperatorCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{ownSim: true})
	h := e.loc("healthy")
	e.say(alice, "/status "+h.CustomerID+" "+h.LocationID)
	if got := e.chat.texts(alice); !strings.Contains(got, "Home") {
		t.Fatalf("operator creds:\n%s", got)
	}
	// A user's own (here: broken) credentials take precedence over the operator's.
	e.st.PutUser(e.ctx(), bob, kindCreds, []byte(`{"token_url":"`+e.info.SSOURL+`","auth_header":"Basic eDp5","partner_id":"`+
		e.info.PartnerID+`","api_base":"`+e.info.APIBase+`"}`))
	e.say(bob, "/status "+h.CustomerID+" "+h.LocationID)
	if got := e.chat.last(bob).Text; !strings.Contains(got, "rejected") {
		t.Errorf("own creds not used: %s", got)
	}
}

// A header pasted outside /auth is deleted too, with a pointer to /auth.
func TestHeaderOutsideAuthDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{})
	id := e.say(alice, "Basic c2VjcmV0OnNlY3JldA==")
	if !e.chat.wasDeleted(id) {
		t.Error("stray header message not deleted")
	}
	if got := e.chat.last(alice).Text; !strings.Contains(got, "Authorization header") || !strings.Contains(got, "/auth") {
		t.Errorf("reply: %s", got)
	}
}
