// Command plumesim runs the Plume Cloud simulator as a standalone HTTPS server for demos,
// staging and load tests; it writes its CA and a JSON file with URLs, credentials and IDs.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"plumebot/internal/plumesim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "plumesim:", err)
		os.Exit(1)
	}
}

// faultFlags collects repeated --fault endpoint=spec values.
type faultFlags map[string]plumesim.Fault

func (f faultFlags) String() string { return "" }

// Set parses endpoint=spec where spec is a status (503), a latency (2s), "malformed" or
// "waf:N[/window]"; several specs for one endpoint are joined with commas or repeated flags.
func (f faultFlags) Set(v string) error {
	ep, specs, ok := strings.Cut(v, "=")
	if !ok || ep == "" || specs == "" {
		return fmt.Errorf("want endpoint=status|latency|malformed|waf:N[/window], got %q", v)
	}
	ft := f[ep]
	for _, spec := range strings.Split(specs, ",") {
		switch {
		case spec == "malformed":
			ft.Malformed = true
		case strings.HasPrefix(spec, "waf:"):
			n, win, _ := strings.Cut(strings.TrimPrefix(spec, "waf:"), "/")
			after, err := strconv.Atoi(n)
			if err != nil || after < 1 {
				return fmt.Errorf("bad WAF count in %q", spec)
			}
			ft.WAFAfter = after
			if win != "" {
				if ft.WAFWindow, err = time.ParseDuration(win); err != nil {
					return fmt.Errorf("bad WAF window in %q: %w", spec, err)
				}
			}
		default:
			if st, err := strconv.Atoi(spec); err == nil {
				if st < 100 || st > 599 {
					return fmt.Errorf("bad status in %q", spec)
				}
				ft.Status = st
			} else if d, err := time.ParseDuration(spec); err == nil {
				ft.Latency = d
			} else {
				return fmt.Errorf("bad fault %q: want a status, a duration, malformed or waf:N[/window]", spec)
			}
		}
	}
	f[ep] = ft
	return nil
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("plumesim", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	caOut := fs.String("ca-out", "", "write the CA certificate (PEM) to this file")
	infoOut := fs.String("info-out", "", "write URLs, credentials and dataset IDs (JSON) to this file")
	ttl := fs.Duration("token-ttl", 30*time.Minute, "lifetime of issued tokens (expires_in)")
	latency := fs.Duration("latency", 0, "latency added to every API and reports call")
	tokenLatency := fs.Duration("token-latency", 0, "latency added to the token endpoint")
	downtime := fs.Duration("reboot-downtime", plumesim.DefaultRebootDowntime, "how long a rebooted pod stays disconnected (negative: it never comes back)")
	speedTest := fs.Duration("speedtest-duration", plumesim.DefaultSpeedTestDuration, "how long an ISP speed test runs before its result shows")
	verbose := fs.Bool("v", false, "log every request")
	faults := faultFlags{}
	fs.Var(faults, "fault", "endpoint=status|latency|malformed|waf:N[/window] (repeatable; endpoint * = all API, token = SSO)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	srv, err := plumesim.Start(plumesim.Options{
		TokenTTL: *ttl, Latency: *latency, TokenLatency: *tokenLatency, Addr: *addr,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	for ep, f := range faults {
		srv.SetFault(ep, f)
	}
	srv.SetRebootDowntime(*downtime)
	srv.SetSpeedTestDuration(*speedTest)
	info := srv.Info()
	if *caOut != "" {
		if err := os.WriteFile(*caOut, srv.CACertPEM(), 0o644); err != nil {
			return fmt.Errorf("write CA: %w", err)
		}
	}
	if *infoOut != "" {
		b, err := json.MarshalIndent(info, "", "  ")
		if err != nil {
			return fmt.Errorf("encode info: %w", err)
		}
		if err := os.WriteFile(*infoOut, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write info: %w", err)
		}
	}
	printInfo(stdout, info, *caOut)
	<-ctx.Done()
	return nil
}

func printInfo(w io.Writer, in plumesim.Info, caFile string) {
	if caFile == "" {
		caFile = "ca.pem"
	}
	fmt.Fprintf(w, "plumesim: a simulated Plume Cloud (the credentials below are not secret)\n\n")
	fmt.Fprintf(w, "  SSO token URL  %s\n  API base       %s\n  Reports base   %s\n", in.SSOURL, in.APIBase, in.ReportsBase)
	fmt.Fprintf(w, "  Auth header    %s\n  Partner ID     %s\n\n", in.AuthHeader, in.PartnerID)
	fmt.Fprintf(w, "Datasets (customerId locationId):\n")
	for _, name := range plumesim.DatasetNames() {
		l := in.Locations[name]
		fmt.Fprintf(w, "  %-9s %s %s  %s\n            gateway %s, email %s\n", name, l.CustomerID, l.LocationID, l.Description, l.NodeSerial, l.Email)
	}
	h := in.Locations["healthy"]
	fmt.Fprintf(w, "\nTry it:\n")
	fmt.Fprintf(w, "  AUTH='%s' PID=%s SSO=%s\n", in.AuthHeader, in.PartnerID, in.SSOURL)
	fmt.Fprintf(w, "  curl --cacert %s -X POST -H \"Authorization: $AUTH\" -d grant_type=client_credentials --data-urlencode \"scope=partnerId:$PID role:partnerIdAdmin\" $SSO\n", caFile)
	fmt.Fprintf(w, "  TOKEN=$(curl -s --cacert %s -X POST -H \"Authorization: $AUTH\" -d grant_type=client_credentials --data-urlencode \"scope=partnerId:$PID role:partnerIdAdmin\" $SSO | sed 's/.*\"access_token\":\"\\([^\"]*\\)\".*/\\1/')\n", caFile)
	fmt.Fprintf(w, "  curl --cacert %s -H \"Authorization: Bearer $TOKEN\" %s/Customers/%s/locations/%s\n", caFile, in.APIBase, h.CustomerID, h.LocationID)
	fmt.Fprintf(w, "\nTake a location (all its pods) or one pod down and up again (for /watch):\n")
	fmt.Fprintf(w, "  curl --cacert %s -X POST %s/locations/%s/down\n", caFile, in.ControlURL, h.LocationID)
	fmt.Fprintf(w, "  curl --cacert %s -X POST %s/pods/%s/up\n", caFile, in.ControlURL, h.NodeSerial)
	fmt.Fprintf(w, "\nServing until Ctrl-C.\n")
}
