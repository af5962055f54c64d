package plume

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
)

func TestWithBodySize(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	body := `{"id":"` + lid + `","name":"Home","customerId":"` + cid + `"}`
	f.mux.HandleFunc(locPath, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) })
	var n atomic.Int64
	ctx := WithBodySize(context.Background(), &n)
	for range 2 {
		if _, err := f.client.Location(ctx, cid, lid); err != nil {
			t.Fatal(err)
		}
	}
	if got := n.Load(); got != int64(2*len(body)) {
		t.Errorf("counted %d bytes, want %d (two bodies of %d)", got, 2*len(body), len(body))
	}
	if _, err := f.client.Location(context.Background(), cid, lid); err != nil { // not counted
		t.Fatal(err)
	}
	if got := n.Load(); got != int64(2*len(body)) {
		t.Errorf("a read without the context was counted: %d", got)
	}
}
