package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"plumebot/internal/bot"
	"plumebot/internal/config"
	"plumebot/internal/console"
	"plumebot/internal/health"
	"plumebot/internal/plume"
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
	for _, v := range []struct{ kind, id string }{{"customer", customerID}, {"location", locationID}} {
		if err := plume.ValidateID(v.kind, v.id); err != nil {
			fmt.Fprintln(stderr, "UNKNOWN:", plainError(err))
			return exitUnknown
		}
	}
	cfg, err := config.Load(getenv, config.ModeCheck)
	if err != nil {
		fmt.Fprintf(stderr, "UNKNOWN: configuration:\n%v\n", err)
		return exitUnknown
	}
	client, err := plume.NewClient(*cfg.Operator, plume.Options{
		Timeout:      cfg.PlumeTimeout,
		Limits:       plume.NewHostLimits(cfg.PlumeRate, burst(cfg.PlumeRate)),
		AllowedHosts: cfg.AllowedHosts,
	})
	if err != nil {
		fmt.Fprintln(stderr, "UNKNOWN:", plainError(err))
		return exitUnknown
	}
	ctx, cancel := context.WithTimeout(ctx, 2*cfg.PlumeTimeout+5*time.Second)
	defer cancel()
	snap := bot.FetchSnapshot(ctx, client, customerID, locationID)
	report := health.Analyze(snap, time.Now())

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
