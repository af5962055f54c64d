package plume

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Plume's payloads are only partly documented, so decoding is lenient where real data varies:
// null or missing fields become zero values, timestamps may be "", null, RFC 3339 or epoch
// milliseconds, numbers may arrive as strings and the other way round, and a field of an
// unexpected type is dropped rather than failing the whole response. Malformed JSON still fails.

// lenient ignores type mismatches (the field keeps its zero value) but not syntax errors.
func lenient(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return nil
	}
	return err
}

func decodeJSON(data []byte, v any) error { return lenient(json.Unmarshal(data, v)) }

func isNull(b []byte) bool { return len(b) == 0 || string(b) == "null" }

// jsonString returns the string a JSON string literal holds, and whether b is one.
func jsonString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b) && bytes.IndexByte(b[1:len(b)-1], '"') < 0 && b[len(b)-1] == '"' {
		return string(b[1 : len(b)-1]), true // no escapes: the common case, without reflection
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return "", false
	}
	return s, true
}

// flexTime accepts "", null, RFC 3339 with or without fractions, and epoch milliseconds (as a
// number or a digit string). Anything else is the zero time.
type flexTime struct{ time.Time }

func (t *flexTime) UnmarshalJSON(b []byte) error {
	t.Time = time.Time{}
	b = bytes.TrimSpace(b)
	if isNull(b) {
		return nil
	}
	if s, ok := jsonString(b); ok {
		t.Time = parseTime(strings.TrimSpace(s))
		return nil
	}
	if f, err := strconv.ParseFloat(string(b), 64); err == nil {
		t.Time = epochMillis(f)
	}
	return nil
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return epochMillis(f)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// epochMillis converts milliseconds since 1970; out-of-range values (beyond year ~33658) are zero.
func epochMillis(f float64) time.Time {
	if math.IsNaN(f) || f <= 0 || f > 1e15 {
		return time.Time{}
	}
	return time.UnixMilli(int64(f)).UTC()
}

// flexString accepts a string, a number (kept as written), a bool, or null.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*s = ""
	switch {
	case isNull(b):
	case b[0] == '"':
		v, _ := jsonString(b)
		*s = flexString(v)
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9') || string(b) == "true" || string(b) == "false":
		*s = flexString(b)
	}
	return nil
}

// flexFloat accepts a number or a numeric string; OK is false for null, missing or garbage.
type flexFloat struct {
	V  float64
	OK bool
}

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	*f = flexFloat{}
	b = bytes.TrimSpace(b)
	if isNull(b) {
		return nil
	}
	s := string(b)
	if v, ok := jsonString(b); ok {
		s = strings.TrimSpace(v)
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
		*f = flexFloat{V: v, OK: true}
	}
	return nil
}

// flexInt accepts an integer, a float (truncated) or a numeric string.
type flexInt int

func (i *flexInt) UnmarshalJSON(b []byte) error {
	var f flexFloat
	_ = f.UnmarshalJSON(b)
	*i = 0
	if f.OK && math.Abs(f.V) < math.MaxInt32 {
		*i = flexInt(f.V)
	}
	return nil
}
