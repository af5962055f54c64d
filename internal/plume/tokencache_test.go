package plume

import (
	"context"
	"fmt"
	"net/http"
	"testing"
)

// TestToken_heldTokenCostsNothing: every API call asks for the token first, so a held token
// must come back without a goroutine or an allocation (the old source spent three on each).
func TestToken_heldTokenCostsNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.client.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() {
		if err := f.client.Token(ctx); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("allocations per held-token call = %v, want 0", n)
	}
	if n := f.fetches.Load(); n != 1 {
		t.Errorf("token fetches = %d, want 1", n)
	}
}

// TestToken_fetchOutlivesAnImpatientCaller: a caller that gives up does not cancel the fetch
// others share; the next caller gets its result without a second fetch.
func TestToken_fetchOutlivesAnImpatientCaller(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	entered, release := make(chan struct{}), make(chan struct{})
	f.tokenHandler = func(w http.ResponseWriter, r *http.Request) {
		f.fetches.Add(1)
		close(entered)
		<-release
		fmt.Fprint(w, `{"access_token":"shared","token_type":"Bearer","expires_in":600}`)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errA := make(chan error, 1)
	go func() { errA <- f.client.Token(ctx) }()
	<-entered
	cancel()
	wantKind(t, <-errA, KindTimeout)
	errB := make(chan error, 1)
	go func() { errB <- f.client.Token(context.Background()) }()
	close(release)
	if err := <-errB; err != nil {
		t.Fatal(err)
	}
	tok, err := f.client.token(context.Background())
	if err != nil || tok.AccessToken != "shared" {
		t.Fatalf("token = %v, %v", tok, err)
	}
	if n := f.fetches.Load(); n != 1 {
		t.Errorf("token fetches = %d, want 1", n)
	}
}
