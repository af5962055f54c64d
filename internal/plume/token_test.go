package plume

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestToken_renewsBeforeExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		ttl      int64
		stillOK  time.Duration // a call at this offset reuses the first token
		renewsAt time.Duration // a call at this offset fetches a new one
	}{
		{"30 min token renews 60 s early", 1800, 1739 * time.Second, 1740 * time.Second},
		{"10 min token renews 60 s early", 600, 539 * time.Second, 540 * time.Second},
		{"90 s token renews at half life", 90, 44 * time.Second, 45 * time.Second},
		{"5 s token is used for 2.5 s", 5, 2400 * time.Millisecond, 2500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.ttl.Store(tt.ttl)
			ctx := context.Background()
			for range 5 { // repeated calls reuse one token
				if err := f.client.Token(ctx); err != nil {
					t.Fatal(err)
				}
			}
			f.clock.Advance(tt.stillOK)
			if err := f.client.Token(ctx); err != nil {
				t.Fatal(err)
			}
			if n := f.fetches.Load(); n != 1 {
				t.Fatalf("fetches before renewal = %d, want 1", n)
			}
			f.clock.Advance(tt.renewsAt - tt.stillOK)
			if err := f.client.Token(ctx); err != nil {
				t.Fatal(err)
			}
			if n := f.fetches.Load(); n != 2 {
				t.Fatalf("fetches after renewal point = %d, want 2", n)
			}
		})
	}
}

func TestToken_concurrentCallersShareOneFetch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var hits atomic.Int32
	f.mux.HandleFunc(locPath, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, `{}`)
	})
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := f.client.Location(context.Background(), cid, lid)
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.fetches.Load(); n != 1 {
		t.Errorf("token fetches = %d, want 1", n)
	}
	if n := hits.Load(); n != 100 {
		t.Errorf("API calls = %d, want 100", n)
	}
}

func TestToken_401RefreshesOnceAndRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		rejectAll bool
		wantErr   bool
	}{
		{"revoked token replaced", false, false},
		{"second 401 is unauthorized", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			var hits atomic.Int32
			f.mux.HandleFunc(locPath, func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if tt.rejectAll || r.Header.Get("Authorization") == "Bearer tok-1" {
					w.WriteHeader(http.StatusUnauthorized)
					fmt.Fprintf(w, `{"error":{"statusCode":401,"message":"Authorization Required %s"}}`, r.Header.Get("Authorization"))
					return
				}
				fmt.Fprint(w, `{"serviceLevel":{"status":"fullService"}}`)
			})
			l, err := f.client.Location(context.Background(), cid, lid)
			if tt.wantErr {
				e := wantKind(t, err, KindUnauthorized)
				if strings.Contains(e.Detail, "tok-") || strings.Contains(err.Error(), "tok-") {
					t.Errorf("token leaked into error: %q / %q", e.Detail, err)
				}
			} else if err != nil || l.ServiceLevel.Status != "fullService" {
				t.Fatalf("Location = %+v, %v", l, err)
			}
			if n := f.fetches.Load(); n != 2 {
				t.Errorf("token fetches = %d, want 2", n)
			}
			if n := hits.Load(); n != 2 {
				t.Errorf("API calls = %d, want 2", n)
			}
		})
	}
}

func TestToken_errorCauses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   TokenCause
	}{
		{"invalid_client", 401, `{"error":"invalid_client","error_description":"Invalid value for 'client_id'"}`, CauseCredentialsRejected},
		{"bare 401", 401, ``, CauseCredentialsRejected},
		{"invalid_scope", 400, `{"error":"invalid_scope","error_description":"The requested scope is invalid"}`, CauseScope},
		{"invalid_grant", 400, `{"error":"invalid_grant"}`, CauseScope},
		{"unsupported_grant_type", 400, `{"error":"unsupported_grant_type"}`, CauseScope},
		{"invalid_request", 400, `{"error":"invalid_request"}`, CauseScope},
		{"bare 400", 400, `<html>bad</html>`, CauseScope},
		{"500", 500, `oops`, CauseUnreachable},
		{"503 html", 503, `<html>maintenance</html>`, CauseUnreachable},
		{"200 without token", 200, `{"token_type":"Bearer","expires_in":600}`, CauseBadResponse},
		{"200 garbage", 200, `not json`, CauseBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.tokenHandler = func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}
			err := f.client.Token(context.Background())
			e := wantKind(t, err, KindTokenFailed)
			if e.Cause != tt.want {
				t.Errorf("cause = %d, want %d (%v)", e.Cause, tt.want, err)
			}
			assertNoSecret(t, err)
		})
	}
}

func TestToken_unreachable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.Close() // connection refused
	e := wantKind(t, f.client.Token(context.Background()), KindTokenFailed)
	if e.Cause != CauseUnreachable {
		t.Errorf("cause = %d, want unreachable", e.Cause)
	}
	assertNoSecret(t, e)
}

func TestToken_sentExactly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	got := make(chan http.Header, 1)
	f.tokenHandler = func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
		_ = r.ParseForm()
		if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("scope") != "partnerId:"+testPartner+" role:partnerIdAdmin" {
			t.Errorf("form = %v", r.PostForm)
		}
		fmt.Fprint(w, `{"access_token":"abc","token_type":"Bearer","expires_in":"600"}`)
	}
	if err := f.client.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := <-got
	if h.Get("Authorization") != testHeader {
		t.Errorf("Authorization header altered: %q", h.Get("Authorization"))
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "application/x-www-form-urlencoded") {
		t.Errorf("Content-Type = %q", h.Get("Content-Type"))
	}
}

func TestToken_callerContextEnds(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	release := make(chan struct{})
	f.tokenHandler = func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		fmt.Fprint(w, `{"access_token":"abc","token_type":"Bearer","expires_in":600}`)
	}
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := f.client.Token(ctx)
	wantKind(t, err, KindTimeout)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want it to wrap context.Canceled", err)
	}
}

// assertNoSecret fails if the auth header (or its base64 part) or a token shows in err.
func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	texts := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
	var e *Error
	if errors.As(err, &e) {
		texts = append(texts, e.UserMessage(), e.Detail)
	}
	for _, s := range texts {
		for _, secret := range []string{testHeader, strings.TrimPrefix(testHeader, "Basic "), "tok-1", "top-secret"} {
			if strings.Contains(s, secret) {
				t.Errorf("secret %q in error text %q", secret, s)
			}
		}
	}
}
