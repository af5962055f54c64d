package plume

import (
	"encoding/json"
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
