package plume

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

const serial = "1HX2AB3CD4"

// actionCall is one action with the path and form Plume must receive.
type actionCall struct {
	name, method, path string
	form               url.Values
	status             int
	call               func(ctx context.Context, c *Client) (int, error)
}

func actionCalls() []actionCall {
	return []actionCall{
		{"reboot pod", "PUT", locPath + "/nodes/" + serial + "/reboot", url.Values{"delay": {"0"}}, 204,
			func(ctx context.Context, c *Client) (int, error) { return c.RebootNode(ctx, cid, lid, serial, 0) }},
		{"reboot location", "PUT", locPath + "/reboot", url.Values{"delay": {"30"}}, 204,
			func(ctx context.Context, c *Client) (int, error) {
				return c.RebootLocation(ctx, cid, lid, 30*time.Second)
			}},
		{"speed test", "POST", locPath + "/ispSpeedTest", url.Values{}, 200,
			func(ctx context.Context, c *Client) (int, error) { return c.StartISPSpeedTest(ctx, cid, lid) }},
		{"optimize", "POST", locPath + "/optimize", url.Values{}, 200,
			func(ctx context.Context, c *Client) (int, error) { return c.Optimize(ctx, cid, lid) }},
	}
}

func TestClient_actions(t *testing.T) {
	t.Parallel()
	for _, a := range actionCalls() {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			client, mux, teardown := setup(t)
			defer teardown()
			var calls atomic.Int32
			mux.HandleFunc(a.path, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				testMethod(t, r, a.method)
				testHeaders(t, r)
				if err := r.ParseForm(); err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(r.PostForm) != fmt.Sprint(a.form) {
					t.Errorf("form = %v, want %v", r.PostForm, a.form)
				}
				// Plume's bodies differ per action (204, a JSON string): none is read.
				if a.method == "POST" {
					fmt.Fprint(w, `"OK"`)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			})
			if status, err := a.call(context.Background(), client); err != nil || status != a.status {
				t.Fatalf("status %d, err %v; want %d", status, err, a.status)
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("calls = %d, want 1", n)
			}
		})
	}
}

func TestClient_actionsValidateBeforeSending(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var hits atomic.Int32
	f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	ctx := context.Background()
	calls := map[string]func() error{
		"pod serial slash":    func() error { _, err := f.client.RebootNode(ctx, cid, lid, "1HX/../reboot", 0); return err },
		"pod serial empty":    func() error { _, err := f.client.RebootNode(ctx, cid, lid, "", 0); return err },
		"pod bad location":    func() error { _, err := f.client.RebootNode(ctx, cid, "../"+lid[3:], serial, 0); return err },
		"negative delay":      func() error { _, err := f.client.RebootNode(ctx, cid, lid, serial, -time.Second); return err },
		"fractional delay":    func() error { _, err := f.client.RebootLocation(ctx, cid, lid, 1500*time.Millisecond); return err },
		"delay too long":      func() error { _, err := f.client.RebootLocation(ctx, cid, lid, MaxRebootDelay+time.Second); return err },
		"location short ID":   func() error { _, err := f.client.RebootLocation(ctx, cid[:23], lid, 0); return err },
		"speed test non-hex":  func() error { _, err := f.client.StartISPSpeedTest(ctx, "zz"+cid[2:], lid); return err },
		"optimize empty":      func() error { _, err := f.client.Optimize(ctx, cid, ""); return err },
		"optimize %2F escape": func() error { _, err := f.client.Optimize(ctx, "64f0c1a2b3c4d5e6f7a8b%2F", lid); return err },
	}
	for name, call := range calls {
		err := call()
		e := wantKind(t, err, KindInvalidInput)
		if e.Status != 0 || e.UserMessage() == "" {
			t.Errorf("%s: %+v, want a validation error with its text", name, e)
		}
	}
	_, err := f.client.RebootLocation(ctx, cid, lid, MaxRebootDelay+time.Second)
	e := wantKind(t, err, KindInvalidInput)
	if want := "The reboot delay must be whole seconds from 0 to 100000."; e.UserMessage() != want {
		t.Errorf("delay message = %q, want %q", e.UserMessage(), want)
	}
	if n := hits.Load() + f.fetches.Load(); n != 0 {
		t.Errorf("%d requests sent for invalid input", n)
	}
}

