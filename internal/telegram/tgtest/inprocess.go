package tgtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
)

// NewInProcess is a fake Bot API without a listener: its Client serves each request by
// calling the fake directly, in the caller's goroutine. It is for tests on a fake clock
// (testing/synctest), where nothing may wait on a real socket; the fake is the same in every
// other way (rules, rate limits, faults, refusals, waiting). Close is not needed.
func NewInProcess() *Server {
	s := newServer()
	s.URL = "http://tgtest.in-process"
	return s
}

// Client is the HTTP client that reaches this fake: LoopbackClient for a Server from New,
// the direct transport for one from NewInProcess.
func (s *Server) Client() *http.Client {
	if s.hs != nil {
		return LoopbackClient()
	}
	return &http.Client{Transport: inProcess{s}}
}

type inProcess struct{ s *Server }

func (t inProcess) RoundTrip(r *http.Request) (resp *http.Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			if p != errReset {
				panic(p)
			}
			resp, err = nil, fmt.Errorf("read tcp tgtest: %w", syscall.ECONNRESET)
		}
	}()
	// The handler may parse the form into the request: give it a copy of its own.
	sr := r.Clone(r.Context())
	if sr.Body == nil {
		sr.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	t.s.serve(rec, sr)
	_ = sr.Body.Close()
	return rec.Result(), nil
}
