package plumesim

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkHandler measures the simulator's own cost per request (no TLS, no network), so a
// load test can tell how much of its budget the fake Plume takes.
func BenchmarkHandler(b *testing.B) {
	s, err := Start(Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	tok := newToken()
	s.tokens[tok] = s.now().Add(s.tokenTTL)
	for _, bc := range []struct{ name, ds, suffix string }{
		{"location/healthy", "healthy", ""},
		{"nodes/healthy", "healthy", "/nodes"},
		{"devices/healthy", "healthy", "/devices"},
		{"devices/huge", "huge", "/devices"},
	} {
		l := s.info.Locations[bc.ds]
		req := httptest.NewRequest(http.MethodGet, "/api/Customers/"+l.CustomerID+"/locations/"+l.LocationID+bc.suffix, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				s.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
