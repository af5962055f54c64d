package plume

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// recorder is a loopback server that records the Authorization headers it receives: the
// target of a hostile redirect, which must never see a credential.
type recorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	auth []string
	hits int
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hits++
	if a := req.Header.Get("Authorization"); a != "" {
		r.auth = append(r.auth, a)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"access_token":"stolen","token_type":"Bearer","expires_in":600}`))
}

func (r *recorder) seen() (hits int, auth []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits, append([]string(nil), r.auth...)
}

// newRecorder starts a plain http recorder on 127.0.0.1, or an https one on [::1] (another
// host than the fixture's 127.0.0.1, with a certificate the fixture's client trusts).
func newRecorder(t *testing.T, tls bool) *recorder {
	t.Helper()
	r := &recorder{}
	if !tls {
		r.srv = httptest.NewServer(r)
	} else {
		ln, err := net.Listen("tcp", "[::1]:0")
		if err != nil {
			t.Skipf("no IPv6 loopback: %v", err)
		}
		r.srv = httptest.NewUnstartedServer(r)
		r.srv.Listener.Close()
		r.srv.Listener = ln
		r.srv.StartTLS()
	}
	t.Cleanup(r.srv.Close)
	return r
}

// hostile is a Location a redirect may point to: userinfo, a query and a fragment, none of
// which may reach an error text.
func hostile(base, path string) string {
	u := strings.Replace(base, "://", "://agent:pw@", 1)
	return u + path + "?code=leak&email=jane%40example.com#frag"
}

func TestToken_neverFollowsRedirect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		tls    bool // target on another host over https, else http:// on another port
	}{
		{"307 to http on another port", http.StatusTemporaryRedirect, false},
		{"308 to http on another port", http.StatusPermanentRedirect, false},
		{"302 to http on another port", http.StatusFound, false},
		{"307 to a host outside the allowed hosts", http.StatusTemporaryRedirect, true},
		{"301 to a host outside the allowed hosts", http.StatusMovedPermanently, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			target := newRecorder(t, tt.tls)
			f := newFixture(t, func(o *Options) { o.AllowedHosts = []string{"127.0.0.1"} })
			f.tokenHandler = func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, hostile(target.srv.URL, "/steal"), tt.status)
			}
			err := f.client.Token(context.Background())
			e := wantKind(t, err, KindTokenFailed)
			if e.Cause != CauseRedirect || e.Status != tt.status {
				t.Errorf("cause %d, status %d; want CauseRedirect, %d (%v)", e.Cause, e.Status, tt.status, err)
			}
			want := "The SSO token URL answered with a redirect to " + target.srv.URL + "/steal" +
				"; plumebot never sends credentials to a redirect. Check the token URL."
			if got := e.UserMessage(); got != want {
				t.Errorf("message:\n got %q\nwant %q", got, want)
			}
			for _, s := range []string{"code=leak", "jane", "agent", "pw@", "frag"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error text %q holds %q from the redirect's query, userinfo or fragment", err, s)
				}
			}
			if hits, auth := target.seen(); hits != 0 || len(auth) != 0 {
				t.Errorf("the redirect target got %d requests, Authorization %q: want none", hits, auth)
			}
			assertNoSecret(t, err)
		})
	}
}

func TestClient_neverFollowsRedirect(t *testing.T) {
	t.Parallel()
	for _, reports := range []bool{false, true} {
		name := "API base"
		if reports {
			name = "reports base"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			target := newRecorder(t, false)
			f := newFixture(t)
			f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, hostile(target.srv.URL, r.URL.Path), http.StatusTemporaryRedirect)
			})
			var err error
			path := locPath
			if reports {
				path = "/reports/Customers/" + cid + "/locations/" + lid + "/onlineStats"
				_, err = f.client.OnlineStats(context.Background(), cid, lid, "hours", 24)
			} else {
				_, err = f.client.Location(context.Background(), cid, lid)
			}
			e := wantKind(t, err, KindRedirect)
			want := "Plume answered with a redirect (HTTP 307) to " + target.srv.URL + path +
				"; plumebot never sends credentials to a redirect. Check the API base URL."
			if got := e.UserMessage(); got != want {
				t.Errorf("message:\n got %q\nwant %q", got, want)
			}
			if strings.Contains(err.Error(), "code=leak") || strings.Contains(err.Error(), "pw@") {
				t.Errorf("error text %q holds the redirect's query or userinfo", err)
			}
			if hits, auth := target.seen(); hits != 0 || len(auth) != 0 {
				t.Errorf("the redirect target got %d requests, Authorization %q: want none", hits, auth)
			}
			// A redirect is an answer, not a failure worth retrying.
			if calls := f.obs.requests(); len(calls) != 1 || calls[0].status != http.StatusTemporaryRedirect {
				t.Errorf("requests observed %v, want one answered 307", calls)
			}
		})
	}
}