// Each refusal Plume can give an action becomes its kind and words an agent can act on, and
// no action is ever sent twice: a 503 or a timeout may hide a reboot that happened.
func TestClient_actionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		advance time.Duration
		handler func(w http.ResponseWriter)
		kind    Kind
		msg     string // UserMessage of the pod reboot
	}{
		{"403 not allowed", 0, func(w http.ResponseWriter) {
			w.WriteHeader(403)
			fmt.Fprint(w, `{"error":{"statusCode":403,"message":"Authorization Required","code":"AUTHORIZATION_REQUIRED"}}`)
		}, KindForbidden, "Plume says these credentials may not do this (403)."},
		{"404 pod not here", 0, func(w http.ResponseWriter) {
			w.WriteHeader(404)
			fmt.Fprint(w, `{"error":{"statusCode":404,"message":"Node not found"}}`)
		}, KindNotFound, "Plume says this pod is not in this location any more (404)."},
		{"422 bad parameters", 0, func(w http.ResponseWriter) {
			w.WriteHeader(422)
			fmt.Fprint(w, `{"error":{"statusCode":422,"message":"delay must be between 0 and 100000"}}`)
		}, KindInvalidInput, "Plume refused the request's parameters (422). delay must be between 0 and 100000"},
		{"422 without a message", 0, func(w http.ResponseWriter) { w.WriteHeader(422) },
			KindInvalidInput, "Plume refused the request's parameters (422)."},
		{"WAF 403 mid-window", 200 * time.Second, func(w http.ResponseWriter) {
			w.WriteHeader(403)
			fmt.Fprint(w, `<html><body>403 Forbidden</body></html>`)
		}, KindRateLimited, "Plume is rate-limiting requests; try again in 100 s."},
		{"503 not retried", 0, func(w http.ResponseWriter) { w.WriteHeader(503) },
			KindUpstream, "Plume had an internal error (503): it may or may not have been done. Check before trying again."},
		{"502 not retried", 0, func(w http.ResponseWriter) { w.WriteHeader(502) },
			KindUpstream, "Plume had an internal error (502): it may or may not have been done. Check before trying again."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.clock.Advance(tt.advance)
			var calls atomic.Int32
			f.mux.HandleFunc(locPath+"/nodes/"+serial+"/reboot", func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				tt.handler(w)
			})
			status, err := f.client.RebootNode(context.Background(), cid, lid, serial, 0)
			e := wantKind(t, err, tt.kind)
			if status != e.Status || status == 0 {
				t.Errorf("status = %d, error's status %d", status, e.Status)
			}
			if e.Endpoint != EndpointRebootNode {
				t.Errorf("endpoint = %q", e.Endpoint)
			}
			if got := e.UserMessage(); got != tt.msg {
				t.Errorf("UserMessage = %q\nwant %q", got, tt.msg)
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("calls = %d, want exactly 1", n)
			}
			assertNoSecret(t, err)
		})
	}
}

func TestClient_actionErrorsNameTheirTarget(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.mux.HandleFunc(locPath+"/reboot", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		fmt.Fprint(w, `{"error":{"statusCode":404,"message":"Location not found"}}`)
	})
	_, err := f.client.RebootLocation(context.Background(), cid, lid, 0)
	if got, want := wantKind(t, err, KindNotFound).UserMessage(), "Plume does not know this customer or location (404)."; got != want {
		t.Errorf("UserMessage = %q, want %q", got, want)
	}
	// A read's 404 keeps the read's words.
	f.mux.HandleFunc(locPath, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404) })
	_, err = f.client.Location(context.Background(), cid, lid)
	if got := wantKind(t, err, KindNotFound).UserMessage(); got != "Plume does not know this customer, location or node (404). Check the IDs." {
		t.Errorf("read UserMessage = %q", got)
	}
}

func TestClient_actionTimeoutNotRetried(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(o *Options) { o.Timeout = time.Second })
	release := make(chan struct{})
	defer close(release)
	var calls atomic.Int32
	f.mux.HandleFunc(locPath+"/optimize", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	status, err := f.client.Optimize(context.Background(), cid, lid)
	e := wantKind(t, err, KindTimeout)
	if status != 0 {
		t.Errorf("status = %d after a timeout", status)
	}
	if want := "Plume did not confirm the request in time: it may or may not have been done. Check before trying again."; e.UserMessage() != want {
		t.Errorf("UserMessage = %q", e.UserMessage())
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("calls = %d, want 1", n)
	}
}

// A connection that breaks after the request was sent may hide a reboot that happened; one
// that never opened carried nothing.
func TestClient_actionConnectionErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var calls atomic.Int32
	f.mux.HandleFunc(locPath+"/reboot", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.Close()
	})
	status, err := f.client.RebootLocation(context.Background(), cid, lid, 0)
	e := wantKind(t, err, KindNetwork)
	if want := "The connection to Plume broke: it may or may not have been done. Check before trying again."; status != 0 || e.UserMessage() != want {
		t.Errorf("status %d, UserMessage = %q\nwant %q", status, e.UserMessage(), want)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("calls = %d, want 1", n)
	}

	f.srv.Close() // nothing listens any more
	_, err = f.client.Optimize(context.Background(), cid, lid)
	if got, want := wantKind(t, err, KindNetwork).UserMessage(), "Plume could not be reached: nothing was sent. Try again."; got != want {
		t.Errorf("UserMessage = %q\nwant %q", got, want)
	}
}

// A 401 means Plume refused the request before acting: one retry with a new token is safe.
func TestClient_actionRetriedOnceAfter401(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var calls atomic.Int32
	f.mux.HandleFunc(locPath+"/ispSpeedTest", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(401)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	if status, err := f.client.StartISPSpeedTest(context.Background(), cid, lid); err != nil || status != 204 {
		t.Fatalf("status %d, err %v", status, err)
	}
	if n, tokens := calls.Load(), f.fetches.Load(); n != 2 || tokens != 2 {
		t.Errorf("calls = %d, tokens = %d; want 2 and 2", n, tokens)
	}
}
