package plume

import (
	"net/http"
	"sync/atomic"
)

// StripedTransport spreads requests round-robin over n copies of base, each with its own
// connections. One HTTP/2 connection carries every stream through one reader and one writer
// goroutine, and when a burst passes the server's stream limit Go dials new connections all
// at once (a storm of TLS handshakes); n connections share the load instead. In plumebench,
// 100 simultaneous cold /health (400 Plume calls): p50 261 → 147 ms, CPU 457 → 145 ms.
func StripedTransport(base *http.Transport, n int) http.RoundTripper {
	if n < 2 {
		return base
	}
	s := &stripedTransport{ts: make([]*http.Transport, n)}
	for i := range s.ts {
		s.ts[i] = base.Clone()
	}
	return s
}

type stripedTransport struct {
	next atomic.Uint64
	ts   []*http.Transport
}

func (s *stripedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return s.ts[s.next.Add(1)%uint64(len(s.ts))].RoundTrip(r)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach every stripe.
func (s *stripedTransport) CloseIdleConnections() {
	for _, t := range s.ts {
		t.CloseIdleConnections()
	}
}
