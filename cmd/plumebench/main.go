// Command plumebench is plumebot's end-to-end benchmark: the real bot and Telegram adapter
// against the fake Bot API and the Plume simulator, reported as text or JSON (--json).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"plumebot/internal/bench"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plumebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	quick := fs.Bool("quick", false, "smaller counts (CI smoke run)")
	latency := fs.Duration("latency", 0, "simulated Plume latency per call for the latency sections (default 100ms)")
	jsonOut := fs.String("json-out", "", "also write the JSON report to this file")
	render := fs.String("render", "", "print a saved JSON report (from --json or --json-out) as text, without running")
	only := fs.String("only", "", "run one scenario: watch (the watcher); default all")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *render != "" {
		return renderSaved(*render, stdout, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := bench.Run(ctx, bench.Config{Quick: *quick, L: *latency, Progress: stderr, Only: *only})
	if err != nil {
		fmt.Fprintln(stderr, "plumebench:", err)
		return 1
	}
	if *jsonOut != "" {
		if err := writeJSONFile(*jsonOut, rep); err != nil {
			fmt.Fprintln(stderr, "plumebench:", err)
			return 1
		}
	}
	if *asJSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "plumebench:", err)
		return 1
	}
	return 0
}

func writeJSONFile(path string, rep *bench.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := rep.WriteJSON(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func renderSaved(path string, stdout, stderr io.Writer) int {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(stderr, "plumebench:", err)
		return 1
	}
	var rep bench.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		fmt.Fprintln(stderr, "plumebench: not a plumebench JSON report:", err)
		return 1
	}
	if err := rep.WriteText(stdout); err != nil {
		fmt.Fprintln(stderr, "plumebench:", err)
		return 1
	}
	return 0
}
