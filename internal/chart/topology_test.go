package chart

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// home is a typical mesh: a gateway, two pods on it, one behind another, one whose parent is
// unknown, in every level.
func home() TopologyData {
	return TopologyData{Title: "Home · 4 of 5 pods connected", Pods: []Pod{
		{ID: "256PJ5UN1W", Name: "Living room", Gateway: true, Backhaul: BackhaulEthernet, Level: LevelHealthy, Devices: 6},
		{ID: "58BCN7590A", Name: "Office", Parent: "256PJ5UN1W", Backhaul: Backhaul5G, Level: LevelHealthy, State: "good", Devices: 3},
		{ID: "985E4WE2BB", Name: "Garage", Parent: "58BCN7590A", Backhaul: Backhaul2G, Level: LevelOffline, State: "disconnected", Devices: 0},
		{ID: "20899JQ0ZG", Name: "Bedroom", Parent: "256PJ5UN1W", Backhaul: Backhaul6G, Level: LevelDegraded, State: "fair", Devices: 2},
		{ID: "11AAB0QQ7Z", Name: "Kids' room 🧸", Parent: "", Backhaul: BackhaulWiFi, Level: LevelUnknown, Devices: 1},
		{ID: "3XK29ZZ1PL", Name: "Basement", Parent: "20899JQ0ZG", Backhaul: BackhaulEthernet, Level: LevelIssues, State: "issues", Devices: 1},
	}}
}

// nasty is 12 pods with 40-character and hostile names: RTL text, emoji, markup, control
// characters, invalid UTF-8, a cycle, a self-parent and a missing parent.
func nasty() TopologyData {
	names := []string{
		"Living room downstairs next to the TV 📺",
		"<b>Office</b> <script>alert(1)</script> & more",
		"חדר שינה של ההורים בקומה השנייה 12",
		"\x1b[31mGarage\x07 with\ttabs\nand newlines\u202e",
		"👨‍👩‍👧‍👦 Family room 🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠",
		"WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW",
		"غرفة المعيشة",
		"bad \xff\xfe utf-8 \xc3",
		"Kitchen—north wall, behind the fridge…!",
		"客厅 Living",
		"Attic above the second floor bedroom AAA",
		"",
	}
	d := TopologyData{Title: "A very long location name that goes on and on 🏡 <i>x</i> and on and on"}
	for i, n := range names {
		p := Pod{ID: "POD" + string(rune('A'+i)) + "0000000", Name: n, Backhaul: Backhaul(i % 6), Level: Level(i % 5), Devices: i * 3}
		switch {
		case i == 0:
			p.Gateway = true
		case i < 4:
			p.Parent = "POD" + string(rune('A'+i-1)) + "0000000" // a chain of depth 3
		case i == 8:
			p.Parent = "PODJ0000000" // 8 ↔ 9: a cycle
		case i == 9:
			p.Parent = "PODI0000000"
		case i == 10:
			p.Parent = p.ID // itself
		case i == 11:
			p.Parent = "NOT-A-POD"
		default:
			p.Parent = "PODA0000000"
		}
		d.Pods = append(d.Pods, p)
	}
	return d
}

