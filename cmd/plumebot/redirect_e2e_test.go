package main

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// credentialTrap is a plain-http loopback server that records every request it gets and the
// Authorization header it carried: where a hostile redirect points.
type credentialTrap struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []string // "path Authorization"
}

func newCredentialTrap(t *testing.T) *credentialTrap {
	t.Helper()
	c := &credentialTrap{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.reqs = append(c.reqs, r.URL.Path+" "+r.Header.Get("Authorization"))
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"trapped","token_type":"Bearer","expires_in":600}`))
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *credentialTrap) requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.reqs...)
}

// TestNoCredentialFollowsRedirect is issue 12 §1 through the binary: a token URL that answers
// 307 to http:// on another port, one that redirects to a host outside PLUME_ALLOWED_HOSTS,
// and an API base that redirects to http://. No credential reaches the target, /auth saves
// nothing, and the agent reads where the redirect pointed (without its query).
func TestNoCredentialFollowsRedirect(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	trap := newCredentialTrap(t)
	// The simulator under another name: its certificate covers localhost, so a followed
	// redirect would get a token there, but PLUME_ALLOWED_HOSTS (127.0.0.1) does not allow it.
	foreignSSO := strings.Replace(f.info.SSOURL, "127.0.0.1", "localhost", 1)
	redirector := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/token-to-http":
			http.Redirect(w, r, trap.srv.URL+"/token?state=q1", http.StatusTemporaryRedirect)
		case r.URL.Path == "/token-to-foreign":
			http.Redirect(w, r, foreignSSO+"?state=q2", http.StatusTemporaryRedirect)
		case strings.HasPrefix(r.URL.Path, "/api/"), strings.HasPrefix(r.URL.Path, "/reports/"):
			http.Redirect(w, r, trap.srv.URL+r.URL.Path+"?state=q3", http.StatusTemporaryRedirect)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(redirector.Close)
	// The child trusts the simulator's CA and the redirector's certificate.
	ca := append(f.sim.CACertPEM(), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: redirector.Certificate().Raw})...)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}

	const toHTTP, toForeign, apiRedirect = 919101, 919102, 919103
	p := start(t, f.env(map[string]string{
		"PLUMEBOT_ALLOWED_USERS": strconv.Itoa(toHTTP) + "," + strconv.Itoa(toForeign) + "," + strconv.Itoa(apiRedirect),
		"PLUMEBOT_DATA_DIR":      filepath.Join(t.TempDir(), "data"),
		"SSL_CERT_FILE":          caFile,
	}), nil, "serve")

	tokensBefore := f.sim.TokenFetches()
	refused := "❌ These credentials did not work"
	authWith(t, f, toHTTP, redirector.URL+"/token-to-http", "/skip", refused, pushSender(f.tg, toHTTP))
	waitText(t, f.tg, toHTTP, "🔒 The SSO token URL answered with a redirect to "+trap.srv.URL+
		"/token; plumebot never sends credentials to a redirect. Check the token URL.")
	authWith(t, f, toForeign, redirector.URL+"/token-to-foreign", "/skip", refused, pushSender(f.tg, toForeign))
	waitText(t, f.tg, toForeign, "🔒 The SSO token URL answered with a redirect to "+
		strings.SplitN(foreignSSO, "?", 2)[0]+"; plumebot never sends credentials to a redirect.")
	if n := f.sim.TokenFetches(); n != tokensBefore {
		t.Errorf("the simulator issued %d tokens through the redirect to localhost", n-tokensBefore)
	}

	// Good token URL, API base that redirects: the token test passes, /health must not carry
	// the bearer token to the trap.
	authWith(t, f, apiRedirect, f.info.SSOURL, redirector.URL+"/api", "Credentials work", pushSender(f.tg, apiRedirect))
	f.tg.PushMessage(apiRedirect, apiRedirect, "/health "+f.ids(t, "healthy"))
	waitText(t, f.tg, apiRedirect, "Plume answered with a redirect (HTTP 307) to "+trap.srv.URL+"/api/Customers/")

	// Also the operator's credentials in `plumebot check`.
	code, out, errOut := runBin(t, f.env(merge(f.operator(), map[string]string{
		"PLUME_API_BASE": redirector.URL + "/api",
		"SSL_CERT_FILE":  caFile,
	})), "", append([]string{"check"}, strings.Fields(f.ids(t, "healthy"))...)...)
	if code != 3 || !strings.Contains(out+errOut, "redirect (HTTP 307) to "+trap.srv.URL+"/api/Customers/") {
		t.Errorf("check through a redirecting API base: exit %d, want 3 naming the redirect\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	p.stop()

	if reqs := trap.requests(); len(reqs) != 0 {
		t.Errorf("the redirect target received %d requests (path and Authorization): %q", len(reqs), reqs)
	}
	for _, user := range []int64{toHTTP, toForeign, apiRedirect} {
		for _, m := range f.tg.Messages(user) {
			if strings.Contains(m.Text, "state=") {
				t.Errorf("user %d: a message shows the redirect's query: %q", user, m.Text)
			}
			if user != apiRedirect && strings.Contains(m.Text, "Credentials work") {
				t.Errorf("user %d: /auth through a redirecting token URL said %q", user, m.Text)
			}
		}
	}
	assertNoSecret(t, "the log", []byte(p.Stderr()))
}
