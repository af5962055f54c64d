package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
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

func check(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: plumebot check [--json] <customerId> <locationId>")
	}
	if err := fs.Parse(args); err != nil {
		return exitUnknown
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return exitUnknown
	}
	customerID, locationID := fs.Arg(0), fs.Arg(1)
	if err := plumedata.ValidateLocation(customerID, locationID); err != nil {
		fmt.Fprintln(stderr, "UNKNOWN:", plainError(err))
		return exitUnknown
	}
	cfg, err := config.Load(getenv, config.ModeCheck)
	if err != nil {
		fmt.Fprintf(stderr, "UNKNOWN: configuration:\n%v\n", err)
		return exitUnknown
	}
	// One read with nothing to share it with: the cache stays unused (fresh).
	opts := plumeOptions(cfg)
	opts.Logger = slog.Default()
	data, err := plumedata.New(plumedata.Config{Plume: opts}).Session(*cfg.Operator)
	if err != nil {
		fmt.Fprintln(stderr, "UNKNOWN:", plainError(err))
		return exitUnknown
	}
	ctx, cancel := context.WithTimeout(ctx, 2*cfg.PlumeTimeout+5*time.Second)
	defer cancel()
	snap, err := data.Snapshot(ctx, customerID, locationID, plumedata.AllParts, true)
	if err != nil {
		fmt.Fprintln(stderr, "UNKNOWN:", plainError(err))
		return exitUnknown
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

// burst lets a short burst of a command's parallel calls through at once.
func burst(rate float64) int {
	if rate < 1 {
		return 1
	}
	return int(rate)
}

// plainError is the friendly error text without HTML, for a terminal.
func plainError(err error) string { return console.Text(render.Error(err)) }
