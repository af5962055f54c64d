package plume

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

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
		_, _ = decodeObject[Location](data)
	})
}

func FuzzDecodeReports(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = decodeWANStats(data, "daily")
		_, _ = decodeOnlineStats(data, "hours")
		_, _ = decodeWiFiNetworks(data)
		_, _ = decodeSearch(data)
		_, _ = decodeObject[NodeLookup](data)
	})
}
