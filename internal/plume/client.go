package plume

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"plumebot/internal/secret"
)

const (
	userAgent      = "plumebot/1"
	defaultTimeout = 10 * time.Second
	// maxBodyBytes caps every response body we read: the biggest real payloads (devices of a
	// large location) are a few hundred KiB.
	maxBodyBytes = 8 << 20
	maxRetries   = 2
	retryBase    = 100 * time.Millisecond
)

// Options tune a Client. The zero value is usable.
type Options struct {
	HTTPClient   *http.Client     // default: a shared client with a tuned transport (TLS always verified); its redirect policy is replaced (see noRedirects)
	Timeout      time.Duration    // per HTTP attempt; default 10s (PLUME_TIMEOUT)
	Limits       *HostLimits      // shared per-host API rate limits; nil = a process-wide NewHostLimits(6, 6); see HostLimits.wait for the error kinds
	Observer     Observer         // optional metrics hook
	AllowedHosts []string         // if non-nil, NewClient checks the hosts of TokenURL/APIBase/ReportsBase
	Now          func() time.Time // clock for token expiry and WAF windows; default time.Now
	Logger       *slog.Logger     // default: slog.Default()
}

// Observer receives one call per HTTP attempt and per token fetch, for metrics.
type Observer interface {
	ObserveRequest(endpoint string, status int, d time.Duration) // status 0 = transport error
	ObserveTokenFetch(err error, d time.Duration)
}

// Client calls the Plume Cloud API with one set of credentials. It is safe for concurrent use.
type Client struct {
	creds    Credentials
	http     *http.Client
	timeout  time.Duration
	limits   *HostLimits
	observer Observer
	now      func() time.Time
	log      *slog.Logger
	api      *url.URL
	reports  *url.URL
	tok      tokenCache
	maxBody  int64 // response body cap; maxBodyBytes except in tests
}

var defaultHTTPClient = sync.OnceValue(func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 100
	t.MaxIdleConnsPerHost = 32
	t.ResponseHeaderTimeout = 30 * time.Second
	return &http.Client{Transport: StripedTransport(t, 4)}
})

// noRedirects returns a copy of hc that never follows a redirect: every request of a Client
// carries a credential (the Basic header to the SSO, the bearer token to the API), and Go
// would send it on to a 307's target, http:// or another allowed-or-not host alike. Plume's
// token and API endpoints do not redirect, so a 3xx is answered to the caller as an error
// (KindRedirect, or KindTokenFailed with CauseRedirect) that says where it pointed.
func noRedirects(hc *http.Client) *http.Client {
	cp := *hc
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

// NewClient checks creds (https URLs, allowed hosts, partner ID, header) and returns a client.
// Nothing is sent until the first call.
func NewClient(creds Credentials, opts Options) (*Client, error) {
	if creds.APIBase == "" {
		creds.APIBase = DefaultAPIBase
	}
	creds.APIBase = strings.TrimRight(strings.TrimSpace(creds.APIBase), "/")
	if creds.ReportsBase == "" {
		creds.ReportsBase = DefaultReportsBase(creds.APIBase)
	}
	creds.ReportsBase = strings.TrimRight(strings.TrimSpace(creds.ReportsBase), "/")
	creds.TokenURL = strings.TrimSpace(creds.TokenURL)
	for _, f := range []struct{ name, url string }{
		{"token URL", creds.TokenURL}, {"API base", creds.APIBase}, {"reports base", creds.ReportsBase},
	} {
		if err := ValidateURL(f.url, opts.AllowedHosts); err != nil {
			e := err.(*Error)
			e.Detail = "Plume " + f.name + ": " + e.Detail
			return nil, e
		}
	}
	if err := ValidatePartnerID(creds.PartnerID); err != nil {
		return nil, err
	}
	if err := ValidateAuthHeader(creds.AuthHeader.Reveal()); err != nil {
		return nil, err
	}
	api, _ := url.Parse(creds.APIBase)
	reports, _ := url.Parse(creds.ReportsBase)
	c := &Client{
		creds:    creds,
		http:     opts.HTTPClient,
		timeout:  opts.Timeout,
		limits:   opts.Limits,
		observer: opts.Observer,
		now:      opts.Now,
		log:      opts.Logger,
		api:      api,
		reports:  reports,
		maxBody:  maxBodyBytes,
	}
	if c.http == nil {
		c.http = defaultHTTPClient()
	}
	c.http = noRedirects(c.http)
	if c.timeout <= 0 {
		c.timeout = defaultTimeout
	}
	if c.limits == nil {
		c.limits = defaultLimits()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c, nil
}

// request describes one logical API call.
type request struct {
	endpoint string
	method   string
	reports  bool       // Reports API base instead of the customer API base
	segments []string   // path segments, escaped here
	query    url.Values // optional
	form     url.Values // POST body (urlencoded), optional
	once     bool       // a write (actions.go): never retried after it may have reached Plume
}

func (r *request) url(c *Client) string {
	base := c.api
	if r.reports {
		base = c.reports
	}
	var b strings.Builder
	b.WriteString(base.String())
	for _, s := range r.segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	if len(r.query) > 0 {
		b.WriteByte('?')
		b.WriteString(r.query.Encode())
	}
	return b.String()
}

// do performs r with a token, refreshing it once on a 401, and returns the 2xx body.
func (c *Client) do(ctx context.Context, r *request) ([]byte, int, error) {
	retried401 := false
	for {
		tok, err := c.token(ctx)
		if err != nil {
			return nil, 0, err
		}
		body, status, err := c.send(ctx, r, "Bearer "+tok.AccessToken)
		var e *Error
		if errors.As(err, &e) && e.Kind == KindUnauthorized && !retried401 {
			// The token may have been revoked or expired early: drop it, get one new one, retry once.
			retried401 = true
			c.dropToken(tok)
			continue
		}
		return body, status, err
	}
}

// get performs r (a read, whatever its method) and decodes the 2xx body with decode. Every
// endpoint goes through it: the error of the request as is, a body decode refuses as
// KindInvalidResponse naming the endpoint.
func get[T any](ctx context.Context, c *Client, r *request, decode func([]byte) (T, error)) (T, error) {
	body, status, err := c.do(ctx, r)
	if err != nil {
		var zero T
		return zero, err
	}
	if n, ok := ctx.Value(bodySizeKey{}).(*atomic.Int64); ok {
		n.Add(int64(len(body)))
	}
	v, err := decode(body)
	if err != nil {
		var zero T
		return zero, invalidResponse(r.endpoint, status, err)
	}
	return v, nil
}

type bodySizeKey struct{}

// WithBodySize returns a context under which every read adds to n the length in bytes of the
// response body it decodes (after any Content-Encoding): how a cache weighs what it keeps
// without encoding the value again.
func WithBodySize(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, bodySizeKey{}, n)
}

// send performs r, retrying reads (not writes) on 502/503/504 and network errors with
// jittered exponential backoff while the context's deadline allows.
func (c *Client) send(ctx context.Context, r *request, auth string) ([]byte, int, error) {
	u := r.url(c)
	host := strings.ToLower(c.api.Host)
	if r.reports {
		host = strings.ToLower(c.reports.Host)
	}
	for attempt := 0; ; attempt++ {
		if err := c.limits.wait(ctx, r.endpoint, host); err != nil {
			return nil, 0, err
		}
		body, status, err := c.attempt(ctx, r, u, auth)
		if err == nil || r.once || attempt >= maxRetries || !retryable(err) {
			return body, status, err
		}
		d := backoff(attempt)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
			return body, status, err
		}
		c.log.Debug("plume retry", "endpoint", r.endpoint, "attempt", attempt+1, "err", err)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, 0, ctxError(r.endpoint, ctx.Err())
		}
	}
}

