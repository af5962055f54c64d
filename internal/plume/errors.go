package plume

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies a failure so callers can switch on it with errors.Is.
type Kind int

// Error kinds. Each has a user-safe message (UserMessage): no URL, no token, no header.
const (
	KindUnknown         Kind = iota
	KindInvalidInput         // bad ID, serial, URL or host: nothing was sent
	KindUnauthorized         // 401 from the API, even after one token refresh
	KindForbidden            // 403 with a LoopBack error body: another partner's resource
	KindRateLimited          // WAF 403 with a non-JSON body, or 429
	KindNotFound             // 404
	KindTimeout              // deadline exceeded
	KindNetwork              // connection refused, DNS, TLS…
	KindUpstream             // 5xx
	KindInvalidResponse      // body not what we can decode
	KindTokenFailed          // the SSO token request failed (see TokenCause)
	KindTLS                  // the server's certificate is not trusted (Host names it)
	KindRedirect             // the API answered 3xx: credentials never follow a redirect (Detail: where it pointed)
)

// kindNames are the kinds' names: stable, lower-case words, used as metrics labels and in logs.
var kindNames = [...]string{
	KindUnknown:         "unknown",
	KindInvalidInput:    "invalid_input",
	KindUnauthorized:    "unauthorized",
	KindForbidden:       "forbidden",
	KindRateLimited:     "rate_limited",
	KindNotFound:        "not_found",
	KindTimeout:         "timeout",
	KindNetwork:         "network",
	KindUpstream:        "upstream",
	KindInvalidResponse: "invalid_response",
	KindTokenFailed:     "token_failed",
	KindTLS:             "tls",
	KindRedirect:        "redirect",
}

// String names the kind ("not_found", "rate_limited"…); a kind outside the list is "unknown".
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return kindNames[KindUnknown]
	}
	return kindNames[k]
}

// TokenCause explains a KindTokenFailed error.
type TokenCause int

// Token failure causes, mapped from Okta's "error" code and transport failures.
const (
	CauseNone                TokenCause = iota
	CauseCredentialsRejected            // invalid_client, 401
	CauseScope                          // invalid_scope, wrong partner ID, unsupported/invalid grant, invalid_request
	CauseUnreachable                    // network error, timeout, 5xx at the SSO
	CauseBadResponse                    // 200 without an access_token, unparseable body
	CauseRedirect                       // the token URL answered 3xx (Detail: where it pointed)
)

// Error is the one error type of this package. Build it with the package's helpers; match it
// with errors.Is(err, plume.ErrNotFound) etc., or errors.As for Status/RetryAfter/Cause.
type Error struct {
	Kind       Kind
	Endpoint   string        // logical endpoint name ("nodes", "token"), never a URL
	Status     int           // HTTP status when there was one
	RetryAfter time.Duration // KindRateLimited: how long to wait, when known
	Cause      TokenCause    // KindTokenFailed
	Detail     string        // safe extra text (a LoopBack error message, a validation reason)
	Host       string        // KindTLS: the host whose certificate was refused (never a URL)
	Err        error         // underlying error; must not carry secrets
}

// Sentinels for errors.Is: an *Error matches the sentinel of its Kind.
var (
	ErrInvalidInput    = &Error{Kind: KindInvalidInput}
	ErrUnauthorized    = &Error{Kind: KindUnauthorized}
	ErrForbidden       = &Error{Kind: KindForbidden}
	ErrRateLimited     = &Error{Kind: KindRateLimited}
	ErrNotFound        = &Error{Kind: KindNotFound}
	ErrTimeout         = &Error{Kind: KindTimeout}
	ErrNetwork         = &Error{Kind: KindNetwork}
	ErrUpstream        = &Error{Kind: KindUpstream}
	ErrInvalidResponse = &Error{Kind: KindInvalidResponse}
	ErrTokenFailed     = &Error{Kind: KindTokenFailed}
	ErrTLS             = &Error{Kind: KindTLS}
	ErrRedirect        = &Error{Kind: KindRedirect}
)

// Is matches any *Error of the same Kind, so errors.Is(err, ErrNotFound) works.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.Kind == e.Kind
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	s := "plume"
	if e.Endpoint != "" {
		s += " " + e.Endpoint
	}
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	s += ": " + e.UserMessage()
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// UserMessage is the text a person may read: what failed and what to check, with no secret.
// It names no command of any front end: callers add their own advice (the bot: which chat
// command; check: which variable).
func (e *Error) UserMessage() string {
	if msg, ok := actionMessage(e); ok {
		return msg
	}
	switch e.Kind {
	case KindInvalidInput:
		if e.Detail != "" {
			return e.Detail
		}
		return "invalid input"
	case KindUnauthorized:
		return "Plume refused the credentials (401). The token may be revoked."
	case KindForbidden:
		return "Plume says these credentials may not access this customer or location (403): it may belong to another partner."
	case KindRateLimited:
		if e.RetryAfter > 0 {
			return fmt.Sprintf("Plume is rate-limiting requests; try again in %s.", e.RetryAfter.Round(time.Second))
		}
		return "Plume is rate-limiting requests; try again in a few minutes."
	case KindNotFound:
		return "Plume does not know this customer, location or node (404). Check the IDs."
	case KindTimeout:
		return "Plume did not answer in time. Try again."
	case KindNetwork:
		return "Plume could not be reached (network error). Try again."
	case KindTLS:
		host := "the server"
		if e.Host != "" {
			host = sanitize(e.Host, 100)
		}
		// Whoever runs plumebot can fix it; retrying cannot.
		return "The certificate of " + host + " is not trusted (set SSL_CERT_FILE for a private CA)."
	case KindUpstream:
		return fmt.Sprintf("Plume had an internal error (HTTP %d). Try again later.", e.Status)
	case KindInvalidResponse:
		return "Plume sent a response plumebot could not read."
	case KindRedirect:
		return fmt.Sprintf("Plume answered with a redirect (HTTP %d) to %s; plumebot never sends credentials to a redirect. Check the API base URL.", e.Status, e.Detail)
	case KindTokenFailed:
		switch e.Cause {
		case CauseCredentialsRejected:
			return "The SSO rejected the Authorization header (invalid client). Check the header Plume gave you."
		case CauseScope:
			return "The SSO refused the partner ID or scope. Check the partner ID."
		case CauseUnreachable:
			return "The SSO token URL could not be reached. Check the URL and try again."
		case CauseBadResponse:
			return "The SSO answered without a usable token. Check the token URL."
		case CauseRedirect:
			return "The SSO token URL answered with a redirect to " + e.Detail +
				"; plumebot never sends credentials to a redirect. Check the token URL."
		}
		return "Getting a Plume access token failed."
	}
	return "Plume request failed."
}
