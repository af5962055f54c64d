package chart

import (
	"fmt"
	"strings"
)

// Backhaul is how a pod reaches its parent.
type Backhaul int

// Backhauls, drawn on the edge to the parent as "ethernet", "2.4 GHz", "5 GHz", "6 GHz", "wifi".
const (
	BackhaulUnknown  Backhaul = iota // not reported: the edge has no label
	BackhaulEthernet                 // wired
	BackhaulWiFi                     // wireless, band not reported
	Backhaul2G                       // wireless 2.4 GHz
	Backhaul5G                       // wireless 5 GHz
	Backhaul6G                       // wireless 6 GHz
)

// String is the edge label ("5 GHz"); "" for BackhaulUnknown.
func (b Backhaul) String() string {
	switch b {
	case BackhaulEthernet:
		return "ethernet"
	case BackhaulWiFi:
		return "wifi"
	case Backhaul2G:
		return "2.4 GHz"
	case Backhaul5G:
		return "5 GHz"
	case Backhaul6G:
		return "6 GHz"
	}
	return ""
}

// Pod is one node of a location's mesh (plume-api.md §5.3 nodes: id, nickname, backhaulType,
// leafToRoot, connectionState, health, connectedDeviceCount).
type Pod struct {
	// ID is the pod's serial (Plume's node id); Parent refers to it. Shown when Name is empty or
	// has nothing drawable.
	ID string
	// Name is the pod's nickname (or Plume's default name); drawn as text, shortened to fit.
	Name string
	// Gateway marks the pod that connects the location to the internet (the tree's root).
	Gateway bool
	// Parent is the ID of the pod this one's backhaul goes to (leafToRoot[0]); ignored for a
	// gateway. Empty, unknown or cyclic: the pod is drawn under the gateway, marked
	// "parent unknown" with a dotted edge.
	Parent string
	// Backhaul is the link to the parent, written on the edge.
	Backhaul Backhaul
	// Level colours the pod, with a symbol (✓ ! ! ✕ ?) and a word as the second cue.
	Level Level
	// State is the word written for the level when set, e.g. "disconnected" or "fair"
	// (the text report's words); empty: Level's word.
	State string
	// Devices is the number of connected devices; negative: unknown (not written).
	Devices int
}

// TopologyData is the input of Topology.
type TopologyData struct {
	// Pods in the order siblings are drawn (the caller sorts them, e.g. as /nodes lists them).
	Pods []Pod
	// Title heads the picture, e.g. "Home · 3 of 4 pods connected" (drawn as text, shortened
	// to fit); empty: "Pods".
	Title string
}

// MaxTopologyPods is how many pods Topology draws; a last row says how many more there are.
// 30 rows (3.4k px, already a long scroll on a phone) keep the PNG within MaxBytes.
const MaxTopologyPods = 30

// Topology draws the mesh as a tree, 1280 px wide and as tall as it needs (about 100 px per pod):
// the gateway at the top, each pod in a box under its parent and indented from it, coloured by
// its level with a symbol and a word, the device count beside it, and each edge labelled with
// its backhaul. Names are drawn as text, cleaned and shortened with "…" to fit. Errors:
// ErrNoData when there is no pod.
func Topology(d TopologyData) ([]byte, error) {
	lay, err := layoutTopology(d)
	if err != nil {
		return nil, err
	}
	c := newCanvas(Width, int(lay.height))
	drawTopology(c, lay)
	return c.encode()
}

// treeRow is one pod in drawing order (depth first), with its depth and parent row.
type treeRow struct {
	pod           *Pod
	depth         int
	parent        int  // index of the parent row, -1 for a root
	unknownParent bool // parent missing, unknown or in a cycle: drawn under the gateway
	placeholder   bool // a root standing for a gateway the data did not name
}

