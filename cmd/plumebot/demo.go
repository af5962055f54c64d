package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"plumebot/internal/action"
	"plumebot/internal/bot"
	"plumebot/internal/console"
	"plumebot/internal/plume"
	"plumebot/internal/plumedata"
	"plumebot/internal/plumesim"
	"plumebot/internal/secret"
	"plumebot/internal/store"
	"plumebot/internal/watch"
)

// demoUser is the terminal's Telegram-like user ID: a support user, so the demo shows the
// actions too.
const demoUser = 1000001

// demoWatchInterval is how often the demo's watcher checks (the shortest serve allows), so
// that /watch on the flapping location shows an alert within about 30 s.
const demoWatchInterval = 5 * time.Second

// demoRebootDowntime is how long the demo's simulated pods take to reboot: short enough to
// watch the follow-through to its end.
const demoRebootDowntime = 10 * time.Second

const demoUsage = `usage: plumebot demo [--log FILE]

Everything local, with no token and no network: a simulated Plume Cloud in this process and a
chat with the bot in this terminal, already signed in with the simulator's credentials. It
prints the simulated locations and what to try; /quit ends it.

  --log FILE   where the log goes (default: a new file in the temporary folder, named at start);
               logs never go to the chat
`

func demo(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	logPath := fs.String("log", "", "log file")
	rest, err := parseArgs(fs, args)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("demo takes no arguments, got %q", rest[0])
	}
	if err != nil {
		return usageResult(err, demoUsage, stdout, stderr, 2)
	}
	// The terminal is the chat: log lines there would read as messages. They go to a file
	// the banner names; only if it cannot be made, to stderr, warnings only.
	log, logName, closeLog := demoLogger(*logPath, stderr)
	defer closeLog()
	sim, err := plumesim.Start(plumesim.Options{Logger: log})
	if err != nil {
		fmt.Fprintln(stderr, "demo: starting the Plume simulator:", err)
		return 1
	}
	defer sim.Close()
	sim.SetRebootDowntime(demoRebootDowntime)
	info := sim.Info()

	// A throw-away store sealed with a random key: nothing outlives the demo.
	key := make([]byte, 32)
	rand.Read(key)
	kr, err := store.NewKeyring(key)
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	st, err := store.New(ctx, store.NewMemory(), kr)
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	defer st.Close()

	creds := plume.Credentials{TokenURL: info.SSOURL, AuthHeader: secret.String(info.AuthHeader),
		PartnerID: info.PartnerID, APIBase: info.APIBase, ReportsBase: info.ReportsBase}
	con := console.New(stdout)
	hosts := []string{"127.0.0.1"}
	data := plumedata.New(plumedata.Config{
		Plume:  plume.Options{HTTPClient: sim.Client(), AllowedHosts: hosts},
		Logger: log,
	})
	b, err := bot.New(bot.Config{
		AllowedUsers:   []int64{demoUser},
		DefaultSSOURL:  info.SSOURL,
		DefaultAPIBase: info.APIBase,
		AllowedHosts:   hosts,
		Operator:       &creds,
		Data:           data,
		Logger:         log,
		Support:        []int64{demoUser},
		// The demo's pods reboot in seconds: look every 2 s.
		Actions: action.Config{Poll: 2 * time.Second},
	}, st, con)
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	defer b.Close()
	// The watcher as serve runs it, checking often; its alerts print like any message.
	eng, err := watch.New(st, watch.SourceReader{Source: data, MaxAge: demoWatchInterval / 2}, b, b,
		watch.Config{MinInterval: demoWatchInterval, Logger: log})
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	b.EnableWatches(eng)
	wctx, stopWatching := context.WithCancel(ctx)
	watching := make(chan struct{})
	go func() { defer close(watching); _ = eng.Run(wctx) }()
	defer func() { stopWatching(); <-watching }() // before the store closes and the bot stops
	fmt.Fprint(stdout, banner(info))
	fmt.Fprintf(stdout, "The log goes to %s.\n\n", logName)
	if err := con.Run(ctx, stdin, b, demoUser, "Demo"); err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
	fmt.Fprintln(stdout, "\nbye")
	return 0
}

// banner says what the demo is, what each simulated location shows and what to type.
func banner(info plumesim.Info) string {
	var b strings.Builder
	b.WriteString(`plumebot demo: a simulated Plume Cloud on this machine and a chat with the bot in this terminal.
You are already signed in with the simulator's operator credentials. Type commands as you would
in Telegram; when the bot shows buttons, type the number in brackets to press one. /quit ends.

Simulated locations (customerId locationId):
`)
	for _, name := range plumesim.DatasetNames() {
		l, ok := info.Locations[name]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "  %-8s %s %s  %s\n", name, l.CustomerID, l.LocationID, l.Description)
	}
	if d, ok := info.Locations["degraded"]; ok {
		fmt.Fprintf(&b, "\nTry:\n  /health %s %s\n  /devices        (the last location is remembered)\n", d.CustomerID, d.LocationID)
		if d.NodeSerial != "" {
			fmt.Fprintf(&b, "  /node %s\n", d.NodeSerial)
		}
		if d.Email != "" {
			fmt.Fprintf(&b, "  /find %s\n", d.Email)
		}
		fmt.Fprintf(&b, "  /locations %s\n", d.CustomerID)
	}
	if h, ok := info.Locations["healthy"]; ok {
		fmt.Fprintf(&b, "  /reboot %s %s\n                  (you are a support user: pick a pod, confirm, and watch it come back;\n"+
			"                   the simulated pods reboot in %s)\n  /speedtest      (the same location)\n",
			h.CustomerID, h.LocationID, fmt.Sprintf("%d s", int(demoRebootDowntime/time.Second)))
	}
	if l, ok := info.Locations["flapping"]; ok {
		fmt.Fprintf(&b, "\nWatching (alerts come by themselves; checks every %d s here):\n"+
			"  /watch %s %s\n"+
			"                  this location goes offline for 20 s every 40 s: an alert within about 30 s\n"+
			"  /watches        what is watched, its state and next check;  /unwatch stops\n",
			int(demoWatchInterval/time.Second), l.CustomerID, l.LocationID)
	}
	fmt.Fprintf(&b, `  /help

/auth works too; the simulator's credentials are:
  SSO token URL:        %s
  Authorization header: %s
  Partner ID:           %s
  API base:             %s (or /skip)

`, info.SSOURL, info.AuthHeader, info.PartnerID, info.APIBase)
	return b.String()
}

// demoLogger opens the demo's log: path, or a new file in the temporary folder; if neither can
// be made, stderr at warn. It returns the logger, where it writes (for the banner) and its closer.
func demoLogger(path string, stderr io.Writer) (*slog.Logger, string, func()) {
	var f *os.File
	var err error
	if path != "" {
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	} else {
		f, err = os.CreateTemp("", "plumebot-demo-*.log")
	}
	if err != nil {
		fmt.Fprintln(stderr, "demo: no log file (", err, "): warnings go to stderr")
		return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
			"stderr (warnings only)", func() {}
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})), f.Name(), func() { f.Close() }
}
