package plume

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// wafWindow is the WAF's counting window: blocks lift at the next 5-minute boundary.
const wafWindow = 5 * time.Minute

// maxDetail caps the Plume-supplied text we pass on to users.
const maxDetail = 200

// loopbackError is Plume's (LoopBack) API error body.
type loopbackError struct {
	Error *struct {
		StatusCode int    `json:"statusCode"`
		Name       string `json:"name"`
		Message    string `json:"message"`
		Code       string `json:"code"`
	} `json:"error"`
}

// parseLoopback returns the error message of a LoopBack body, and whether the body is one.
func parseLoopback(body []byte) (string, bool) {
	var lb loopbackError
	if err := json.Unmarshal(body, &lb); err != nil || lb.Error == nil {
		return "", false
	}
	return sanitize(lb.Error.Message, maxDetail), true
}

// responseError is the one place an API response with a non-2xx status becomes an *Error.
func responseError(endpoint string, resp *http.Response, body []byte, now time.Time) *Error {
	st := resp.StatusCode
	e := &Error{Endpoint: endpoint, Status: st}
	msg, isLoopback := parseLoopback(body)
	e.Detail = msg
	switch {
	case st >= 300 && st < 400:
		e.Kind = KindRedirect
		e.Detail = redirectTarget(resp)
	case st == http.StatusUnauthorized:
		e.Kind = KindUnauthorized
	case st == http.StatusForbidden && isLoopback:
		e.Kind = KindForbidden
	case st == http.StatusForbidden:
		// A 403 without Plume's JSON error is the AWS WAF: blocked until the window rolls over.
		e.Kind = KindRateLimited
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), now)
		if e.RetryAfter == 0 {
			e.RetryAfter = now.Truncate(wafWindow).Add(wafWindow).Sub(now)
		}
		e.Detail = "WAF block"
	case st == http.StatusTooManyRequests:
		e.Kind = KindRateLimited
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), now)
	case st == http.StatusNotFound:
		e.Kind = KindNotFound
	case st == http.StatusBadRequest || st == http.StatusUnprocessableEntity:
		e.Kind = KindInvalidInput
		if msg == "" {
			msg = http.StatusText(st)
		}
		e.Detail = "Plume rejected the request: " + msg
	case st >= 500:
		e.Kind = KindUpstream
	default:
		e.Kind = KindUnknown
	}
	return e
}

// redirectTarget says where a 3xx answer pointed, for the error a person reads: scheme, host
// and path only. Userinfo, query and fragment are dropped: they may carry a token or a name.
func redirectTarget(resp *http.Response) string {
	loc, err := resp.Location() // resolved against the request's URL
	if err != nil {
		return "an address it did not give"
	}
	t := url.URL{Scheme: loc.Scheme, Host: loc.Host, Path: loc.Path}
	return sanitize(t.String(), maxDetail)
}

// retryAfter parses a Retry-After header (delay seconds or an HTTP date); 0 when absent/bad.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// transportError classifies a failed round trip (no response). The URL of a *url.Error is
// dropped (it may carry a user's search text); for a certificate that is not trusted its host
// is kept, to say which one.
func transportError(endpoint string, err error) *Error {
	if host, ok := untrustedCertificate(err); ok {
		return &Error{Kind: KindTLS, Endpoint: endpoint, Host: host, Err: stripURL(err)}
	}
	err = stripURL(err)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return ctxError(endpoint, err)
	}
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		return &Error{Kind: KindTimeout, Endpoint: endpoint, Err: err}
	}
	return &Error{Kind: KindNetwork, Endpoint: endpoint, Err: err}
}

// untrustedCertificate reports whether err is a TLS certificate verification failure, and the
// host of the request it failed.
func untrustedCertificate(err error) (host string, ok bool) {
	var (
		cv *tls.CertificateVerificationError
		ua x509.UnknownAuthorityError
		hn x509.HostnameError
		ci x509.CertificateInvalidError
	)
	if !errors.As(err, &cv) && !errors.As(err, &ua) && !errors.As(err, &hn) && !errors.As(err, &ci) {
		return "", false
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			host = u.Hostname()
		}
	}
	return host, true
}

// ctxError maps a context's end to KindTimeout (cancellation too: the caller gave up waiting).
func ctxError(endpoint string, err error) *Error {
	return &Error{Kind: KindTimeout, Endpoint: endpoint, Err: err}
}

func invalidResponse(endpoint string, status int, err error) *Error {
	return &Error{Kind: KindInvalidResponse, Endpoint: endpoint, Status: status, Err: err}
}

// sanitize makes Plume-supplied text safe to show: printable runes only, at most max runes.
func sanitize(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n >= max {
			b.WriteString("…")
			break
		}
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}
