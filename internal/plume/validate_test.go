package plume

import (
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestValidateID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id string
		ok bool
	}{
		{cid, true},
		{strings.ToUpper(cid), true},
		{"", false},
		{"../x", false},
		{cid[:23], false},
		{cid + "0", false},
		{"64f0c1a2b3c4d5e6f7a8b9cg", false},
		{"64f0c1a2b3c4d5e6f7a8b/c0", false},
		{"64f0c1a2b3c4d5e6f7a8b%2F", false},
		{"64f0c1a2b3c4d5e6f7a8 9c0", false},
		{"\u200b" + cid, false}, // an invisible character: named as one, see below
		{cid + "\ufeff", false},
	}
	for _, tt := range tests {
		err := ValidateID("customer", tt.id)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateID(%q) = %v, want ok=%v", tt.id, err, tt.ok)
		}
		if err != nil && (!errors.Is(err, ErrInvalidInput) || !strings.Contains(err.(*Error).UserMessage(), "customer ID")) {
			t.Errorf("ValidateID(%q) error %v: want invalid input naming the customer ID", tt.id, err)
		}
	}
}

// An invisible character is named, not counted: "got 25 characters" of an ID that shows 24
// does not tell an agent what to fix.
func TestValidateIDInvisible(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"\u200b" + cid, cid[:12] + "\u200d" + cid[12:], cid + "\ufeff", "\u200e" + cid, cid[:23] + "\u00ad"} {
		err := ValidateID("location", id)
		if err == nil || !strings.Contains(err.(*Error).UserMessage(), "The location ID contains an invisible character") {
			t.Errorf("ValidateID(%q) = %v", id, err)
		}
	}
}

func TestValidateSerial(t *testing.T) {
	t.Parallel()
	for s, ok := range map[string]bool{
		"1HX2AB3CD4": true, "a": true, strings.Repeat("A", 32): true,
		"": false, strings.Repeat("A", 33): false, "../x": false, "1HX 2": false, "1HX-2": false, "é": false,
	} {
		if err := ValidateSerial(s); (err == nil) != ok || (err != nil && !errors.Is(err, ErrInvalidInput)) {
			t.Errorf("ValidateSerial(%q) = %v, want ok=%v", s, err, ok)
		}
	}
}

func TestValidatePartnerID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		want string // "" = valid; else the exact reason
	}{
		{testPartner, ""},                  // an ObjectId, as in every Plume example
		{strings.ToUpper(testPartner), ""}, //
		{"0oaSIMPLUMEBOT000001", ""},       // 20 characters: the shortest accepted
		{strings.Repeat("a1", 32), ""},     // 64 characters: the longest
		{"0oaSIMPLUMEBOT00001", "The partner ID must be 20 to 64 letters and digits."},
		{strings.Repeat("a", 65), "The partner ID must be 20 to 64 letters and digits."},
		{"", "The partner ID must be 20 to 64 letters and digits."},
		{"65f06dae3fca80000ad3833 role:x", "The partner ID may contain only letters and digits."},
		{"65f06dae3fca80000ad38331:x", "The partner ID may contain only letters and digits."},
		{"65f06dae-3fca-8000-0ad3-8331", "The partner ID may contain only letters and digits."},
		{"65f06dae3fca80000ad3833é", "The partner ID may contain only letters and digits."},
	}
	for _, tt := range tests {
		wantInvalid(t, fmt.Sprintf("ValidatePartnerID(%q)", tt.id), ValidatePartnerID(tt.id), tt.want)
	}
}

// wantInvalid checks err: nil when want is "", else KindInvalidInput saying exactly want.
func wantInvalid(t *testing.T, call string, err error, want string) {
	t.Helper()
	var e *Error
	switch {
	case want == "" && err != nil:
		t.Errorf("%s = %v, want ok", call, err)
	case want != "" && (!errors.As(err, &e) || e.Kind != KindInvalidInput || e.UserMessage() != want):
		t.Errorf("%s = %v, want invalid input %q", call, err, want)
	}
}

func TestValidateAuthHeader(t *testing.T) {
	t.Parallel()
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	const (
		notBasic  = `The header must start with "Basic " followed by base64 of clientId:clientSecret.`
		notBase64 = `The part after "Basic " is not valid base64.`
		noPair    = "The header does not decode to clientId:clientSecret."
		oneLine   = "The Authorization header must be on one line."
	)
	tests := []struct {
		h    string
		want string // "" = valid; else the exact reason
	}{
		{testHeader, ""},
		{"basic " + b64("0oaclient:s3cret"), ""}, // the scheme is case-insensitive
		{"Basic  " + strings.TrimRight(b64("0oaclient:s3cret"), "="), ""}, // unpadded, two spaces
		{"Basic " + b64("id:a:b"), ""},                                    // a colon inside the secret
		{"", notBasic},
		{"Basic", notBasic},
		{"Bearer " + b64("id:secret"), notBasic},
		{b64("id:secret"), notBasic},
		{"Basic !!!notbase64", notBase64},
		{"Basic " + b64("nocolon"), noPair},
		{"Basic " + b64(":secret"), noPair},
		{"Basic " + b64("id:"), noPair},
		// base64 decoding skips line breaks: this one decodes, and would add a header line.
		{"Basic " + b64("id:secret")[:4] + "\r\nX-Evil: 1\r\n" + b64("id:secret")[4:], oneLine},
		{"Basic " + b64("id:secret") + "\n", oneLine},
	}
	for _, tt := range tests {
		err := ValidateAuthHeader(tt.h)
		wantInvalid(t, fmt.Sprintf("ValidateAuthHeader(%q)", tt.h), err, tt.want)
		assertNoSecret(t, err)
	}
}

