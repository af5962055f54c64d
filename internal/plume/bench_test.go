package plume

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
)

func BenchmarkClientNodes(b *testing.B) {
	body := bigNodes(12)
	f := newBenchFixture(b)
	f.mux.HandleFunc(locPath+"/nodes", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		nodes, err := f.client.Nodes(ctx, cid, lid)
		if err != nil || len(nodes) != 12 {
			b.Fatal(len(nodes), err)
		}
	}
}

func TestReadBody_productionCap(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		size int
		ok   bool
	}{{maxBodyBytes, true}, {maxBodyBytes + 1, false}} {
		resp := &http.Response{Body: io.NopCloser(bytes.NewReader(make([]byte, tt.size))), ContentLength: -1}
		data, err := readBody(resp, maxBodyBytes)
		if tt.ok != (err == nil) || (tt.ok && len(data) != tt.size) {
			t.Errorf("size %d: %d bytes, err %v", tt.size, len(data), err)
		}
		if err != nil && err.(*Error).Kind != KindInvalidResponse {
			t.Errorf("size %d: kind %d", tt.size, err.(*Error).Kind)
		}
	}
}

// heldTokenClient is a client that already holds a valid token.
func heldTokenClient(b *testing.B) *Client {
	f := newBenchFixture(b)
	if err := f.client.Token(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	return f.client
}

// BenchmarkToken is the path every API call takes first: a valid token is already held.
func BenchmarkToken(b *testing.B) {
	c, ctx := heldTokenClient(b), context.Background()
	for b.Loop() {
		if err := c.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenParallel is the same path under concurrency (one Client shared by every user
// of the same credentials).
func BenchmarkTokenParallel(b *testing.B) {
	c, ctx := heldTokenClient(b), context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := c.Token(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