func TestTree(t *testing.T) {
	t.Parallel()
	type row struct {
		id      string
		depth   int
		parent  string // parent row's ID
		unknown bool
	}
	for _, tc := range []struct {
		name string
		pods []Pod
		want []row
	}{
		{"mesh", []Pod{{ID: "gw", Gateway: true}, {ID: "a", Parent: "gw"}, {ID: "b", Parent: "a"}, {ID: "c", Parent: "gw"}},
			[]row{{"gw", 0, "", false}, {"a", 1, "gw", false}, {"b", 2, "a", false}, {"c", 1, "gw", false}}},
		{"gateway listed last", []Pod{{ID: "a", Parent: "gw"}, {ID: "gw", Gateway: true}},
			[]row{{"gw", 0, "", false}, {"a", 1, "gw", false}}},
		{"missing, empty and self parents", []Pod{{ID: "gw", Gateway: true}, {ID: "a", Parent: "nope"}, {ID: "b"}, {ID: "c", Parent: "c"}},
			[]row{{"gw", 0, "", false}, {"a", 1, "gw", true}, {"b", 1, "gw", true}, {"c", 1, "gw", true}}},
		{"cycle", []Pod{{ID: "gw", Gateway: true}, {ID: "a", Parent: "b"}, {ID: "b", Parent: "c"}, {ID: "c", Parent: "a"}},
			[]row{{"gw", 0, "", false}, {"c", 1, "gw", true}, {"b", 2, "c", false}, {"a", 3, "b", false}}},
		{"a gateway's parent is ignored", []Pod{{ID: "gw", Gateway: true, Parent: "a"}, {ID: "a", Parent: "gw"}},
			[]row{{"gw", 0, "", false}, {"a", 1, "gw", false}}},
		{"no gateway", []Pod{{ID: "a"}, {ID: "b", Parent: "a"}},
			[]row{{"", 0, "", false}, {"a", 1, "", true}, {"b", 2, "a", false}}},
		{"two gateways", []Pod{{ID: "g1", Gateway: true}, {ID: "g2", Gateway: true}, {ID: "a", Parent: "g2"}, {ID: "x"}},
			[]row{{"g1", 0, "", false}, {"x", 1, "g1", true}, {"g2", 0, "", false}, {"a", 1, "g2", false}}},
		{"duplicate IDs", []Pod{{ID: "gw", Gateway: true}, {ID: "a", Parent: "gw"}, {ID: "a", Parent: "a"}},
			[]row{{"gw", 0, "", false}, {"a", 1, "gw", false}, {"a", 2, "a", false}}},
	} {
		rows := tree(tc.pods)
		var got []row
		for _, r := range rows {
			g := row{id: r.pod.ID, depth: r.depth, unknown: r.unknownParent}
			if r.parent >= 0 {
				g.parent = rows[r.parent].pod.ID
			}
			got = append(got, g)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.name, got, tc.want)
		}
		if len(rows) < len(tc.pods) {
			t.Errorf("%s: %d rows for %d pods", tc.name, len(rows), len(tc.pods))
		}
	}
}

// checkLayout asserts what makes a topology readable: every pod drawn once, boxes inside the
// picture and apart, each child below its parent and indented from it, edge labels clear of
// boxes and of each other, and names and details fitting their boxes.
func checkLayout(t *testing.T, d TopologyData, lay topoLayout) {
	t.Helper()
	if want := min(len(d.Pods), MaxTopologyPods); len(lay.nodes) < want {
		t.Errorf("%d boxes for %d pods", len(lay.nodes), len(d.Pods))
	}
	if Width+lay.height > 10000 || lay.height > 20*Width {
		t.Errorf("%v px tall: beyond Telegram's photo limits", lay.height)
	}
	page := rect{0, 0, Width, lay.height}
	for i, n := range lay.nodes {
		if !n.box.inside(page) {
			t.Errorf("box %d %v is outside the picture %v", i, n.box, page)
		}
		if n.box.w() < topoMinBoxW-1 {
			t.Errorf("box %d is %v px wide, under %v", i, n.box.w(), topoMinBoxW)
		}
		for j, o := range lay.nodes[i+1:] {
			if n.box.overlaps(o.box) {
				t.Errorf("boxes %d and %d overlap: %v %v", i, i+1+j, n.box, o.box)
			}
		}
		room := n.box.w() - topoTextX - 16
		if w := topoName.width(n.name); w > room {
			t.Errorf("name %q is %v px wide, box has %v", n.name, w, room)
		}
		if w := topoDetails.width(n.details); w > room {
			t.Errorf("details %q are %v px wide, box has %v", n.details, w, room)
		}
		if n.name == "" {
			t.Errorf("box %d has no name", i)
		}
		if p := n.row.parent; p >= 0 {
			pb := lay.nodes[p].box
			if n.box.y0 <= pb.y1 || n.box.x0 <= pb.x0 {
				t.Errorf("box %d %v is not below and right of its parent %v", i, n.box, pb)
			}
		}
	}
	for i, e := range lay.edges {
		if e.text == "" {
			continue
		}
		if !e.pill.inside(page) {
			t.Errorf("edge label %q %v is outside the picture", e.text, e.pill)
		}
		if e.pill.x0 <= e.trunkX {
			t.Errorf("edge label %q %v covers its parent's line at x=%v", e.text, e.pill, e.trunkX)
		}
		for _, n := range lay.nodes {
			if e.pill.overlaps(n.box) {
				t.Errorf("edge label %q %v overlaps box %v", e.text, e.pill, n.box)
			}
		}
		for _, o := range lay.edges[i+1:] {
			if o.text != "" && e.pill.overlaps(o.pill) {
				t.Errorf("edge labels %q and %q overlap", e.text, o.text)
			}
		}
	}
}