func TestValidateURL(t *testing.T) {
	t.Parallel()
	allowed := ParseAllowedHosts(DefaultAllowedHosts + ",example.net")
	tests := []struct {
		url   string
		hosts []string
		ok    bool
	}{
		{"https://external.sso.plume.com/oauth2/aus1/v1/token", allowed, true},
		{DefaultAPIBase, allowed, true},
		{"https://EXTERNAL.SSO.PLUME.COM:443/x", allowed, true},
		{"https://example.net/api", allowed, true},
		{"https://a.example.net/api", allowed, true},
		{"https://plume.com/api", allowed, false},     // ".plume.com" is subdomains only
		{"https://evilplume.com/api", allowed, false}, // suffix must be at a label boundary
		{"https://plume.com.evil.io/api", allowed, false},
		{"https://badexample.net/api", allowed, false},
		{"http://external.sso.plume.com/token", allowed, false},
		{"https://user:pw@external.sso.plume.com/token", allowed, false},
		{"https://external.sso.plume.com/token?x=1", allowed, false},
		{"ftp://x.plume.com/", allowed, false},
		{"", allowed, false},
		{"https:///nohost", nil, false},
		{"not a url at all", nil, false},
		{"https://127.0.0.1:8443/api", nil, true},         // nil: no host restriction
		{"https://127.0.0.1:8443/api", []string{}, false}, // empty: nothing allowed
		{"https://127.0.0.1:8443/api", []string{"127.0.0.1"}, true},
		{"https://1127.0.0.1/api", []string{"127.0.0.1"}, false}, // IPs match exactly
		{"https://127.0.0.1:1/api", nil, true},                   // ports 1 to 65535
		{"https://127.0.0.1:65535/api", nil, true},
		{"https://127.0.0.1:0/api", nil, false},
		{"https://127.0.0.1:65536/api", nil, false},
		{"https://127.0.0.1:99999999999999999999/api", nil, false},
		{"https://x.plume.com:00000/api", allowed, false},
	}
	for _, tt := range tests {
		err := ValidateURL(tt.url, tt.hosts)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateURL(%q, %v) = %v, want ok=%v", tt.url, tt.hosts, err, tt.ok)
		}
		if err != nil {
			e := err.(*Error)
			if e.Kind != KindInvalidInput || e.Detail == "" {
				t.Errorf("ValidateURL(%q): %+v, want invalid input with a detail", tt.url, e)
			}
			if strings.Contains(e.Detail, "pw") {
				t.Errorf("detail leaks the URL password: %q", e.Detail)
			}
		}
	}
}

func TestParseAllowedHosts(t *testing.T) {
	t.Parallel()
	if got, want := ParseAllowedHosts(" .Plume.com, ,plumenet.io,"), []string{".plume.com", "plumenet.io"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := ParseAllowedHosts(""); got == nil || len(got) != 0 {
		t.Errorf("empty csv = %#v, want an empty non-nil list", got)
	}
}

func TestDefaultReportsBase(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		DefaultAPIBase:              "https://piranha-gamma.prod.us-west-2.aws.plumenet.io/reports",
		"https://x.plume.com/api/":  "https://x.plume.com/reports",
		"https://x.plume.com/other": "https://x.plume.com/other/reports",
	} {
		if got := DefaultReportsBase(in); got != want {
			t.Errorf("DefaultReportsBase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewClient_validates(t *testing.T) {
	t.Parallel()
	good := Credentials{TokenURL: "https://external.sso.plume.com/oauth2/aus1/v1/token", AuthHeader: testHeader,
		PartnerID: testPartner}
	allowed := ParseAllowedHosts(DefaultAllowedHosts)
	tests := []struct {
		name string
		edit func(*Credentials)
		ok   bool
	}{
		{"defaults", func(*Credentials) {}, true},
		{"http token URL", func(c *Credentials) { c.TokenURL = "http://external.sso.plume.com/t" }, false},
		{"foreign API host", func(c *Credentials) { c.APIBase = "https://evil.example.com/api" }, false},
		{"foreign reports host", func(c *Credentials) { c.ReportsBase = "https://evil.example.com/reports" }, false},
		{"userinfo", func(c *Credentials) { c.APIBase = "https://u:p@x.plume.com/api" }, false},
		{"empty partner", func(c *Credentials) { c.PartnerID = "" }, false},
		{"scope injection", func(c *Credentials) { c.PartnerID = "x role:admin" }, false},
		{"empty header", func(c *Credentials) { c.AuthHeader = " " }, false},
		{"short partner", func(c *Credentials) { c.PartnerID = "abc" }, false},
		{"header not base64", func(c *Credentials) { c.AuthHeader = "Basic not-base64!" }, false},
		{"multi-line header", func(c *Credentials) { c.AuthHeader = "Basic a\r\nX-Evil: 1" }, false},
	}
	for _, tt := range tests {
		c := good
		tt.edit(&c)
		cl, err := NewClient(c, Options{AllowedHosts: allowed})
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok=%v", tt.name, err, tt.ok)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidInput) {
				t.Errorf("%s: err = %v, want invalid input", tt.name, err)
			}
			assertNoSecret(t, err)
			continue
		}
		got := cl.creds
		if got.APIBase != DefaultAPIBase || got.ReportsBase != DefaultReportsBase(DefaultAPIBase) {
			t.Errorf("%s: defaults not applied: %+v", tt.name, got)
		}
	}
}
