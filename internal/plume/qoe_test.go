package plume

import (
	"reflect"
	"testing"
)

func TestDecodeAppQoE(t *testing.T) {
	t.Parallel()
	g := QoEClass{Name: "gaming", Score: 4.2, HasScore: true}
	tests := []struct {
		name string
		in   string
		want *AppQoE
	}{
		{"trafficClasses", `{"trafficClasses":[{"name":"gaming","qoeScore":4.2}]}`, &AppQoE{true, []QoEClass{g}}},
		{"trafficClass+score", `{"trafficClasses":[{"trafficClass":"gaming","score":"4.2"}]}`, &AppQoE{true, []QoEClass{g}}},
		{"trafficClassName+qoe", `[{"trafficClassName":"gaming","qoe":4.2}]`, &AppQoE{true, []QoEClass{g}}},
		{"data wrapper", `{"data":[{"name":"gaming","qoeScore":4.2}]}`, &AppQoE{true, []QoEClass{g}}},
		{"keyed objects", `{"video_conferencing":{"qoeScore":3,"devices":1},"gaming":{"score":4.2}}`,
			&AppQoE{true, []QoEClass{g, {Name: "video_conferencing", Score: 3, HasScore: true, Devices: 1}}}},
		{"keyed numbers", `{"gaming":4.2}`, &AppQoE{true, []QoEClass{g}}},
		{"null score", `[{"name":"gaming","qoeScore":null}]`, &AppQoE{true, []QoEClass{{Name: "gaming"}}}},
		{"empty object", `{}`, &AppQoE{}},
		{"empty array", `[]`, &AppQoE{}},
		{"null", `null`, &AppQoE{}},
		{"string", `"ok"`, &AppQoE{}},
		{"unnamed items", `[{"qoeScore":3}]`, &AppQoE{}},
		{"keyed non-metric", `{"status":"disabled"}`, &AppQoE{}},
		{"keyed mixed", `{"gaming":4.2,"note":"x"}`, &AppQoE{}},
		{"array of numbers", `[1,2]`, &AppQoE{}},
	}
	for _, tt := range tests {
		got, err := decodeAppQoE([]byte(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
	if _, err := decodeAppQoE([]byte(`{"gaming":`)); err == nil {
		t.Error("malformed JSON: want an error")
	}
}

func FuzzDecodeAppQoE(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := decodeAppQoE(data)
		if err == nil && q.Recognized && len(q.Classes) == 0 {
			t.Errorf("recognized without classes: %q", data)
		}
	})
}
