package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"plumebot/internal/config"
)

const rekeyUsage = `usage: plumebot rekey

Re-seals every record of the store with PLUMEBOT_SECRET_KEY, opening the old ones with
PLUMEBOT_SECRET_KEY_PREVIOUS: the third step of a key rotation (README, Backup and key
rotation). The store is PLUMEBOT_REDIS_URL's, else the one in PLUMEBOT_DATA_DIR (stop the bot
first: the embedded store allows one process). On Redis it is safe while replicas run. Running
it again finishes an interrupted run.

Exit status: 0 every record is sealed with the current key; 1 some record could not be opened
(its key ID is named) or the store failed; 2 a configuration error.
`

// rekey re-seals every stored record with the current key: the third of a key rotation's four
// steps (README, Backup and key rotation: give the new key as the previous one, swap them, run
// rekey, drop the previous key). Exit 0 when every record is sealed with the current key, 1 when some could not be
// opened or the store failed (running it again resumes), 2 for a configuration error.
func rekey(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	rest, err := parseArgs(flag.NewFlagSet("rekey", flag.ContinueOnError), args)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("rekey takes no arguments, got %q", rest[0])
	}
	if err != nil {
		return usageResult(err, rekeyUsage, stdout, stderr, 2)
	}
	cfg, err := config.Load(getenv, config.ModeRekey)
	if err != nil {
		fmt.Fprintf(stderr, "plumebot: configuration error:\n%v\n", err)
		return 2
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "plumebot rekey:", err)
		return 1
	}
	defer st.Close()
	rep, err := st.Rekey(ctx)
	fmt.Fprintf(stdout, "rekey: %d records re-sealed with key %s, %d already were", rep.Resealed, st.KeyID(), rep.Current)
	if rep.Removed > 0 {
		fmt.Fprintf(stdout, "; %d temporary records of an older version removed", rep.Removed)
	}
	fmt.Fprintln(stdout, ".")
	if err != nil {
		fmt.Fprintf(stderr, "plumebot rekey: stopped: %v\nRun it again: records already re-sealed are skipped.\n", err)
		return 1
	}
	if rep.Unreadable > 0 {
		fmt.Fprintf(stderr, "plumebot rekey: %d records could not be opened: they were sealed with key %s, "+
			"which is neither PLUMEBOT_SECRET_KEY nor PLUMEBOT_SECRET_KEY_PREVIOUS. Give that key as "+
			"PLUMEBOT_SECRET_KEY_PREVIOUS and run rekey again; otherwise their users are asked to /auth again.\n",
			rep.Unreadable, strings.Join(rep.UnreadableKeyIDs, ", "))
	}
	if rep.Damaged > 0 {
		fmt.Fprintf(stderr, "plumebot rekey: %d records are damaged (no key opens them: changed or truncated "+
			"in the store); they were left as they are, and their users are asked to /auth again.\n", rep.Damaged)
	}
	if rep.Unreadable > 0 || rep.Damaged > 0 {
		return 1
	}
	return 0
}
