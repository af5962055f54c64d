// Command plumebot is the Telegram bot ISP support staff use to check a subscriber's Plume
// WiFi. main only wires: subcommands serve | demo | check | rekey | version.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version may be set at build time with -ldflags "-X main.version=…"; otherwise the module
// version from the build info is shown.
var version = ""

const usage = `plumebot: a Telegram bot to check a subscriber's Plume WiFi.

Usage:
  plumebot serve                                  run the bot (long polling, or webhook when PLUMEBOT_WEBHOOK_URL is set)
  plumebot demo                                   everything local: a Plume simulator and a chat in this terminal
  plumebot check [--json] <customerId> <locationId>
                                                  one health check with the operator's credentials;
                                                  exit 0 healthy, 1 warnings, 2 critical or offline, 3 unknown/error
  plumebot rekey                                  re-seal every stored record with PLUMEBOT_SECRET_KEY (key rotation;
                                                  PLUMEBOT_SECRET_KEY_PREVIOUS opens the old ones); safe while replicas run on Redis
  plumebot version                                the version and the source revision it was built from

"plumebot <command> --help" tells more. Configuration is by environment variables; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run is main without the process: tests call it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr, getenv)
	case "demo":
		return demo(ctx, args[1:], stdin, stdout, stderr)
	case "check":
		return check(ctx, args[1:], stdout, stderr, getenv)
	case "rekey":
		return rekey(ctx, args[1:], stdout, stderr, getenv)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, versionText())
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "unknown subcommand %q\n\n%s", args[0], usage)
	return 2
}

// versionText is "plumebot <version> (revision <commit>[, modified], <time>)" from the build
// info Go records (module version and VCS stamp); -ldflags "-X main.version=…" overrides the
// version.
func versionText() string {
	v, rev, when, modified := version, "", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "(unknown version)"
	}
	out := "plumebot " + v
	if rev == "" {
		return out + " (no source revision recorded in this build)"
	}
	out += " (revision " + rev
	if modified {
		out += ", modified"
	}
	if when != "" {
		out += ", " + when
	}
	return out + ")"
}

// parseArgs parses fs's flags wherever they are among the arguments ("check <c> <l> --json"
// works as well as "check --json <c> <l>") and returns the other arguments in order.
// "--help" gives flag.ErrHelp; fs's output is not used.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		// flag stops at the first argument that is not a flag, and after "--".
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// usageResult turns a parseArgs error into the exit: help on stdout with 0, or the error and
// the usage on stderr with bad.
func usageResult(err error, help string, stdout, stderr io.Writer, bad int) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, help)
		return 0
	}
	fmt.Fprintf(stderr, "%v\n\n%s", err, help)
	return bad
}

func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
