package action

import (
	"slices"
	"strings"
	"testing"
)

// TestCooldownNamesAreKeyed: a cooldown's record name shows no ID, and it is a keyed digest:
// two stores name the same target's cooldown differently, so a list of customer IDs cannot be
// hashed and matched against the names (an unkeyed hash could be).
func TestCooldownNamesAreKeyed(t *testing.T) {
	t.Parallel()
	var names [][]string
	for range 2 {
		e := newEnv(t)
		loc := e.target("healthy", -1)
		e.mustConfirm(e.mustRequest(SpeedTest, agent, loc), agent)
		keys, err := e.st.RecordKeys(e.ctx, "act:cool:")
		if err != nil || len(keys) == 0 {
			t.Fatalf("cooldown records: %v, %v", keys, err)
		}
		for _, k := range keys {
			if strings.Contains(k, loc.CustomerID) || strings.Contains(k, loc.LocationID) {
				t.Errorf("record name %q holds an ID", k)
			}
		}
		names = append(names, keys)
	}
	for _, k := range names[0] {
		if slices.Contains(names[1], k) {
			t.Errorf("two stores name a cooldown %q alike: the digest is not keyed", k)
		}
	}
}
