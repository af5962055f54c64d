package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"plumebot/internal/bench"
)

func TestRun_flagsAndRender(t *testing.T) {
	t.Parallel()
	saved := filepath.Join(t.TempDir(), "report.json")
	rep := &bench.Report{Mode: "quick", Targets: []bench.Target{{Name: "a target", Measured: "42", Met: true}}}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(saved, js.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.json")
	if err := os.WriteFile(garbage, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string // in stdout
	}{
		{"unknown flag", []string{"--nope"}, 2, ""},
		{"render saved report", []string{"--render", saved}, 0, "MET    a target: 42"},
		{"render missing file", []string{"--render", filepath.Join(t.TempDir(), "absent.json")}, 1, ""},
		{"render garbage", []string{"--render", garbage}, 1, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			if code := run(tt.args, &out, &errb); code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, errb.String())
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("stdout lacks %q:\n%s", tt.want, out.String())
			}
			if tt.code == 0 {
				for _, s := range bench.Sections {
					if !strings.Contains(out.String(), s) {
						t.Errorf("section %q missing", s)
					}
				}
			}
		})
	}
}