// tree orders the pods depth first from the gateways. A pod whose parent is missing, itself,
// not among the pods, or part of a cycle goes under the first gateway, marked; without any
// gateway a grey placeholder root stands for it.
func tree(pods []Pod) []treeRow {
	byID := make(map[string]int, len(pods))
	for i, p := range pods {
		if _, dup := byID[p.ID]; !dup && p.ID != "" {
			byID[p.ID] = i
		}
	}
	parent := make([]int, len(pods)) // -1 root, -2 under the first root (unknown parent)
	var roots []int
	for i, p := range pods {
		switch j, ok := byID[p.Parent]; {
		case p.Gateway:
			parent[i] = -1
			roots = append(roots, i)
		case !ok || p.Parent == "" || j == i:
			parent[i] = -2
		default:
			parent[i] = j
		}
	}
	// Break cycles: follow each chain; a pod met twice on one walk is cut from its parent.
	state := make([]uint8, len(pods)) // 0 unvisited, 1 on the current walk, 2 done
	for i := range pods {
		var walk []int
		for j := i; j >= 0 && state[j] == 0; j = parent[j] {
			state[j] = 1
			walk = append(walk, j)
			if p := parent[j]; p >= 0 && state[p] == 1 {
				parent[j] = -2
			}
		}
		for _, j := range walk {
			state[j] = 2
		}
	}
	children := make([][]int, len(pods))
	var orphans []int
	for i, p := range parent {
		switch {
		case p >= 0:
			children[p] = append(children[p], i)
		case p == -2:
			orphans = append(orphans, i)
		}
	}
	var rows []treeRow
	var visit func(i, depth, par int, unknown bool)
	visit = func(i, depth, par int, unknown bool) {
		rows = append(rows, treeRow{pod: &pods[i], depth: depth, parent: par, unknownParent: unknown})
		me := len(rows) - 1
		for _, c := range children[i] {
			visit(c, depth+1, me, false)
		}
	}
	if len(roots) == 0 && len(orphans) > 0 {
		rows = append(rows, treeRow{pod: &Pod{Name: "Gateway not reported", Level: LevelUnknown, Devices: -1},
			parent: -1, placeholder: true})
		for _, o := range orphans {
			visit(o, 1, 0, true)
		}
		return rows
	}
	for k, r := range roots {
		visit(r, 0, -1, false)
		if k == 0 { // the first root is row 0
			for _, o := range orphans {
				visit(o, 1, 0, true)
			}
		}
	}
	return rows
}

// Topology geometry (pixels).
const (
	topoMargin    = 40
	topoHeaderH   = 170 // title and legend
	topoBoxH      = 88
	topoPitch     = 108 // box height plus the gap the edges run through
	topoCircleR   = 24
	topoIndentMax = 210
	topoMinBoxW   = 560 // room for a 20-character name at 32 px
	topoTextX     = 78  // name and details start this far into the box
)

var (
	topoName    = textStyle{size: 32, bold: true, col: colorInk}
	topoDetails = textStyle{size: sizeSmall, col: colorInkMuted}
	topoEdge    = textStyle{size: sizeSmall, bold: true, col: colorInk}
)

// topoNode is a laid-out pod box.
type topoNode struct {
	row     treeRow
	box     rect
	name    string // as drawn: cleaned, shortened, visual order
	details string
}

// topoEdge is a laid-out edge from a parent's trunk to a child's box.
type topoEdgeLayout struct {
	from, to int     // node indexes
	trunkX   float64 // x of the vertical line under the parent's symbol
	y        float64 // y of the horizontal line into the child
	pill     rect    // the backhaul label; zero when the label is in the details instead
	text     string  // the backhaul label
	dotted   bool    // parent unknown
	path     [][2]float64
}

// topoLayout is everything Topology draws, placed.
type topoLayout struct {
	title  string
	height float64
	nodes  []topoNode
	edges  []topoEdgeLayout
	more   int // pods not drawn (over MaxTopologyPods)
	moreY  float64
}

