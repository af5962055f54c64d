package main

import (
	"debug/buildinfo"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every subcommand explains itself with --help, on stdout, with status 0.
func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "--help"}, "usage: plumebot check"},
		{[]string{"check", "-h"}, "usage: plumebot check"},
		{[]string{"check", "--json", "--help"}, "usage: plumebot check"}, // help, not an error in JSON
		{[]string{"check", "64f0c1a2b3c4d5e6f7a8b9c0", "64f0c1a2b3c4d5e6f7a8b9c2", "--json", "-h"}, "usage: plumebot check"},
		{[]string{"serve", "--help"}, "usage: plumebot serve"},
		{[]string{"demo", "--help"}, "usage: plumebot demo"},
		{[]string{"--help"}, "plumebot <command> --help"},
	} {
		code, out, errOut := runBin(t, env, "", tc.args...)
		if code != 0 || !strings.HasPrefix(strings.TrimSpace(out), strings.Fields(tc.want)[0]) || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, stdout:\n%s\nstderr:\n%s", tc.args, code, out, errOut)
		}
	}
	if code, _, errOut := runBin(t, env, "", "serve", "--nonsense"); code != 2 || !strings.Contains(errOut, "usage: plumebot serve") {
		t.Errorf("serve --nonsense: exit %d, stderr:\n%s", code, errOut)
	}
}

// check takes its flags before or after the IDs; with --json every outcome is JSON on stdout,
// an error too, and a certificate that is not trusted is named as such.
func TestCheckManners(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ids := strings.Fields(f.ids(t, "degraded"))
	code, out, errOut := runBin(t, f.env(f.operator()), "", "check", ids[0], ids[1], "--json")
	var rep struct{ Level string }
	if code != 1 || json.Unmarshal([]byte(out), &rep) != nil || rep.Level != "degraded" {
		t.Errorf("check <ids> --json: exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// No SSL_CERT_FILE: the simulator's private CA is not trusted.
	env := f.env(merge(f.operator(), map[string]string{"SSL_CERT_FILE": ""}))
	const untrusted = "The certificate of 127.0.0.1 is not trusted (set SSL_CERT_FILE for a private CA)."
	for _, args := range [][]string{{"check", "--json", ids[0], ids[1]}, {"check", ids[0], ids[1]}} {
		code, out, errOut = runBin(t, env, "", args...)
		if code != 3 || !strings.Contains(out, untrusted) || strings.Contains(out, "could not be reached") {
			t.Errorf("%v with an untrusted CA: exit %d, stdout:\n%s\nstderr:\n%s", args, code, out, errOut)
		}
		if !strings.Contains(errOut, "plume token fetch failed") || !strings.Contains(errOut, "is not trusted") {
			t.Errorf("the log does not name the untrusted certificate:\n%s", errOut)
		}
	}

	var e struct{ Level, Error string }
	code, out, _ = runBin(t, f.env(f.operator()), "", "check", "--json", "--frobnicate", ids[0], ids[1])
	if code != 3 || json.Unmarshal([]byte(out), &e) != nil || e.Level != "unknown" || !strings.Contains(e.Error, "frobnicate") {
		t.Errorf("unknown flag --json: exit %d, stdout:\n%s", code, out)
	}
}

// version prints what Go recorded in the binary: the module version and, when the build was
// stamped (a git checkout, -buildvcs not false), the source revision.
func TestVersion(t *testing.T) {
	t.Parallel()
	code, out, errOut := runBin(t, []string{"PATH=" + os.Getenv("PATH")}, "", "version")
	if code != 0 {
		t.Fatalf("version: exit %d, stderr %q", code, errOut)
	}
	bi, err := buildinfo.ReadFile(binPath)
	if err != nil {
		t.Fatal(err)
	}
	want := "plumebot " + bi.Main.Version + " (no source revision recorded in this build)\n"
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			want = "plumebot " + bi.Main.Version + " (revision " + s.Value
		}
	}
	if !strings.HasPrefix(out, want) {
		t.Errorf("version printed %q, want it to start with %q", out, want)
	}
}

// The demo survives a 100 KB line and keeps its log out of the chat, in a file it names.
func TestDemoLongLineAndLog(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TMPDIR=" + tmp}
	stdin := strings.Repeat("x", 100_000) + "\n/help\n/quit\n"
	code, out, errOut := runBin(t, env, stdin, "demo")
	if code != 0 {
		t.Fatalf("demo exited %d; stderr:\n%s", code, errOut)
	}
	if !strings.Contains(out, "(that line is 100000 characters long; a Telegram message holds at most 4096)") ||
		!strings.Contains(out, "Commands") || !strings.HasSuffix(strings.TrimSpace(out), "bye") {
		t.Errorf("the demo did not go on after the long line:\n%.2000s", out)
	}
	m := regexp.MustCompile(`The log goes to (\S+)\.\n`).FindStringSubmatch(out)
	if m == nil || filepath.Dir(m[1]) != tmp {
		t.Fatalf("the banner does not name a log file in TMPDIR:\n%.3000s", out)
	}
	log, err := os.ReadFile(m[1])
	if err != nil || !strings.Contains(string(log), "msg=command") {
		t.Errorf("log file %s: %v\n%s", m[1], err, log)
	}
	if strings.Contains(out, "level=") || strings.Contains(out, "msg=") || errOut != "" {
		t.Errorf("log lines reached the terminal:\nstdout:\n%.2000s\nstderr:\n%s", out, errOut)
	}
}
