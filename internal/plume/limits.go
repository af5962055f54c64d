package plume

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// HostLimits is a client-side token bucket per Plume host, shared by every Client that holds
// it, so the bot stays under Plume's WAF budget (2000 requests / 5 min / IP) however many
// users' credentials it serves.
type HostLimits struct {
	rps   rate.Limit
	burst int

	mu sync.Mutex
	m  map[string]*rate.Limiter
}

// NewHostLimits returns limits of rps requests per second with the given burst, per host.
// rps <= 0 disables limiting.
func NewHostLimits(rps float64, burst int) *HostLimits {
	if burst < 1 {
		burst = 1
	}
	lim := rate.Limit(rps)
	if rps <= 0 {
		lim = rate.Inf
	}
	return &HostLimits{rps: lim, burst: burst, m: map[string]*rate.Limiter{}}
}

// defaultLimits is shared by all clients built without Options.Limits: the WAF counts per IP,
// not per credential.
var defaultLimits = sync.OnceValue(func() *HostLimits { return NewHostLimits(6, 6) })

func (h *HostLimits) limiter(host string) *rate.Limiter {
	h.mu.Lock()
	defer h.mu.Unlock()
	l, ok := h.m[host]
	if !ok {
		l = rate.NewLimiter(h.rps, h.burst)
		h.m[host] = l
	}
	return l
}

// wait blocks until host may be called. If the context's deadline would pass before a slot
// frees up it fails at once with KindRateLimited (RetryAfter = the wait we would have needed),
// because the request never left and the limit, not Plume, is the cause; if the context ends
// while waiting it fails with KindTimeout.
func (h *HostLimits) wait(ctx context.Context, endpoint, host string) error {
	now := time.Now()
	r := h.limiter(host).ReserveN(now, 1)
	if !r.OK() {
		return &Error{Kind: KindRateLimited, Endpoint: endpoint, Detail: "client-side rate limit"}
	}
	d := r.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && now.Add(d).After(dl) {
		r.CancelAt(now)
		return &Error{Kind: KindRateLimited, Endpoint: endpoint, RetryAfter: d, Detail: "client-side rate limit"}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel()
		return ctxError(endpoint, ctx.Err())
	}
}
