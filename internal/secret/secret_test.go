package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const value = "Basic c2VjcmV0LWlkOnNlY3JldC12YWx1ZQ=="

func TestStringNeverShows(t *testing.T) {
	t.Parallel()
	s := String(value)
	holder := struct {
		Header String `json:"header"`
		Ptr    *String
	}{s, &s}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v"} {
		outs = append(outs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, holder))
	}
	outs = append(outs, fmt.Sprint(s), fmt.Sprintln(s, &s))
	j, err := json.Marshal(holder)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j))
	var logs bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		slog.New(h).Info("x", "header", s, "holder", holder, slog.Any("ptr", &s))
	}
	outs = append(outs, logs.String())
	for _, o := range outs {
		if strings.Contains(o, value) || strings.Contains(o, "c2VjcmV0") {
			t.Errorf("secret shown: %s", o)
		}
	}
	if !strings.Contains(string(j), `"header":"[REDACTED]"`) {
		t.Errorf("JSON = %s, want the header redacted", j)
	}
	if s.Reveal() != value {
		t.Errorf("Reveal = %q", s.Reveal())
	}
}
