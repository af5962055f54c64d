package plume

import "testing"

func TestNodeBackhaul(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		n    Node
		want string
	}{
		{"gateway", Node{BackhaulType: "ethernet"}, "ethernet"},
		{"wired pod keeps ethernet", Node{BackhaulType: "ethernet", LeafToRoot: []Hop{{ID: "GW", FreqBand: "5G"}}}, "ethernet"},
		{"wireless pod with band", Node{BackhaulType: "wifi", LeafToRoot: []Hop{{ID: "GW", FreqBand: "5G"}}}, "wifi 5G"},
		{"wireless pod without band", Node{BackhaulType: "wifi", LeafToRoot: []Hop{{ID: "GW"}}}, "wifi"},
		{"band only", Node{LeafToRoot: []Hop{{ID: "GW", FreqBand: "2.4G"}}}, "2.4G"},
		{"nothing", Node{}, ""},
	}
	for _, tt := range tests {
		if got := tt.n.Backhaul(); got != tt.want {
			t.Errorf("%s: Backhaul() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestPodNames(t *testing.T) {
	t.Parallel()
	pods := NamePods([]Node{
		{ID: "GW", Nickname: "Living room"},
		{ID: "P2", DefaultName: "Pod 2"},
		{SerialNumber: "NOID", Nickname: "No ID"},
	})
	tests := []struct {
		name string
		hop  Hop
		want string
	}{
		{"known pod: its name, not the hop's nickname", Hop{ID: "GW", Nickname: "stale"}, "Living room"},
		{"default name", Hop{ID: "P2"}, "Pod 2"},
		{"unknown pod: the hop's nickname", Hop{ID: "ELSEWHERE", Nickname: "Neighbour"}, "Neighbour"},
		{"unknown pod without nickname: the ID", Hop{ID: "ELSEWHERE"}, "ELSEWHERE"},
		{"a hop without ID is not the node without ID", Hop{}, ""},
	}
	for _, tt := range tests {
		if got := pods.Hop(tt.hop); got != tt.want {
			t.Errorf("%s: Hop(%+v) = %q, want %q", tt.name, tt.hop, got, tt.want)
		}
	}
	if got := pods.ParentOf(Node{ID: "P2", LeafToRoot: []Hop{{ID: "GW"}, {ID: "ROOT"}}}); got != "Living room" {
		t.Errorf("ParentOf: %q, want the first hop's pod", got)
	}
	if got := pods.ParentOf(Node{ID: "GW"}); got != "" {
		t.Errorf("ParentOf(gateway) = %q, want none", got)
	}
	if got := pods.PodOf(Device{LeafToRoot: []Hop{{ID: "P2"}}}); got != "Pod 2" {
		t.Errorf("PodOf = %q, want Pod 2", got)
	}
	if got := pods.PodOf(Device{}); got != "" {
		t.Errorf("PodOf(no chain) = %q, want none", got)
	}
	if got := PodNames(nil).Hop(Hop{ID: "X", Nickname: "Nick"}); got != "Nick" {
		t.Errorf("zero PodNames: %q", got)
	}
}
