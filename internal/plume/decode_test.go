package plume

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestFlexTime(t *testing.T) {
	t.Parallel()
	ms := time.Date(2025, 1, 10, 8, 2, 11, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{`null`, time.Time{}},
		{`""`, time.Time{}},
		{`"  "`, time.Time{}},
		{`"2025-01-10T08:02:11Z"`, ms},
		{`"2025-01-10T08:02:11.000Z"`, ms},
		{`"2025-01-10T09:02:11.000+01:00"`, ms},
		{`"2025-01-10T08:02:11.5Z"`, ms.Add(500 * time.Millisecond)},
		{`1736496131000`, ms},
		{`1736496131000.0`, ms},
		{`"1736496131000"`, ms},
		{`"yesterday"`, time.Time{}},
		{`-5`, time.Time{}},
		{`1e300`, time.Time{}},
		{`{"a":1}`, time.Time{}},
		{`true`, time.Time{}},
	}
	for _, tt := range tests {
		var got flexTime
		if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("%s → %v, want %v", tt.in, got.Time, tt.want)
		}
	}
}

func TestFlexNumbers(t *testing.T) {
	t.Parallel()
	var v struct {
		S1, S2, S3 flexString
		I1, I2, I3 flexInt
		F1, F2, F3 flexFloat
	}
	in := `{"S1":6,"S2":"44","S3":null,"I1":"36","I2":149.0,"I3":"x","F1":"4.5","F2":3,"F3":null}`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	if v.S1 != "6" || v.S2 != "44" || v.S3 != "" || v.I1 != 36 || v.I2 != 149 || v.I3 != 0 ||
		v.F1 != (flexFloat{4.5, true}) || v.F2 != (flexFloat{3, true}) || v.F3.OK {
		t.Errorf("decoded %+v", v)
	}
}

func TestDecodeList_shapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{`[{"id":"a"},{"id":"b"}]`, 2, false},
		{`{"nodes":[{"id":"a"}]}`, 1, false},
		{`{"nodes":{"nodes":[{"id":"a"},null]}}`, 1, false},
		{`{"nodes":null}`, 0, false},
		{`{}`, 0, false},
		{`null`, 0, false},
		{`[]`, 0, false},
		{`{"devices":[]}`, 0, true},
		{`"nodes"`, 0, true},
		{`{"nodes":[`, 0, true},
		{``, 0, false},
	}
	for _, tt := range tests {
		got, err := decodeNodes([]byte(tt.in))
		if (err != nil) != tt.wantErr || len(got) != tt.want {
			t.Errorf("%s → %d nodes, err %v; want %d, err %v", tt.in, len(got), err, tt.want, tt.wantErr)
		}
	}
}

func TestDecodeNodes_sparseAndWrongTypes(t *testing.T) {
	t.Parallel()
	in := `{"nodes":{"nodes":[{"id":"A","nickname":null,"health":null,"leafToRoot":null,"alerts":"none",
		"connectedDeviceCount":"3","residentialGateway":"yes","speedTest":null,"linkStates":[null]}]}}`
	got, err := decodeNodes([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Node{{ID: "A", ConnectedDeviceCount: 3, LinkStates: []LinkState{{}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if !got[0].IsGateway() || got[0].Name() != "A" {
		t.Errorf("helpers on sparse node: gateway=%v name=%q", got[0].IsGateway(), got[0].Name())
	}
}

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

func TestDecodeOnlineStats_keys(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"onlineStats", "online", "data"} {
		in := fmt.Sprintf(`{"statsDateRange":[],%q:[{"timestamp":1736496131000,"value":"50"},{"timestamp":null,"value":1}]}`, key)
		got, err := decodeOnlineStats([]byte(in), "hours")
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if len(got.Points) != 2 || !got.Points[0].Valid || got.Points[0].Percent != 50 || got.Points[1].Valid {
			t.Errorf("%s: %+v", key, got)
		}
	}
	if _, err := decodeOnlineStats([]byte(`{"other":[]}`), "hours"); !errors.Is(err, errShape) {
		t.Errorf("unknown key: err = %v", err)
	}
}

func bigNodes(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"nodes":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"1HX2AB%04d","nickname":"Pod %d with a long nickname","defaultName":"Pod","model":"PP203X",
			"firmwareVersion":"6.4.0-123","ip":"192.168.1.%d","mac":"aa:bb:cc:dd:%02x:%02x","connectionState":"connected",
			"connectionStateChangeAt":"2025-01-10T08:02:11.000Z","backhaulType":"wifi","leafToRoot":[{"id":"1HX2AB0000","freqBand":"5G"}],
			"connectedDeviceCount":%d,"2gChannel":"6","5gChannel":44,"6gChannel":"37","health":{"status":"good","score":4},
			"alerts":[],"linkStates":[{"ifName":"eth0","linkSpeed":1000,"isUplink":true}],"bootAt":1736496131000}`,
			i, i, i%250, i/256, i%256, i%30)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func BenchmarkDecodeNodes(b *testing.B) {
	data := bigNodes(500)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		nodes, err := decodeNodes(data)
		if err != nil || len(nodes) != 500 {
			b.Fatal(len(nodes), err)
		}
	}
}

func fuzzSeeds(f *testing.F) {
	for _, s := range []string{`{"nodes":[{"id":"a","2gChannel":6,"health":"x"}]}`, `{"nodes":{"nodes":[null]}}`, `[]`, `{}`, `null`,
		`{"trafficClasses":[{"name":"g","qoeScore":"1"}]}`, `{"gaming":{"devices":[1]}}`, `{"data":{"data":{"data":[]}}}`,
		`{"fifteenMins":[{"timestamp":"2025-01-10T08:02:11Z","rxMbytes":null}]}`, `{"onlineStats":[{"timestamp":1e20,"value":"NaN"}]}`,
		`[{"mac":"x","channel":"1e400","connectionStateChangeAt":"9999999999999999999"}]`, `{"x":`, "\x00"} {
		f.Add([]byte(s))
	}
}

// The decoders must never panic, whatever Plume (or an attacker in the path) sends.
func FuzzDecodeNodes(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = decodeNodes(data)
		_, _ = decodeDevices(data)
		_, _ = decodeLocations(data)
		var l Location
		_ = decodeObject(data, &l)
	})
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

func FuzzDecodeReports(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = decodeWANStats(data, "daily")
		_, _ = decodeOnlineStats(data, "hours")
		_, _ = decodeWiFiNetworks(data)
		_, _ = decodeSearch(data)
		var b Backhaul
		_ = decodeObject(data, &b)
		var n NodeLookup
		_ = decodeObject(data, &n)
	})
}
