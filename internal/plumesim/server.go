// Package plumesim simulates Plume Cloud's partner API (Okta-style SSO, /api, /reports) over
// HTTPS with deterministic datasets, counters and fault injection, for tests, demos and load tests.
package plumesim

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a simulator. The zero value is usable.
type Options struct {
	TokenTTL     time.Duration    // expires_in of issued tokens; default 30m
	Latency      time.Duration    // added to every API/reports call (not the token endpoint); default 0
	TokenLatency time.Duration    // added to the token endpoint
	Now          func() time.Time // clock for dataset timestamps (whole seconds) and token expiry; default time.Now
	Logger       *slog.Logger     // nil = discard
	Addr         string           // default "127.0.0.1:0"
}

// Fault is injected into the requests of one logical endpoint (see SetFault).
type Fault struct {
	Latency   time.Duration
	Status    int  // answer this status (with a LoopBack error body for 4xx/5xx JSON statuses)
	Times     int  // apply Status/Malformed only to the next N requests (0 = always)
	Malformed bool // 200 with a truncated/garbage body
	WAFAfter  int  // after N requests within WAFWindow, answer 403 with an HTML body (AWS WAF style)
	WAFWindow time.Duration
}

// Info is what a client needs to talk to the simulator; it is also the --info-out JSON.
type Info struct {
	SSOURL      string                  `json:"sso_url"`
	APIBase     string                  `json:"api_base"`
	ReportsBase string                  `json:"reports_base"`
	AuthHeader  string                  `json:"auth_header"`
	PartnerID   string                  `json:"partner_id"`
	Locations   map[string]LocationInfo `json:"locations"`   // by dataset name
	ControlURL  string                  `json:"control_url"` // base of the control endpoints (control.go), not Plume's
}

// LocationInfo names one dataset's location.
type LocationInfo struct {
	CustomerID  string `json:"customer_id"`
	LocationID  string `json:"location_id"`
	Description string `json:"description"` // what it shows, one line
	NodeSerial  string `json:"node_serial"` // serial of its gateway pod (for /node)
	Email       string `json:"email"`       // the customer's email (for /find)
}

// AuthHeader is the simulator's fixed "Basic base64(clientId:clientSecret)" header.
var AuthHeader = "Basic " + base64.StdEncoding.EncodeToString([]byte(ClientID+":"+ClientSecret))

// defaultWAFWindow is Plume's documented WAF window (2000 requests per 5 minutes per IP).
const defaultWAFWindow = 5 * time.Minute

type faultState struct {
	Fault
	used int         // requests that got Status/Malformed, for Times
	hits []time.Time // request times within the WAF window
}

// Server is a running simulator.
type Server struct {
	log    *slog.Logger
	now    func() time.Time
	srv    *http.Server
	caPEM  []byte
	pool   *x509.CertPool
	client *http.Client
	info   Info
	served chan struct{}

	cacheMu  sync.Mutex
	cacheSec int64
	cache    map[string][]byte // rendered bodies for the current second

	mu           sync.Mutex
	tokens       map[string]time.Time // access token → expiry
	tokenTTL     time.Duration
	latency      time.Duration
	tokenLatency time.Duration
	faults       map[string]*faultState
	counts       map[string]int
	total        int
	tokenFetches int

	acts   actionState // actions.go: reboots, speed tests and the action log
	clones cloneState  // clones.go: datasets served again under other IDs
	ctl    liveState   // control.go: locations and pods taken down and up
}

// Start listens on opts.Addr and serves HTTPS until Close.
func Start(opts Options) (*Server, error) {
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 30 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	tlsCfg, caPEM, pool, err := newTLS()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("plumesim: listen: %w", err)
	}
	s := &Server{
		log: opts.Logger, now: opts.Now, caPEM: caPEM, pool: pool, served: make(chan struct{}),
		tokens: map[string]time.Time{}, tokenTTL: opts.TokenTTL, latency: opts.Latency,
		tokenLatency: opts.TokenLatency, faults: map[string]*faultState{}, counts: map[string]int{},
	}
	s.info = makeInfo(baseURL(ln.Addr().(*net.TCPAddr)))
	s.client = &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     tlsCfg.Clone(),
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 64,
		},
	}
	s.client.Transport.(*http.Transport).TLSClientConfig.Certificates = nil
	s.client.Transport.(*http.Transport).TLSClientConfig.RootCAs = pool
	s.srv = &http.Server{
		Handler:           s,
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelDebug),
	}
	go func() {
		defer close(s.served)
		if err := s.srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("plumesim: serve", "err", err)
		}
	}()
	s.log.Info("plumesim listening", "api_base", s.info.APIBase)
	return s, nil
}