func TestTopologyLayout(t *testing.T) {
	t.Parallel()
	// 12 pods with 40-character names in a star, a chain and the nasty mix.
	long := func(i int) string { return fmt.Sprintf("%02d %s", i, strings.Repeat("Wohnzimmer ", 4)[:37]) }
	star := TopologyData{}
	chain := TopologyData{}
	for i := 0; i < 12; i++ {
		p := Pod{ID: fmt.Sprint("P", i), Name: long(i), Backhaul: Backhaul2G, Level: LevelDegraded, State: "disconnected", Devices: 100 + i}
		star.Pods = append(star.Pods, p)
		chain.Pods = append(chain.Pods, p)
		if i == 0 {
			star.Pods[0].Gateway, chain.Pods[0].Gateway = true, true
			continue
		}
		star.Pods[i].Parent = "P0"
		chain.Pods[i].Parent = fmt.Sprint("P", i-1)
	}
	for name, d := range map[string]TopologyData{"star": star, "chain": chain, "nasty": nasty(), "home": home()} {
		lay, err := layoutTopology(d)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) { checkLayout(t, d, lay) })
	}
	// In the star every 40-character name fits whole.
	lay, _ := layoutTopology(star)
	for _, n := range lay.nodes {
		if strings.HasSuffix(n.name, "…") {
			t.Errorf("star: %q was shortened", n.name)
		}
	}
	// The chain is too deep for labels on edges: they move into the details.
	lay, _ = layoutTopology(chain)
	if lay.edges[0].text != "" || !strings.Contains(lay.nodes[1].details, "2.4 GHz") {
		t.Errorf("chain: edge label %q, details %q; want the backhaul in the details", lay.edges[0].text, lay.nodes[1].details)
	}
}

// TestTopologyPixels: each box is outlined in its level's colour, in the PNG.
func TestTopologyPixels(t *testing.T) {
	t.Parallel()
	d := home()
	lay, err := layoutTopology(d)
	if err != nil {
		t.Fatal(err)
	}
	c := newCanvas(Width, int(lay.height))
	drawTopology(c, lay)
	img := encodeDecode(t, c, int(lay.height))
	for _, n := range lay.nodes {
		x, y := int(n.box.x0+40), int(n.box.y0) // the top edge, clear of corners and symbol
		if !near(img.At(x, y), n.row.pod.Level.color(), 16) {
			t.Errorf("%s: outline at (%d, %d) is %v, want %v", n.name, x, y, img.At(x, y), n.row.pod.Level.color())
		}
		cx, cy := int(n.box.x0+14+topoCircleR), int((n.box.y0+n.box.y1)/2)
		if !near(img.At(cx-topoCircleR+4, cy), n.row.pod.Level.color(), 16) {
			t.Errorf("%s: no %v symbol disc", n.name, n.row.pod.Level)
		}
	}
}

