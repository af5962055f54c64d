package plume

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Requests through a striped transport use several HTTP/2 connections, not one.
func TestStripedTransportUsesSeveralConnections(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	conns := map[string]bool{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
		if r.ProtoMajor != 2 {
			t.Errorf("protocol %s, want HTTP/2", r.Proto)
		}
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	base := srv.Client().Transport.(*http.Transport)
	c := &http.Client{Transport: StripedTransport(base, 3)}
	defer c.CloseIdleConnections()
	for range 9 {
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if len(conns) != 3 {
		t.Errorf("%d connections used, want 3", len(conns))
	}
	if StripedTransport(base, 1) != http.RoundTripper(base) {
		t.Error("n=1 should return the base transport")
	}
}
