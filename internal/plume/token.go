package plume

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"
)

// maxRenewMargin is how long before expiry a token is renewed, capped at half its lifetime so
// a 5-second token is used for 2.5 s instead of being refetched on every call.
const maxRenewMargin = 60 * time.Second

// defaultTokenLifetime is assumed when the SSO omits expires_in: Plume's minimum TTL.
const defaultTokenLifetime = 5 * time.Minute

// renewMargin is min(60s, lifetime/2).
func renewMargin(lifetime time.Duration) time.Duration {
	return min(maxRenewMargin, lifetime/2)
}

// ssoSource is an oauth2.TokenSource for Plume's Okta client-credentials flow. x/oauth2's
// clientcredentials builds its own Basic header from id and secret; Plume hands out the header
// itself, so it is sent exactly as given. Each call fetches: tokenCache decides when.
type ssoSource struct{ c *Client }

type oktaToken struct {
	AccessToken      string    `json:"access_token"`
	TokenType        string    `json:"token_type"`
	ExpiresIn        flexFloat `json:"expires_in"`
	Error            string    `json:"error"`
	ErrorDescription string    `json:"error_description"`
}

// Token fetches a new token. Its context is detached from any one caller because the result is
// shared by all of them; the fetch is bounded by Options.Timeout.
func (s ssoSource) Token() (*oauth2.Token, error) {
	c := s.c
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	start := time.Now()
	fetchedAt := c.now()
	tok, err := s.fetch(ctx, fetchedAt)
	d := time.Since(start)
	if c.observer != nil {
		c.observer.ObserveTokenFetch(err, d)
	}
	if err != nil {
		c.log.Warn("plume token fetch failed", "err", err, "duration", d)
		return nil, err
	}
	c.log.Debug("plume token fetched", "duration", d)
	return tok, nil
}

func (s ssoSource) fetch(ctx context.Context, fetchedAt time.Time) (*oauth2.Token, error) {
	c := s.c
	form := url.Values{
		"grant_type": {"client_credentials"},
		"scope":      {"partnerId:" + c.creds.PartnerID + " role:partnerIdAdmin"},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.creds.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, tokenError(CauseBadResponse, 0, "", nil)
	}
	req.Header.Set("Authorization", c.creds.AuthHeader.Reveal())
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		if te := transportError("token", err); te.Kind == KindTLS {
			return nil, te // not "unreachable": it answered, with a certificate we do not trust
		}
		return nil, tokenError(CauseUnreachable, 0, "", stripURL(err))
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		resp.Body.Close()
		e := tokenError(CauseRedirect, resp.StatusCode, "", nil)
		e.Detail = redirectTarget(resp)
		return nil, e
	}
	body, err := readBody(resp, c.maxBody)
	if err != nil {
		if resp.StatusCode >= 500 {
			return nil, tokenError(CauseUnreachable, resp.StatusCode, "", err)
		}
		return nil, tokenError(CauseBadResponse, resp.StatusCode, "", err)
	}
	var ot oktaToken
	jerr := json.Unmarshal(body, &ot)
	if resp.StatusCode != http.StatusOK || ot.Error != "" {
		return nil, tokenError(tokenCause(resp.StatusCode, ot.Error), resp.StatusCode, ot.Error, nil)
	}
	if jerr != nil || ot.AccessToken == "" {
		return nil, tokenError(CauseBadResponse, resp.StatusCode, "", nil)
	}
	if ot.TokenType != "" && !strings.EqualFold(ot.TokenType, "bearer") {
		return nil, tokenError(CauseBadResponse, resp.StatusCode, "unexpected token_type", nil)
	}
	lifetime := time.Duration(float64(ot.ExpiresIn.V) * float64(time.Second))
	if !ot.ExpiresIn.OK || lifetime <= 0 {
		lifetime = defaultTokenLifetime
	}
	use := lifetime - renewMargin(lifetime)
	return &oauth2.Token{
		AccessToken: ot.AccessToken,
		TokenType:   "Bearer",
		// When to renew, on Options.Now's clock (Token.Valid, which reads the wall clock, is
		// not used).
		Expiry: fetchedAt.Add(use),
	}, nil
}

// tokenCause maps Okta's error code, or else the HTTP status, to a TokenCause.
func tokenCause(status int, code string) TokenCause {
	switch code {
	case "invalid_client", "unauthorized_client", "access_denied":
		return CauseCredentialsRejected
	case "invalid_scope", "invalid_grant", "unsupported_grant_type", "invalid_request":
		return CauseScope
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return CauseCredentialsRejected
	case status == http.StatusBadRequest:
		return CauseScope
	case status >= 500 || status == http.StatusTooManyRequests:
		return CauseUnreachable
	}
	return CauseBadResponse
}

func tokenError(cause TokenCause, status int, code string, err error) *Error {
	e := &Error{Kind: KindTokenFailed, Endpoint: "token", Status: status, Cause: cause, Err: err}
	if code != "" {
		e.Detail = "SSO error: " + sanitize(code, 60)
	}
	return e
}

// tokenCache holds the access token all calls of a Client share. The common case, a token
// that is still good, costs a mutex and a clock read: no goroutine, no allocation. A missing or
// due token is fetched once through singleflight however many callers need it; each caller
// waits at most until its own context ends, while the fetch goes on for the others.
// (x/oauth2's ReuseTokenSource held its lock during the fetch, offered no context, so every
// call needed a goroutine to stay cancellable, and read only the wall clock.)
type tokenCache struct {
	mu     sync.Mutex
	tok    *oauth2.Token // nil until the first fetch and after a 401
	flight singleflight.Group
}

// valid returns the held token if it is not yet due at now.
func (tc *tokenCache) valid(now time.Time) *oauth2.Token {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.tok != nil && now.Before(tc.tok.Expiry) {
		return tc.tok
	}
	return nil
}

// token returns a valid access token, fetching one if needed and waiting at most until ctx ends.
func (c *Client) token(ctx context.Context) (*oauth2.Token, error) {
	if t := c.tok.valid(c.now()); t != nil {
		return t, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, ctxError("token", err)
	}
	select {
	case r := <-c.tok.flight.DoChan("token", c.renewToken):
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*oauth2.Token), nil
	case <-ctx.Done():
		return nil, ctxError("token", ctx.Err())
	}
}

// renewToken is the fetch behind the flight. singleflight forgets a flight when it ends, so a
// caller that found the token due just before another flight stored a new one starts a flight
// of its own: it must find that token here instead of fetching again.
func (c *Client) renewToken() (any, error) {
	if t := c.tok.valid(c.now()); t != nil {
		return t, nil
	}
	t, err := ssoSource{c}.Token()
	if err != nil {
		return nil, err
	}
	c.tok.mu.Lock()
	c.tok.tok = t
	c.tok.mu.Unlock()
	return t, nil
}

// dropToken forgets t after the API refused it, unless a newer token already replaced it.
func (c *Client) dropToken(t *oauth2.Token) {
	c.tok.mu.Lock()
	defer c.tok.mu.Unlock()
	if c.tok.tok == t {
		c.tok.tok = nil
	}
}

// Token makes sure a valid access token is held now, fetching one if needed: a live test of
// the credentials before a caller saves them.
func (c *Client) Token(ctx context.Context) error {
	_, err := c.token(ctx)
	return err
}