func layoutTopology(d TopologyData) (topoLayout, error) {
	if len(d.Pods) == 0 {
		return topoLayout{}, ErrNoData
	}
	pods := append([]Pod(nil), d.Pods...)
	for i := range pods { // values outside the enums draw as unknown
		if pods[i].Level < LevelUnknown || pods[i].Level > LevelOffline {
			pods[i].Level = LevelUnknown
		}
		if pods[i].Backhaul < BackhaulUnknown || pods[i].Backhaul > Backhaul6G {
			pods[i].Backhaul = BackhaulUnknown
		}
	}
	rows := tree(pods)
	var lay topoLayout
	if len(rows) > MaxTopologyPods {
		lay.more = len(rows) - MaxTopologyPods
		rows = rows[:MaxTopologyPods]
	}
	maxDepth := 0
	for _, r := range rows {
		maxDepth = max(maxDepth, r.depth)
	}
	// Each level indents by the same step; deep trees get a smaller one so that the deepest
	// box keeps topoMinBoxW. Edge labels sit on the horizontal part of an edge when it is long
	// enough, else they move into the child's details line.
	indent := float64(topoIndentMax)
	if maxDepth > 0 {
		indent = min(indent, (Width-2*topoMargin-topoMinBoxW)/float64(maxDepth))
	}
	pillW := 0.0
	for b := BackhaulEthernet; b <= Backhaul6G; b++ {
		pillW = max(pillW, topoEdge.width(b.String())+24)
	}
	pillsOnEdges := indent-topoCircleR-24 >= pillW+16

	title := d.Title
	if strings.TrimSpace(title) == "" {
		title = "Pods"
	}
	lay.title = label(title, textStyle{size: sizeTitle, bold: true}, Width-2*topoMargin)
	for i, r := range rows {
		x0 := topoMargin + float64(r.depth)*indent
		y0 := topoHeaderH + float64(i)*topoPitch
		n := topoNode{row: r, box: rect{x0, y0, Width - topoMargin, y0 + topoBoxH}}
		textW := n.box.w() - topoTextX - 16
		name := clean(r.pod.Name)
		if !hasWords(name) {
			name = clean(r.pod.ID)
		}
		if name == "" {
			name = "(unnamed pod)"
		}
		n.name = visual(ellipsis(name, topoName, textW))
		var det []string
		switch {
		case r.placeholder:
		case r.pod.Gateway:
			det = append(det, "gateway")
		case r.unknownParent:
			det = append(det, "parent unknown")
		}
		if !pillsOnEdges && !r.pod.Gateway && r.pod.Backhaul != BackhaulUnknown && !r.placeholder {
			det = append(det, r.pod.Backhaul.String())
		}
		word := clean(r.pod.State)
		if !hasWords(word) {
			word = r.pod.Level.String()
		}
		det = append(det, word)
		if r.pod.Devices >= 0 && !r.placeholder {
			det = append(det, devices(r.pod.Devices))
		}
		n.details = visual(ellipsis(strings.Join(det, " · "), topoDetails, textW))
		lay.nodes = append(lay.nodes, n)
	}
	for i, n := range lay.nodes {
		if n.row.parent < 0 {
			continue
		}
		p := lay.nodes[n.row.parent]
		e := topoEdgeLayout{from: n.row.parent, to: i, trunkX: p.box.x0 + 14 + topoCircleR,
			y: (n.box.y0 + n.box.y1) / 2, dotted: n.row.unknownParent}
		e.path = [][2]float64{{e.trunkX, p.box.y1}, {e.trunkX, e.y}, {n.box.x0, e.y}}
		if pillsOnEdges && n.row.pod.Backhaul != BackhaulUnknown {
			e.text = n.row.pod.Backhaul.String()
			w := topoEdge.width(e.text) + 24
			cx := (e.trunkX + topoCircleR/2 + n.box.x0) / 2
			e.pill = rect{cx - w/2, e.y - 22, cx + w/2, e.y + 22}
		}
		lay.edges = append(lay.edges, e)
	}
	lay.height = topoHeaderH + float64(len(rows))*topoPitch + topoMargin - (topoPitch - topoBoxH)
	if lay.more > 0 {
		lay.moreY = lay.height + 20
		lay.height += 70
	}
	return lay, nil
}

