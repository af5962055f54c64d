package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"plumebot/internal/config"
	"plumebot/internal/console"
	"plumebot/internal/health"
	"plumebot/internal/plumedata"
	"plumebot/internal/render"
)

// Exit codes of `check`, the monitoring-plugin convention (Nagios/Icinga).
const (
	exitOK       = 0
	exitWarning  = 1
	exitCritical = 2
	exitUnknown  = 3
)

const checkUsage = `usage: plumebot check [--json] <customerId> <locationId>

One health check of a location with the operator's credentials (PLUME_SSO_URL,
PLUME_AUTH_HEADER or PLUME_AUTH_HEADER_FILE, PLUME_PARTNER_ID; see README.md). Flags may come
before or after the IDs.

  --json   the report as JSON on stdout; an error too: {"level":"unknown","error":"…"}

Exit status (the monitoring-plugin convention): 0 healthy, 1 warnings, 2 critical or offline,
3 unknown or error.
`

func check(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	ids, err := parseArgs(fs, args)
	if err != nil {
		// --help is a question, not a failed check: the help and status 0, --json or not.
		if !errors.Is(err, flag.ErrHelp) && (*asJSON || slices.Contains(args, "--json") || slices.Contains(args, "-json")) {
			return unknown(stdout, stderr, true, err.Error()+" (see plumebot check --help)")
		}
		return usageResult(err, checkUsage, stdout, stderr, exitUnknown)
	}
	fail := func(msg string) int { return unknown(stdout, stderr, *asJSON, msg) }
	if len(ids) != 2 {
		if !*asJSON {
			fmt.Fprint(stderr, checkUsage)
		}
		return fail(fmt.Sprintf("check takes a customer ID and a location ID, got %d arguments", len(ids)))
	}
	customerID, locationID := ids[0], ids[1]
	if err := plumedata.ValidateLocation(customerID, locationID); err != nil {
		return fail(plainError(err))
	}
	cfg, err := config.Load(getenv, config.ModeCheck)
	if err != nil {
		return fail("configuration:\n" + err.Error())
	}
	// One read with nothing to share it with: the cache stays unused (fresh).
	opts := plumeOptions(cfg)
	opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	data, err := plumedata.New(plumedata.Config{Plume: opts}).Session(*cfg.Operator)
	if err != nil {
		return fail(plainError(err))
	}
	ctx, cancel := context.WithTimeout(ctx, 2*cfg.PlumeTimeout+5*time.Second)
	defer cancel()
	snap, err := data.Snapshot(ctx, customerID, locationID, plumedata.AllParts, true)
	if err != nil {
		return fail(plainError(err))
	}
	report := health.Analyze(snap.Snapshot, time.Now())

	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			fmt.Fprintln(stderr, "UNKNOWN:", err)
			return exitUnknown
		}
	} else {
		pages := render.HealthReport(report, render.Options{Now: time.Now()})
		fmt.Fprintln(stdout, strings.ToUpper(report.Level.String())+": "+console.Text(strings.Join(pages, "\n\n")))
	}
	return report.Level.ExitCode()
}

// unknown reports a check that could not be made (exit 3): "UNKNOWN: msg" on stderr, or with
// --json {"level":"unknown","error":msg} on stdout, where a monitoring system reads it.
func unknown(stdout, stderr io.Writer, asJSON bool, msg string) int {
	if !asJSON {
		fmt.Fprintln(stderr, "UNKNOWN:", msg)
		return exitUnknown
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(struct {
		Level health.Level `json:"level"`
		Error string       `json:"error"`
	}{health.LevelUnknown, msg}); err != nil {
		fmt.Fprintln(stderr, "UNKNOWN:", msg)
	}
	return exitUnknown
}

// burst lets a short burst of a command's parallel calls through at once.
func burst(rate float64) int {
	if rate < 1 {
		return 1
	}
	return int(rate)
}

// plainError is the friendly error text without HTML, for a terminal.
func plainError(err error) string { return console.Text(render.Error(err)) }
