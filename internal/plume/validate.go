package plume

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultAPIBase is Plume's US production ("gamma") customer API.
const DefaultAPIBase = "https://piranha-gamma.prod.us-west-2.aws.plumenet.io/api"

// DefaultAllowedHosts are the hosts plumebot may send Plume credentials to by default.
const DefaultAllowedHosts = ".plume.com,.plumenet.io"

// ValidateID checks a Plume customer/location ID (a 24-hex Mongo ObjectId) before it becomes a
// path segment. kind ("customer", "location") only names the ID in the message.
func ValidateID(kind, id string) error {
	if kind == "" {
		kind = "ID"
	}
	// An invisible character (a zero-width space or a byte-order mark copied along from a web
	// page or a spreadsheet) is named: "got 25 characters" of an ID that shows 24 says nothing.
	if strings.IndexFunc(id, invisible) >= 0 {
		return invalidInput(fmt.Sprintf("The %s ID contains an invisible character (copied along with it): type the ID, or paste it again without it.", kind))
	}
	// Counted as a person counts them: "ééé" is 3 characters, not 6 bytes.
	if n := utf8.RuneCountInString(id); n != 24 {
		return invalidInput(fmt.Sprintf("The %s ID must be 24 hexadecimal characters (got %d characters).", kind, n))
	}
	for i := 0; i < len(id); i++ {
		if !isHex(id[i]) {
			return invalidInput(fmt.Sprintf("The %s ID must be 24 hexadecimal characters (0-9, a-f).", kind))
		}
	}
	return nil
}

// CanonicalID is a customer or location ID as Plume writes it, in lower case. IDs are
// hexadecimal (MongoDB ObjectIds), so "64F0…" and "64f0…" name the same record: one spelling
// makes them one key wherever an ID is a key (the cache, an action's cooldown, the last
// location, a watch). Call it on an ID that passed ValidateID.
func CanonicalID(id string) string { return strings.ToLower(id) }

// ValidateSerial checks a node serial number: 1..32 ASCII letters and digits.
func ValidateSerial(serial string) error {
	if serial == "" || len(serial) > 32 {
		return invalidInput("A node serial number is 1 to 32 letters and digits.")
	}
	for i := 0; i < len(serial); i++ {
		if !isAlnum(serial[i]) {
			return invalidInput("A node serial number may only contain letters and digits.")
		}
	}
	return nil
}

// Partner IDs are MongoDB ObjectIds, 24 hexadecimal characters, in every example Plume
// publishes (../shared/plume-api.md §3.1), but private clouds are not documented, so the rule is
// looser: 20 to 64 ASCII letters and digits. It takes an ObjectId and any longer opaque ID,
// keeps the token scope "partnerId:<id> role:partnerIdAdmin" two well-formed tokens (no space,
// colon or quote), and still refuses a word typed at the wrong step.
const (
	minPartnerIDLen = 20
	maxPartnerIDLen = 64
)

// ValidatePartnerID checks a Plume partner ID (20 to 64 ASCII letters and digits, see above).
// It is the one rule for IDs typed by an agent, configured by an operator and given to
// NewClient. The error is KindInvalidInput; its text does not repeat the input.
func ValidatePartnerID(id string) error {
	if len(id) < minPartnerIDLen || len(id) > maxPartnerIDLen {
		return invalidInput(fmt.Sprintf("The partner ID must be %d to %d letters and digits.", minPartnerIDLen, maxPartnerIDLen))
	}
	for i := 0; i < len(id); i++ {
		if !isAlnum(id[i]) {
			return invalidInput("The partner ID may contain only letters and digits.")
		}
	}
	return nil
}