// baseURL turns the listener address into a URL the certificate covers.
func baseURL(a *net.TCPAddr) string {
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "127.0.0.1" // listening on all interfaces: loopback is what the certificate covers
	}
	return "https://" + net.JoinHostPort(host, strconv.Itoa(a.Port))
}

func makeInfo(base string) Info {
	in := Info{
		SSOURL:      base + "/oauth2/" + AuthServerID + "/v1/token",
		APIBase:     base + "/api",
		ReportsBase: base + "/reports",
		AuthHeader:  AuthHeader,
		PartnerID:   PartnerID,
		Locations:   map[string]LocationInfo{},
		ControlURL:  base + strings.TrimSuffix(ControlPrefix, "/"),
	}
	for _, name := range datasetOrder {
		d := datasets[name]
		in.Locations[name] = LocationInfo{
			CustomerID: d.CustomerID, LocationID: d.LocationID, Description: d.Description,
			NodeSerial: d.Pods[0].Serial, Email: d.Email,
		}
	}
	return in
}

// Close stops the server at once and waits for its serve loop to end.
func (s *Server) Close() {
	_ = s.srv.Close()
	<-s.served
	s.client.CloseIdleConnections()
}

// Info returns URLs, credentials and dataset IDs.
func (s *Server) Info() Info {
	in := s.info
	in.Locations = make(map[string]LocationInfo, len(s.info.Locations))
	for k, v := range s.info.Locations {
		in.Locations[k] = v
	}
	return in
}

// CACertPEM returns the PEM of the CA that signed the server certificate.
func (s *Server) CACertPEM() []byte { return append([]byte(nil), s.caPEM...) }

// CertPool returns a pool holding the simulator's CA.
func (s *Server) CertPool() *x509.CertPool { return s.pool.Clone() }

// Client returns an HTTP client that trusts the simulator's CA.
func (s *Server) Client() *http.Client { return s.client }

// TokenFetches is the number of tokens issued so far.
func (s *Server) TokenFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenFetches
}

// Requests counts requests per logical endpoint name ("token" included); "" counts every
// API and reports request, including unknown paths.
func (s *Server) Requests(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if endpoint == "" {
		return s.total
	}
	return s.counts[endpoint]
}

// ResetCounters zeroes request and token counters.
func (s *Server) ResetCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
	s.total = 0
	s.tokenFetches = 0
}

// RevokeTokens makes every issued token unknown (401).
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]time.Time{}
}

// SetFault injects f into an endpoint by logical name, "*" for every API and reports endpoint
// without a fault of its own, or "token" for the SSO endpoint. It replaces any earlier fault.
func (s *Server) SetFault(endpoint string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[endpoint] = &faultState{Fault: f}
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[string]*faultState{}
}

// SetLatency changes the latency added to API and reports calls.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetTokenTTL changes the lifetime of tokens issued from now on.
func (s *Server) SetTokenTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenTTL = d
}

type action int

const (
	actNone action = iota
	actStatus
	actMalformed
	actWAF
)