func TestTopologyLimits(t *testing.T) {
	t.Parallel()
	if b, err := Topology(TopologyData{}); !errors.Is(err, ErrNoData) || b != nil {
		t.Errorf("no pods: %d bytes, %v; want ErrNoData", len(b), err)
	}
	// More pods than fit: MaxTopologyPods drawn, the rest counted, the picture within limits
	// even with 40 wide characters in every name and the longest details.
	d := TopologyData{Pods: []Pod{{ID: "gw", Gateway: true, Level: LevelHealthy}}}
	for i := 0; i < 99; i++ {
		d.Pods = append(d.Pods, Pod{ID: fmt.Sprint(i), Name: fmt.Sprintf("%02d %s", i, strings.Repeat("WMQ", 13)), Parent: "gw",
			Backhaul: Backhaul(i % 6), Level: Level(i % 5), State: "disconnected since yesterday evening", Devices: 1000 + i})
	}
	lay, err := layoutTopology(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(lay.nodes) != MaxTopologyPods || lay.more != 100-MaxTopologyPods {
		t.Errorf("%d drawn, %d more; want %d and %d", len(lay.nodes), lay.more, MaxTopologyPods, 100-MaxTopologyPods)
	}
	checkLayout(t, d, lay)
	b, err := Topology(d)
	if err != nil {
		t.Fatal(err)
	}
	decode(t, b, int(lay.height))
	t.Logf("%d pods drawn: %d bytes", len(lay.nodes), len(b))
}

// FuzzTopologyLayout builds random trees (parents, gateways, levels, backhauls, names from the
// fuzzer's bytes) and checks the layout's invariants; the drawing must not panic either.
func FuzzTopologyLayout(f *testing.F) {
	f.Add([]byte{3, 0, 1, 1, 2, 2}, "Living room")
	f.Add([]byte{12, 1, 0, 2, 1, 3, 2, 4, 3, 5, 4, 6, 5}, strings.Repeat("W", 45))
	f.Add([]byte{5, 9, 9, 9, 9, 9}, "\xff\x00🏠 חדר <b>")
	f.Add([]byte{40}, "")
	f.Fuzz(func(t *testing.T, shape []byte, name string) {
		if len(shape) == 0 {
			return
		}
		n := int(shape[0])%70 + 1
		var d TopologyData
		for i := 0; i < n; i++ {
			b := byte(i * 7)
			if i+1 < len(shape) {
				b = shape[i+1]
			}
			p := Pod{ID: fmt.Sprint(i), Name: fmt.Sprintf("%s %d", name, i), Backhaul: Backhaul(b % 7), Level: Level(b % 6), Devices: int(b) - 3}
			switch {
			case b%11 == 0:
				p.Gateway = true
			case b%13 == 1:
				p.Parent = "missing"
			default:
				p.Parent = fmt.Sprint(int(b) % n) // may be itself or form cycles
			}
			d.Pods = append(d.Pods, p)
		}
		lay, err := layoutTopology(d)
		if err != nil {
			t.Fatal(err)
		}
		checkLayout(t, d, lay)
		if n <= 3 { // drawing is slow: keep the fuzzer fast, still draw small trees
			if _, err := Topology(d); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestTopologyOutOfRange(t *testing.T) {
	t.Parallel()
	lay, err := layoutTopology(TopologyData{Pods: []Pod{{ID: "gw", Gateway: true, Level: 42}, {ID: "a", Parent: "gw", Backhaul: -3, Level: -1, Devices: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range lay.nodes {
		if n.row.pod.Level != LevelUnknown {
			t.Errorf("%s: level %d, want unknown", n.name, n.row.pod.Level)
		}
	}
	if e := lay.edges[0]; e.text != "" || lay.nodes[1].details != "unknown · 2 devices" {
		t.Errorf("edge label %q, details %q; want none and %q", e.text, lay.nodes[1].details, "unknown · 2 devices")
	}
}
