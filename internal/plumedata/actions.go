package plumedata

import (
	"context"

	"plumebot/internal/plume"
)

// Writes (internal/action: reboots, speed tests, optimization) go through the session too, so
// they share its pooled client (one token, the per-host rate limit) with the reads.

// Actor is the session's Plume client for the write operations; they are never cached.
func (s *Session) Actor() *plume.Client { return s.client }

// Fingerprint identifies the session's credentials (plume.Credentials.Fingerprint), without
// revealing them: an action confirmed later must use the credentials it was asked with.
func (s *Session) Fingerprint() string { return s.fp }

// Fresh is the session's reads that bypass the cache (and refresh it): what an action's
// confirmation says and what its follow-through sees must be Plume's state now.
func (s *Session) Fresh() FreshReader { return FreshReader{s: s} }

// FreshReader reads a location's records from Plume, never from a cache.
type FreshReader struct{ s *Session }

// Nodes are the location's pods as Plume shows them now (plume-api.md §5.1).
func (f FreshReader) Nodes(ctx context.Context, customerID, locationID string) ([]plume.Node, error) {
	r, err := f.s.Nodes(ctx, customerID, locationID, true)
	return r.Value, err
}

// Location is the location record as Plume shows it now (plume-api.md §5.3).
func (f FreshReader) Location(ctx context.Context, customerID, locationID string) (*plume.Location, error) {
	r, err := f.s.Location(ctx, customerID, locationID, true)
	return r.Value, err
}