func retryable(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Kind {
	case KindNetwork:
		return true
	case KindUpstream:
		return e.Status == http.StatusBadGateway || e.Status == http.StatusServiceUnavailable ||
			e.Status == http.StatusGatewayTimeout
	}
	return false
}

// backoff is retryBase·2^attempt, ±50% jitter.
func backoff(attempt int) time.Duration {
	d := retryBase << attempt
	return d/2 + rand.N(d)
}

// attempt is one HTTP round trip, bounded by the per-request timeout.
func (c *Client) attempt(ctx context.Context, r *request, u, auth string) ([]byte, int, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body io.Reader
	if r.form != nil {
		body = strings.NewReader(r.form.Encode())
	}
	req, err := http.NewRequestWithContext(actx, r.method, u, body)
	if err != nil {
		return nil, 0, invalidInput(fmt.Sprintf("could not build the %s request", r.endpoint))
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if r.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.observe(r.endpoint, 0, time.Since(start))
		if ctx.Err() != nil {
			return nil, 0, ctxError(r.endpoint, ctx.Err())
		}
		return nil, 0, transportError(r.endpoint, err)
	}
	data, rerr := readBody(resp, c.maxBody)
	c.observe(r.endpoint, resp.StatusCode, time.Since(start))
	if rerr != nil {
		var e *Error
		if errors.As(rerr, &e) {
			e.Endpoint, e.Status = r.endpoint, resp.StatusCode
			return nil, resp.StatusCode, e
		}
		return nil, resp.StatusCode, transportError(r.endpoint, rerr)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := responseError(r.endpoint, resp, data, c.now())
		// Plume may echo what it was sent; the token never goes further than this function.
		e.Detail = strings.ReplaceAll(e.Detail, strings.TrimPrefix(auth, "Bearer "), secret.Redacted)
		c.log.Debug("plume error response", "endpoint", r.endpoint, "status", resp.StatusCode, "kind", e.Kind)
		return nil, resp.StatusCode, e
	}
	return data, resp.StatusCode, nil
}

func (c *Client) observe(endpoint string, status int, d time.Duration) {
	if c.observer != nil {
		c.observer.ObserveRequest(endpoint, status, d)
	}
}

// stripURL drops the URL from a *url.Error: it may carry a user's search text.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// readBody reads at most limit bytes; a bigger body is KindInvalidResponse.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	defer resp.Body.Close()
	var buf bytes.Buffer
	if resp.ContentLength > 0 && resp.ContentLength <= limit {
		buf.Grow(int(resp.ContentLength))
	}
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, transportError("", err)
	}
	if n > limit {
		return nil, &Error{Kind: KindInvalidResponse, Detail: "response body too large"}
	}
	return buf.Bytes(), nil
}