func devices(n int) string {
	if n == 1 {
		return "1 device"
	}
	return fmt.Sprintf("%d devices", n)
}

func drawTopology(c *canvas, lay topoLayout) {
	c.text(topoMargin, 64, lay.title, textStyle{size: sizeTitle, bold: true, col: colorInk}, alignLeft)
	// Legend: each level's symbol and word.
	x := float64(topoMargin)
	for _, l := range []Level{LevelHealthy, LevelDegraded, LevelIssues, LevelOffline, LevelUnknown} {
		levelSymbol(c, x+18, 118, 18, l)
		c.text(x+46, 128, l.String(), textStyle{size: sizeSmall, col: colorInk}, alignLeft)
		x += 46 + textStyle{size: sizeSmall}.width(l.String()) + 40
	}
	for _, e := range lay.edges {
		var dash []float64
		if e.dotted {
			dash = []float64{6, 8}
		}
		c.line(colorInkMuted, 3, dash, e.path...)
	}
	for _, e := range lay.edges {
		if e.text != "" {
			c.box(e.pill, 20, colorWhite, colorInkMuted, 2)
			c.text((e.pill.x0+e.pill.x1)/2, (e.pill.y0+e.pill.y1)/2+topoEdge.ascent()/2, e.text, topoEdge, alignCenter)
		}
	}
	for _, n := range lay.nodes {
		l := n.row.pod.Level
		c.box(n.box, 12, tint(l.color(), 0.14), l.color(), 4)
		levelSymbol(c, n.box.x0+14+topoCircleR, (n.box.y0+n.box.y1)/2, topoCircleR, l)
		c.text(n.box.x0+topoTextX, n.box.y0+38, n.name, topoName, alignLeft)
		c.text(n.box.x0+topoTextX, n.box.y0+74, n.details, topoDetails, alignLeft)
	}
	if lay.more > 0 {
		c.text(topoMargin, lay.moreY+30, fmt.Sprintf("… and %d more pods not drawn", lay.more),
			textStyle{size: sizeBody, col: colorInk}, alignLeft)
	}
}

// levelSymbol draws the level's disc with its symbol: ✓ healthy, ! degraded and issues,
// ✕ offline, ? unknown. The marks are paths (✓ and ✕ are not in the Liberation fonts).
func levelSymbol(c *canvas, cx, cy, r float64, l Level) {
	c.circle(cx, cy, r, l.color())
	ink := colorWhite
	if l == LevelDegraded || l == LevelUnknown {
		ink = colorInk // white on yellow or light grey is unreadable
	}
	lw := r * 0.22
	switch l {
	case LevelHealthy:
		c.line(ink, lw, nil, [2]float64{cx - 0.45*r, cy + 0.02*r}, [2]float64{cx - 0.12*r, cy + 0.36*r},
			[2]float64{cx + 0.48*r, cy - 0.38*r})
	case LevelOffline:
		c.line(ink, lw, nil, [2]float64{cx - 0.38*r, cy - 0.38*r}, [2]float64{cx + 0.38*r, cy + 0.38*r})
		c.line(ink, lw, nil, [2]float64{cx + 0.38*r, cy - 0.38*r}, [2]float64{cx - 0.38*r, cy + 0.38*r})
	default:
		mark := "!"
		if l == LevelUnknown {
			mark = "?"
		}
		st := textStyle{size: r * 1.3, bold: true, col: ink}
		c.text(cx, cy+st.ascent()/2, mark, st, alignCenter)
	}
}