// ValidateAuthHeader checks the Authorization header Plume hands a partner (plume-api.md §3.1):
// "Basic " then the base64 (padded or not) of "clientId:clientSecret", both parts non-empty, on
// one line. The scheme's case does not matter (RFC 9110 §11.1); the header is still sent exactly
// as given. It is the one rule for headers typed by an agent, configured by an operator and
// given to NewClient. The error is KindInvalidInput; its text never contains the header or a
// part of it.
func ValidateAuthHeader(h string) error {
	// base64 decoding skips line breaks, so they are refused first: a header must not be able
	// to add a line to the token request.
	if strings.ContainsAny(h, "\r\n") {
		return invalidInput("The Authorization header must be on one line.")
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return invalidInput(`The header must start with "Basic " followed by base64 of clientId:clientSecret.`)
	}
	token = strings.TrimSpace(token)
	var raw []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
		if raw, err = enc.DecodeString(token); err == nil {
			break
		}
	}
	if err != nil {
		return invalidInput(`The part after "Basic " is not valid base64.`)
	}
	id, clientSecret, ok := strings.Cut(string(raw), ":")
	if !ok || id == "" || clientSecret == "" {
		return invalidInput("The header does not decode to clientId:clientSecret.")
	}
	return nil
}

// ValidateURL checks a Plume URL (token URL, API or reports base) typed by a user or operator:
// https only, a host, no user:password part, no query or fragment, a port (if any) from 1 to
// 65535, and, when allowedHosts is non-nil, a host that matches one entry. Matching is case-insensitive and ignores the port:
//   - ".plume.com" matches any subdomain (sso.plume.com, a.b.plume.com) but not plume.com itself;
//   - "plume.com" matches plume.com exactly and any subdomain of it (never "evilplume.com").
//
// allowedHosts == nil means no host restriction; an empty non-nil list allows no host.
func ValidateURL(raw string, allowedHosts []string) error {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return invalidInput("The URL is empty.")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return invalidInput("The URL could not be parsed; it must look like https://host/path.")
	}
	if !strings.EqualFold(u.Scheme, "https") {
		return invalidInput("The URL must start with https:// (plain http would expose the credentials).")
	}
	if u.User != nil {
		return invalidInput("The URL must not contain a user name or password.")
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return invalidInput("The URL has no host name.")
	}
	if u.Fragment != "" || u.RawQuery != "" {
		return invalidInput("The URL must not contain a query (?…) or fragment (#…).")
	}
	if p := u.Port(); p != "" {
		// url.Parse takes any digits: port 0 dials a random port, 70000 wraps or fails late.
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return invalidInput("The URL's port must be a number from 1 to 65535.")
		}
	}
	if allowedHosts == nil {
		return nil
	}
	if !hostAllowed(host, allowedHosts) {
		return invalidInput(fmt.Sprintf("The host %q is not allowed for Plume credentials (allowed: %s).",
			sanitize(host, 100), strings.Join(allowedHosts, ", ")))
	}
	return nil
}

func hostAllowed(host string, allowed []string) bool {
	host = strings.TrimSuffix(host, ".")
	for _, a := range allowed {
		a = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(a)), ".")
		switch {
		case a == "" || a == ".":
			continue
		case strings.HasPrefix(a, "."):
			if strings.HasSuffix(host, a) && len(host) > len(a) {
				return true
			}
		case host == a:
			return true
		case net.ParseIP(a) == nil && strings.HasSuffix(host, "."+a):
			return true
		}
	}
	return false
}

// ParseAllowedHosts splits a comma-separated PLUME_ALLOWED_HOSTS value into lower-case entries.
// An empty value yields an empty non-nil list, which allows no host (safe default): callers that
// want the default pass DefaultAllowedHosts.
func ParseAllowedHosts(csv string) []string {
	out := []string{}
	for _, p := range strings.Split(csv, ",") {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// DefaultReportsBase derives the Reports API base from the customer API base: a trailing
// "/api" becomes "/reports"; any other base gets "/reports" appended to its parent path.
func DefaultReportsBase(apiBase string) string {
	b := strings.TrimRight(strings.TrimSpace(apiBase), "/")
	if strings.HasSuffix(b, "/api") {
		return strings.TrimSuffix(b, "/api") + "/reports"
	}
	return b + "/reports"
}

func invalidInput(detail string) *Error {
	return &Error{Kind: KindInvalidInput, Detail: detail}
}

// invisible reports a character that shows nothing: a format character (zero-width spaces and
// joiners, direction marks, the byte-order mark, the soft hyphen) or a control character.
func invisible(r rune) bool { return unicode.Is(unicode.Cf, r) || unicode.IsControl(r) }

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func isAlnum(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}