// admit counts a request and decides its fault: the latency to add and what to answer instead.
func (s *Server) admit(endpoint string, isToken bool) (time.Duration, action, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[endpoint]++
	lat := s.tokenLatency
	fs := s.faults[endpoint]
	if !isToken {
		s.total++
		lat = s.latency
		if fs == nil {
			fs = s.faults["*"]
		}
	}
	if fs == nil {
		return lat, actNone, 0
	}
	lat += fs.Latency
	if fs.WAFAfter > 0 {
		win := fs.WAFWindow
		if win <= 0 {
			win = defaultWAFWindow
		}
		now := s.now()
		kept := fs.hits[:0]
		for _, t := range fs.hits {
			if now.Sub(t) < win {
				kept = append(kept, t)
			}
		}
		fs.hits = append(kept, now)
		if len(fs.hits) > fs.WAFAfter {
			return lat, actWAF, http.StatusForbidden
		}
	}
	if (fs.Status != 0 || fs.Malformed) && (fs.Times == 0 || fs.used < fs.Times) {
		fs.used++
		if fs.Malformed {
			return lat, actMalformed, http.StatusOK
		}
		return lat, actStatus, fs.Status
	}
	return lat, actNone, 0
}

// sleep waits d or until the request is abandoned; false means abandoned.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// statusWriter records the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP routes SSO, API and reports requests. The Authorization header is never logged.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	endpoint := s.serve(sw, r)
	s.log.Debug("plumesim request", "method", r.Method, "path", r.URL.Path, "endpoint", endpoint, "status", sw.status)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) string {
	if s.control(w, r) {
		return "control"
	}
	if segs := splitPath(r.URL.Path); len(segs) > 0 && eq(segs[0], "oauth2") {
		lat, act, status := s.admit("token", true)
		if !sleep(r.Context(), lat) {
			return "token"
		}
		if act != actNone {
			writeFault(w, act, status, true)
			return "token"
		}
		s.serveToken(w, r, segs)
		return "token"
	}
	r.URL.Path = s.clones.unalias(r.URL.Path)
	rt, params := match(r.URL.Path)
	name := ""
	if rt != nil {
		name = rt.name
	}
	lat, act, status := s.admit(name, false)
	if !sleep(r.Context(), lat) {
		return name
	}
	if act != actNone {
		writeFault(w, act, status, false)
		return name
	}
	if !s.authorized(r) {
		writeLoopBack(w, http.StatusUnauthorized, "Authorization Required", "AUTHORIZATION_REQUIRED")
		return name
	}
	if rt == nil || r.Method != rt.method {
		writeLoopBack(w, http.StatusNotFound, fmt.Sprintf("There is no method to handle %s %s", r.Method, r.URL.Path), "NOT_FOUND")
		return name
	}
	rt.handle(s, w, r, params)
	return name
}

// oktaCodes are the Okta error codes a token-endpoint fault answers with, by status.
var oktaCodes = map[int]string{400: "invalid_request", 401: "invalid_client", 403: "access_denied",
	500: "server_error", 502: "server_error", 503: "temporarily_unavailable", 504: "temporarily_unavailable"}

func writeFault(w http.ResponseWriter, act action, status int, okta bool) {
	switch act {
	case actWAF:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n</body>\r\n</html>\r\n")
	case actMalformed:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"nodes":[{"id":"1HX2AB3CD4","nickname":"Liv`+"\x00\xff")
	case actStatus:
		switch {
		case status < 400:
			w.WriteHeader(status)
		case okta:
			code := oktaCodes[status]
			if code == "" {
				code = "server_error"
			}
			writeOkta(w, status, code, "Simulated fault")
		default:
			writeLoopBack(w, status, "Simulated fault", "SIMULATED_FAULT")
		}
	}
}

// writeCached answers 200 with body rendered at the current second. Bodies are cached for that
// second: a load test asks for the same few bodies thousands of times a second, and rendering
// the huge dataset costs milliseconds of the CPU the bot under test needs.
func (s *Server) writeCached(w http.ResponseWriter, key string, body func(now time.Time) any) {
	now := s.now().UTC().Truncate(time.Second)
	s.cacheMu.Lock()
	if s.cacheSec != now.Unix() || s.cache == nil {
		s.cacheSec, s.cache = now.Unix(), map[string][]byte{}
	}
	b, ok := s.cache[key]
	s.cacheMu.Unlock()
	if !ok {
		var err error
		if b, err = json.Marshal(body(now)); err != nil { // only our own values: a bug here
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		s.cacheMu.Lock()
		if s.cacheSec == now.Unix() {
			s.cache[key] = b
		}
		s.cacheMu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b)
}
