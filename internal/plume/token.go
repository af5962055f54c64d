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
)

// maxRenewMargin is how long before expiry a token is renewed, capped at half its lifetime so
// a 5-second token is used for 2.5 s instead of being refetched on every call.
const maxRenewMargin = 60 * time.Second

// defaultTokenLifetime is assumed when the SSO omits expires_in: Plume's minimum TTL.
const defaultTokenLifetime = 5 * time.Minute

// refreshAtKey carries, in the token's extra data, when (by Options.Now) it must be renewed.
const refreshAtKey = "plumebot.refreshAt"

// renewMargin is min(60s, lifetime/2).
func renewMargin(lifetime time.Duration) time.Duration {
	return min(maxRenewMargin, lifetime/2)
}

// ssoSource is an oauth2.TokenSource for Plume's Okta client-credentials flow. x/oauth2's
// clientcredentials builds its own Basic header from id and secret; Plume hands out the header
// itself, so it is sent exactly as given.
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
		return nil, tokenError(CauseUnreachable, 0, "", stripURL(err))
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
	t := &oauth2.Token{
		AccessToken: ot.AccessToken,
		TokenType:   "Bearer",
		// x/oauth2 checks expiry with the real clock; Options.Now is checked in Client.token.
		Expiry: time.Now().Add(use),
	}
	return t.WithExtra(map[string]any{refreshAtKey: fetchedAt.Add(use)}), nil
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

// tokenState holds the shared, reusable token source. Dropping a token (after a 401 or when
// Options.Now says it is due) replaces the source, so the next caller fetches a new one while
// concurrent callers still share that single fetch through x/oauth2's mutex.
type tokenState struct {
	mu  sync.Mutex
	src oauth2.TokenSource
}

func (c *Client) newReuseSource() oauth2.TokenSource {
	// Expiry is already moved earlier by renewMargin (it depends on each token's lifetime);
	// a non-zero earlyExpiry keeps x/oauth2 from adding its own fixed 10 s margin.
	return oauth2.ReuseTokenSourceWithExpiry(nil, ssoSource{c}, time.Nanosecond)
}

func (c *Client) currentSource() oauth2.TokenSource {
	c.tok.mu.Lock()
	defer c.tok.mu.Unlock()
	return c.tok.src
}

// dropToken forgets the token held by src, unless another caller already replaced it.
func (c *Client) dropToken(src oauth2.TokenSource) {
	c.tok.mu.Lock()
	defer c.tok.mu.Unlock()
	if c.tok.src == src {
		c.tok.src = c.newReuseSource()
	}
}

// token returns a valid access token and the source it came from, waiting at most until ctx ends.
func (c *Client) token(ctx context.Context) (*oauth2.Token, oauth2.TokenSource, error) {
	for range 2 {
		src := c.currentSource()
		type result struct {
			t   *oauth2.Token
			err error
		}
		ch := make(chan result, 1)
		// The fetch outlives an impatient caller: its result still serves the others.
		go func() {
			t, err := src.Token()
			ch <- result{t, err}
		}()
		var r result
		select {
		case r = <-ch:
		case <-ctx.Done():
			return nil, nil, ctxError("token", ctx.Err())
		}
		if r.err != nil {
			if e, ok := r.err.(*Error); ok {
				return nil, nil, e
			}
			return nil, nil, tokenError(CauseBadResponse, 0, "", nil)
		}
		if at, ok := r.t.Extra(refreshAtKey).(time.Time); ok && !c.now().Before(at) {
			c.dropToken(src)
			continue
		}
		return r.t, src, nil
	}
	return nil, nil, tokenError(CauseBadResponse, 0, "token expired on arrival", nil)
}

// Token makes sure a valid access token is held now, fetching one if needed: a live test of
// the credentials before a caller saves them.
func (c *Client) Token(ctx context.Context) error {
	_, _, err := c.token(ctx)
	return err
}
