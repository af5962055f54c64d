package plumesim

import (
	"net/http"
	"reflect"
	"testing"
)

// A clone is its dataset answering to IDs of its own: a location of its own to a client (and
// its cache), the dataset's bodies, known only to the server that made it.
func TestClone(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a, err := e.s.Clone("healthy")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.s.Clone("healthy")
	orig := e.info.Locations["healthy"]
	if a.CustomerID == orig.CustomerID || a.LocationID == orig.LocationID || a == b || !isHex24(a.CustomerID) || !isHex24(a.LocationID) {
		t.Fatalf("clones %+v and %+v of %+v", a, b, orig)
	}
	path := func(l LocationInfo, suffix string) string {
		return "/Customers/" + l.CustomerID + "/locations/" + l.LocationID + suffix
	}
	for _, suffix := range []string{"", "/nodes", "/devices"} {
		st, got := e.get(path(a, suffix))
		_, want := e.get(path(orig, suffix))
		if st != http.StatusOK || !reflect.DeepEqual(got, want) {
			t.Errorf("the clone's %q: %d, not its dataset's body", suffix, st)
		}
	}
	if st, _ := e.get("/reports" + path(a, "/wanStats?period=daily")); st != http.StatusOK {
		t.Errorf("the clone's WAN report: %d", st)
	}
	other := setup(t)
	if st, _ := other.get(path(a, "")); st != http.StatusNotFound {
		t.Errorf("another simulator knows the clone: %d", st)
	}
	if _, err := e.s.Clone("nope"); err == nil {
		t.Error("a clone of an unknown dataset")
	}
}
