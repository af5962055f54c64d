// Command plumebot is the Telegram bot ISP support staff use to check a subscriber's Plume
// WiFi. main only wires: subcommands serve | demo | check | version.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `plumebot: a Telegram bot to check a subscriber's Plume WiFi.

Usage:
  plumebot serve                                  run the bot (long polling, or webhook when PLUMEBOT_WEBHOOK_URL is set)
  plumebot demo                                   everything local: a Plume simulator and a chat in this terminal
  plumebot check [--json] <customerId> <locationId>
                                                  one health check with the operator's credentials;
                                                  exit 0 healthy, 1 warnings, 2 critical or offline, 3 unknown/error
  plumebot version

Configuration is by environment variables; see README.md.
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
		return serve(ctx, args[1:], stderr, getenv)
	case "demo":
		return demo(ctx, args[1:], stdin, stdout, stderr)
	case "check":
		return check(ctx, args[1:], stdout, stderr, getenv)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "plumebot", version)
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "unknown subcommand %q\n\n%s", args[0], usage)
	return 2
}

func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
