package watch

import (
	"context"
	"time"

	"plumebot/internal/plume"
	"plumebot/internal/plumedata"
)

// SourceReader is the Reader over plumedata, the data access every consumer shares: a check
// reads the location and its pods (PartLocation|PartNodes, at most two requests) through the
// cache of interactive commands. A part cached longer than MaxAge ago is fetched again (and
// the fresher value serves the commands too): cached values up to 30 or 60 s old would let
// two checks of a watch see one fetch, and the hold would mean nothing. MaxAge ≤ 0 reads
// fresh every time. serve uses half the shortest check interval.
type SourceReader struct {
	Source *plumedata.Source
	MaxAge time.Duration
	Now    func() time.Time // the Source's clock (plumedata.Config.Now); nil: time.Now
}

// LocationAndPods implements Reader. The error is the location's (else the pods'), a
// *plume.Error as plumedata returns it.
func (r SourceReader) LocationAndPods(ctx context.Context, creds plume.Credentials, customerID, locationID string) (Reading, error) {
	s, err := r.Source.Session(creds)
	if err != nil {
		return Reading{}, err
	}
	const parts = plumedata.PartLocation | plumedata.PartNodes
	snap, err := s.Snapshot(ctx, customerID, locationID, parts, r.MaxAge <= 0)
	if err != nil {
		return Reading{}, err
	}
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	rd := Reading{Location: snap.Location, Nodes: snap.Nodes}
	var stale plumedata.Part
	for p, err := range map[plumedata.Part]error{plumedata.PartLocation: snap.LocationErr, plumedata.PartNodes: snap.NodesErr} {
		switch m := snap.Part(p); {
		case err != nil || !m.Hit: // fetched for this check (a failure most likely reached Plume too)
			rd.Requests++
		case m.Age(now) > r.MaxAge:
			stale |= p
		}
	}
	if stale != 0 {
		again, err := s.Snapshot(ctx, customerID, locationID, stale, true)
		if err != nil {
			return Reading{}, err
		}
		if stale&plumedata.PartLocation != 0 {
			rd.Location, snap.LocationErr = again.Location, again.LocationErr
			rd.Requests++
		}
		if stale&plumedata.PartNodes != 0 {
			rd.Nodes, snap.NodesErr = again.Nodes, again.NodesErr
			rd.Requests++
		}
	}
	if snap.LocationErr != nil {
		return rd, snap.LocationErr
	}
	return rd, snap.NodesErr
}
