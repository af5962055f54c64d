package plumedata

import (
	"context"
	"math/bits"
	"sync"
	"time"

	"plumebot/internal/health"
)

// Part is one of the reads a snapshot is made of; parts combine with |.
type Part uint8

// The parts of a snapshot. Each costs one Plume request when it is not cached.
const (
	PartLocation Part = 1 << iota // the location record (online state, service level)
	PartNodes                     // pods and gateway
	PartDevices                   // client devices
	PartQoE                       // application QoE, last 24 h

	// AllParts is what a health report needs.
	AllParts = PartLocation | PartNodes | PartDevices | PartQoE
)

const numParts = 4

// Snapshot is a location's data read in parallel: the parts asked for, each with its own
// error (a part not asked for is nil with a nil error).
type Snapshot struct {
	// Snapshot's FetchedAt is when the oldest part was fetched (now when nothing was read).
	health.Snapshot
	// Hit is true when at least one part came from a cache.
	Hit  bool
	meta [numParts]Meta
}

// Age is how old the oldest part is at now: 0 when every part was fetched for this read.
func (s *Snapshot) Age(now time.Time) time.Duration {
	return Meta{FetchedAt: s.FetchedAt, Hit: s.Hit}.Age(now)
}

// Part is where one part came from: zero for a part not asked for or failed, or for p
// naming more than one part.
func (s *Snapshot) Part(p Part) Meta {
	i := bits.TrailingZeros8(uint8(p))
	if i >= numParts || p&(p-1) != 0 {
		return Meta{}
	}
	return s.meta[i]
}

// Snapshot reads the parts of a location in parallel, through the cache (fresh bypasses it),
// each part failing on its own. The watcher's cheap check is PartLocation|PartNodes: at most
// two requests, sharing the cache with the chat's reports. The error is only for invalid IDs
// (a *plume.Error of kind plume.KindInvalidInput), before any request.
func (s *Session) Snapshot(ctx context.Context, customerID, locationID string, parts Part, fresh bool) (Snapshot, error) {
	if err := ValidateLocation(customerID, locationID); err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{Snapshot: health.Snapshot{CustomerID: customerID, LocationID: locationID}}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		oldest time.Time
	)
	// part reads p in parallel when it was asked for; read stores the value and its error.
	part := func(p Part, read func() (Meta, error)) {
		if parts&p == 0 {
			return
		}
		wg.Go(func() {
			m, err := read()
			if err != nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			snap.meta[bits.TrailingZeros8(uint8(p))] = m
			if oldest.IsZero() || m.FetchedAt.Before(oldest) {
				oldest = m.FetchedAt
			}
			snap.Hit = snap.Hit || m.Hit
		})
	}
	part(PartLocation, func() (Meta, error) {
		r, err := s.Location(ctx, customerID, locationID, fresh)
		snap.Location, snap.LocationErr = r.Value, err
		return r.Meta, err
	})
	part(PartNodes, func() (Meta, error) {
		r, err := s.Nodes(ctx, customerID, locationID, fresh)
		snap.Nodes, snap.NodesErr = r.Value, err
		return r.Meta, err
	})
	part(PartDevices, func() (Meta, error) {
		r, err := s.Devices(ctx, customerID, locationID, fresh)
		snap.Devices, snap.DevicesErr = r.Value, err
		return r.Meta, err
	})
	part(PartQoE, func() (Meta, error) {
		r, err := s.QoE(ctx, customerID, locationID, fresh)
		snap.QoE, snap.QoEErr = r.Value, err
		return r.Meta, err
	})
	wg.Wait()
	snap.FetchedAt = oldest
	if oldest.IsZero() {
		snap.FetchedAt = s.src.now()
	}
	return snap, nil
}
