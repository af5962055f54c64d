package plumesim

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Clones: a load test needs more locations no cache has seen than there are datasets. A clone
// is a dataset answering to other IDs, known to the one Server that made it: a request naming
// the clone's customer or location ID is served as if it named the dataset's (the bodies, the
// actions and the simulator's own body cache are the dataset's), so a clone costs the
// simulator no more than its dataset while a client caches it as a location of its own.

type cloneState struct {
	mu    sync.RWMutex
	n     int
	alias map[string]string // lower-case clone ID → the dataset's ID
}

// Clone makes a new location that serves dataset name under new customer and location IDs
// (24 lower-case hex characters derived from the name and a counter, so the same on every
// run) and returns them; the bodies it serves carry the dataset's IDs. Search and pod lookup
// find the dataset, not its clones. The error names an unknown dataset.
func (s *Server) Clone(name string) (LocationInfo, error) {
	info, ok := s.info.Locations[name]
	if !ok {
		return LocationInfo{}, fmt.Errorf("plumesim: no dataset %q", name)
	}
	c := &s.clones
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	tag := name + "#" + strconv.Itoa(c.n)
	cid, lid := hexID("clone-customer", tag), hexID("clone-location", tag)
	if c.alias == nil {
		c.alias = map[string]string{}
	}
	c.alias[cid], c.alias[lid] = info.CustomerID, info.LocationID
	info.CustomerID, info.LocationID = cid, lid
	return info, nil
}

// unalias is path with every clone ID replaced by its dataset's.
func (c *cloneState) unalias(path string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.alias) == 0 {
		return path
	}
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if id, ok := c.alias[strings.ToLower(seg)]; ok {
			segs[i] = id
		}
	}
	return strings.Join(segs, "/")
}
