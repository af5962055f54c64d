package plume_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"plumebot/internal/plume"
	"plumebot/internal/plumesim"
)

// A server whose certificate is not trusted (a private CA not in SSL_CERT_FILE) is named, with
// the fix, for the token endpoint and the API alike: not "could not be reached". No URL and no
// secret is in the text, and the request is not retried (retrying cannot help).
func TestUntrustedCertificateIsNamed(t *testing.T) {
	t.Parallel()
	srv, err := plumesim.Start(plumesim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	info := srv.Info()
	c := simClient(t, srv, &http.Client{}) // the system roots: the simulator's CA is not among them
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const want = "The certificate of 127.0.0.1 is not trusted (set SSL_CERT_FILE for a private CA)."
	err = c.Token(ctx)
	var pe *plume.Error
	if !errors.As(err, &pe) || !errors.Is(err, plume.ErrTLS) || pe.Endpoint != "token" || pe.UserMessage() != want {
		t.Fatalf("token: %v", err)
	}
	for _, leak := range []string{info.SSOURL, "/oauth2", plumesim.ClientSecret, strings.TrimPrefix(info.AuthHeader, "Basic ")} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("the error text holds %q: %v", leak, err)
		}
	}
	if n := srv.TokenFetches(); n != 0 {
		t.Errorf("%d tokens issued through an untrusted connection", n)
	}
}
