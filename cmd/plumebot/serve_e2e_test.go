package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"plumebot/internal/plumesim"
	"plumebot/internal/telegram/tgtest"
)

// Report messages start with the level's emoji and the bold summary; the help text's legend
// has the emoji too, so the prefix is what proves a report.
func isReport(emoji string) func(tgtest.Message) bool {
	return func(m tgtest.Message) bool { return strings.HasPrefix(m.Text, emoji+" <b>") }
}

func waitReport(t *testing.T, tg *tgtest.Server, chat int64, emoji string) tgtest.Message {
	t.Helper()
	return waitMessage(t, tg, chat, "with a "+emoji+" report", isReport(emoji))
}

// waitReports waits until chat holds n reports of emoji.
func waitReports(t *testing.T, tg *tgtest.Server, chat int64, emoji string, n int) {
	t.Helper()
	waitMessage(t, tg, chat, "with "+strconv.Itoa(n)+" "+emoji+" reports", func(tgtest.Message) bool {
		return countReports(tg, chat, emoji) >= n
	})
}

func countReports(tg *tgtest.Server, chat int64, emoji string) int {
	n := 0
	for _, m := range tg.Messages(chat) {
		if !m.Deleted && isReport(emoji)(m) {
			n++
		}
	}
	return n
}

// authFlow runs the whole /auth conversation of user in a private chat, delivering update i
// with sends[i % len(sends)] (one transport, or alternating replicas), and returns the ID of
// the message that carried the Authorization header.
func authFlow(t *testing.T, f *fixture, user int64, sends ...func(text string) int64) int64 {
	t.Helper()
	return authWith(t, f, user, f.info.SSOURL, "/skip", "Credentials work", sends...)
}

// authWith is authFlow with the token URL and the last step's text given, waiting after the
// last step for a message containing last.
func authWith(t *testing.T, f *fixture, user int64, tokenURL, apiStep, last string, sends ...func(text string) int64) int64 {
	t.Helper()
	steps := []struct{ text, want string }{
		{"/auth", "Step 1/4"},
		{tokenURL, "Step 2/4"},
		{f.info.AuthHeader, "Step 3/4"},
		{f.info.PartnerID, "Step 4/4"},
		{apiStep, last},
	}
	var headerMsg int64
	for i, s := range steps {
		id := sends[i%len(sends)](s.text)
		if s.text == f.info.AuthHeader {
			headerMsg = id
		}
		waitText(t, f.tg, user, s.want)
	}
	return headerMsg
}

// pushSender delivers through long polling.
func pushSender(tg *tgtest.Server, user int64) func(string) int64 {
	return func(text string) int64 { return tg.PushMessage(user, user, text) }
}

// hookSender delivers to a webhook with the right secret and requires a 200.
func hookSender(t *testing.T, tg *tgtest.Server, user int64, url, secret string) func(string) int64 {
	return func(text string) int64 {
		t.Helper()
		body := tg.MessageUpdate(user, user, text)
		if code := postUpdate(t, url, secret, body); code != 200 {
			t.Fatalf("webhook %s answered %d to %q, want 200", url, code, text)
		}
		return updateMessageID(t, body)
	}
}

// assertNoSecret fails if s holds the simulator's Authorization header, its base64 part or the
// decoded client secret.
func assertNoSecret(t *testing.T, where string, s []byte) {
	t.Helper()
	for _, secret := range []string{plumesim.AuthHeader, strings.TrimPrefix(plumesim.AuthHeader, "Basic "), plumesim.ClientSecret} {
		if bytes.Contains(s, []byte(secret)) {
			t.Errorf("%s contains a secret (%d bytes starting %q…)", where, len(secret), secret[:4])
		}
	}
}

func newKey(t *testing.T) string {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k)
}

func TestCheck(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name    string
		args    func() []string
		env     map[string]string
		code    int
		level   string // "" when no report is printed
		stderrs string // must appear in stderr (with --json: in the JSON error on stdout)
	}{
		{"healthy", func() []string { return strings.Fields(f.ids(t, "healthy")) }, f.operator(), 0, "healthy", ""},
		{"degraded", func() []string { return strings.Fields(f.ids(t, "degraded")) }, f.operator(), 1, "degraded", ""},
		{"partial", func() []string { return strings.Fields(f.ids(t, "partial")) }, f.operator(), 2, "issues", ""},
		{"offline", func() []string { return strings.Fields(f.ids(t, "offline")) }, f.operator(), 2, "offline", ""},
		{"foreign", func() []string { return strings.Fields(f.ids(t, "foreign")) }, f.operator(), 3, "unknown", ""},
		{"bad ids", func() []string { return []string{"not-hex", "1234"} }, f.operator(), 3, "", "24 hexadecimal characters"},
		{"one id", func() []string { return strings.Fields(f.ids(t, "healthy"))[:1] }, f.operator(), 3, "", "a customer ID and a location ID"},
		{"missing env", func() []string { return strings.Fields(f.ids(t, "healthy")) }, nil, 3, "", "PLUME_AUTH_HEADER"},
	}
	for _, tc := range tests {
		for _, asJSON := range []bool{false, true} {
			name := tc.name
			if asJSON {
				name += "/json"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				args := append([]string{"check"}, tc.args()...)
				if asJSON {
					args = append([]string{"check", "--json"}, tc.args()...)
				}
				code, out, errOut := runBin(t, f.env(tc.env), "", args...)
				if code != tc.code {
					t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
				}
				if tc.stderrs != "" && !asJSON && !strings.Contains(errOut, tc.stderrs) {
					t.Errorf("stderr does not mention %q:\n%s", tc.stderrs, errOut)
				}
				if tc.stderrs != "" && asJSON {
					// A monitoring system reads stdout: the error is there, as JSON.
					var e struct{ Level, Error string }
					if err := json.Unmarshal([]byte(out), &e); err != nil || e.Level != "unknown" || !strings.Contains(e.Error, tc.stderrs) {
						t.Errorf("--json error on stdout: %v\n%s", err, out)
					}
				}
				assertNoSecret(t, "stdout", []byte(out))
				assertNoSecret(t, "stderr", []byte(errOut))
				if tc.level == "" {
					return
				}
				if asJSON {
					var rep struct {
						Level      string `json:"level"`
						LocationID string `json:"locationId"`
					}
					if err := json.Unmarshal([]byte(out), &rep); err != nil {
						t.Fatalf("--json output does not parse: %v\n%s", err, out)
					}
					if rep.Level != tc.level {
						t.Errorf("JSON level %q, want %q", rep.Level, tc.level)
					}
					return
				}
				first, _, _ := strings.Cut(out, " ")
				if want := strings.ToUpper(tc.level) + ":"; first != want {
					t.Errorf("text output starts with %q, want %q:\n%s", first, want, out)
				}
				if strings.Contains(out, "<b>") {
					t.Errorf("text output holds HTML:\n%s", out)
				}
			})
		}
	}
}

func TestServePollingFlow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const user, stranger = 424242, 777001
	data := filepath.Join(t.TempDir(), "data")
	p := start(t, f.env(map[string]string{
		"PLUMEBOT_ALLOWED_USERS": strconv.Itoa(user),
		"PLUMEBOT_DATA_DIR":      data,
	}), nil, "serve")

	// No key: one is generated into the data folder, readable by the owner only.
	warn := p.waitLog("no PLUMEBOT_SECRET_KEY: generated a sealing key; back it up with the data, or set PLUMEBOT_SECRET_KEY_FILE")
	keyPath, _ := warn["path"].(string)
	if fi, err := os.Stat(keyPath); err != nil {
		t.Errorf("key file %q from the warning: %v", keyPath, err)
	} else if fi.Mode().Perm() != 0o600 || filepath.Dir(keyPath) != data {
		t.Errorf("key file %s has mode %v, want 0600 inside %s", keyPath, fi.Mode().Perm(), data)
	}

	f.tg.PushMessage(user, user, "/start")
	waitText(t, f.tg, user, "/auth")

	headerMsg := authFlow(t, f, user, pushSender(f.tg, user))
	if !f.tg.IsDeleted(user, headerMsg) {
		t.Errorf("the message carrying the Authorization header (%d) was not deleted", headerMsg)
	}

	f.tg.PushMessage(user, user, "/health "+f.ids(t, "degraded"))
	rep := waitReport(t, f.tg, user, "🟡")

	// A stranger's updates are queued before the button press, so they were fetched by the
	// time the press is answered, and handled by the time the process exits.
	f.tg.PushMessage(stranger, stranger, "/health "+f.ids(t, "healthy"))
	f.tg.PushMessage(stranger, stranger, "/start")

	cb := f.tg.PushCallback(user, user, rep.ID, button(t, rep, "Devices"))
	waitText(t, f.tg, user, "💻 <b>Devices</b>")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	ans, err := f.tg.WaitCall(ctx, "answerCallbackQuery", 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := ans.String("callback_query_id"); got != cb {
		t.Errorf("answered callback %q, want %q", got, cb)
	}
	waitText(t, f.tg, stranger, strconv.Itoa(stranger))

	p.stop()
	if un := f.tg.UnansweredCallbacks(); len(un) != 0 {
		t.Errorf("unanswered callbacks: %v", un)
	}
	if msgs := f.tg.Messages(stranger); len(msgs) != 1 {
		t.Errorf("the stranger got %d replies, want exactly 1: %+v", len(msgs), msgs)
	}
	for _, m := range f.tg.Messages(user) {
		assertNoSecret(t, "a bot message", []byte(m.Text))
	}
	assertNoSecret(t, "the log", []byte(p.Stderr()))
}

func TestRestartKeepsCredentials(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const user = 515151
	data := filepath.Join(t.TempDir(), "data")
	env := f.env(map[string]string{
		"PLUMEBOT_ALLOWED_USERS": strconv.Itoa(user),
		"PLUMEBOT_DATA_DIR":      data,
	})
	p := start(t, env, nil, "serve")
	authFlow(t, f, user, pushSender(f.tg, user))
	p.stop()

	// No operator credentials: only the saved ones can answer this.
	p = start(t, env, nil, "serve")
	f.tg.PushMessage(user, user, "/health "+f.ids(t, "healthy"))
	waitReport(t, f.tg, user, "🟢")
	p.stop()

	fi, err := os.Stat(data)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode %v, want 0700", fi.Mode().Perm())
	}
	files := 0
	err = filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			if info.Mode().Perm() != 0o700 {
				t.Errorf("%s: mode %v, want 0700", path, info.Mode().Perm())
			}
			return nil
		}
		files++
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", path, info.Mode().Perm())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		assertNoSecret(t, path, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 2 {
		t.Errorf("data dir holds %d files, want the store and the key file at least", files)
	}
}

func TestWrongKeyAtStart(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	data := filepath.Join(t.TempDir(), "data")
	keyA, keyB := newKey(t), newKey(t)
	env := func(key string) []string {
		return f.env(map[string]string{"PLUMEBOT_DATA_DIR": data, "PLUMEBOT_SECRET_KEY": key})
	}
	p := start(t, env(keyA), nil, "serve")
	p.waitLog("long polling") // the store is open: its check record is sealed with key A
	p.stop()

	code, _, errOut := runBin(t, env(keyB), "", "serve")
	if code == 0 {
		t.Fatalf("started with the wrong key; stderr:\n%s", errOut)
	}
	if !strings.Contains(errOut, "PLUMEBOT_SECRET_KEY") {
		t.Errorf("stderr does not name PLUMEBOT_SECRET_KEY:\n%s", errOut)
	}
	for name, k := range map[string]string{"A": keyA, "B": keyB} {
		if strings.Contains(errOut, k) {
			t.Errorf("stderr contains key %s", name)
		}
	}

	// The right key still opens it: the failure was the key, not a broken store.
	p = start(t, env(keyA), nil, "serve")
	p.waitLog("long polling")
	p.stop()
}

func TestWebhook(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const user, secret = 616161, "s3cret-token"
	vars := merge(f.operator(), map[string]string{
		"PLUMEBOT_ALLOWED_USERS":  strconv.Itoa(user),
		"PLUMEBOT_WEBHOOK_URL":    "https://bot.example/hook",
		"PLUMEBOT_WEBHOOK_SECRET": secret,
		"PLUMEBOT_LISTEN_ADDR":    "127.0.0.1:0",
		"PLUMEBOT_DATA_DIR":       filepath.Join(t.TempDir(), "data"),
	})

	t.Run("missing secret", func(t *testing.T) {
		t.Parallel()
		code, _, errOut := runBin(t, f.env(merge(vars, map[string]string{"PLUMEBOT_WEBHOOK_SECRET": ""})), "", "serve")
		if code != 2 || !strings.Contains(errOut, "PLUMEBOT_WEBHOOK_SECRET") {
			t.Errorf("exit %d, want 2 with PLUMEBOT_WEBHOOK_SECRET named; stderr:\n%s", code, errOut)
		}
	})

	t.Run("serve", func(t *testing.T) {
		t.Parallel()
		p := start(t, f.env(vars), nil, "serve")
		base := "http://" + p.addr()
		p.waitLog("webhook mode")
		if url, s := f.tg.SetWebhookInfo(); url != "https://bot.example/hook" || s != secret {
			t.Errorf("setWebhook(%q, secret %v), want the configured URL and secret", url, s == secret)
		}
		if got := len(f.tg.Calls("getUpdates")); got != 0 {
			t.Errorf("webhook mode polled getUpdates %d times", got)
		}

		hook := base + "/hook"
		// Refused deliveries ask for 🟡; the accepted one for 🟢: a 🟡 report would prove a leak.
		refused := f.tg.MessageUpdate(user, user, "/health "+f.ids(t, "degraded"))
		for _, s := range []string{"", "wrong-secret"} {
			if code := postUpdate(t, hook, s, refused); code != 401 {
				t.Errorf("secret %q: status %d, want 401", s, code)
			}
		}
		// One 429 on the first send: waited out and counted.
		f.tg.Fault("sendMessage", tgtest.Fault{Status: 429, RetryAfter: 1})
		hookSender(t, f.tg, user, hook, secret)("/health " + f.ids(t, "healthy"))
		rep := waitReport(t, f.tg, user, "🟢")
		// The report reaches Telegram before /health is audited and counted. A button press of
		// the same user runs only once that update's handling has finished (one update at a
		// time per user), so once the press is answered the command is in /metrics.
		press := f.tg.CallbackUpdate(user, user, rep.ID, button(t, rep, "Devices"))
		if code := postUpdate(t, hook, secret, press); code != 200 {
			t.Fatalf("webhook answered %d to a button press, want 200", code)
		}
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if _, err := f.tg.WaitCall(ctx, "answerCallbackQuery", 1); err != nil {
			t.Fatal(err)
		}

		for _, path := range []string{"/healthz", "/readyz"} {
			if code, body := get(t, base+path); code != 200 {
				t.Errorf("GET %s: %d %s", path, code, body)
			}
		}
		code, metrics := get(t, base+"/metrics")
		if code != 200 {
			t.Fatalf("GET /metrics: %d", code)
		}
		for _, series := range []string{
			"plumebot_updates_total", "plumebot_commands_total", "plumebot_command_duration_seconds",
			"plumebot_plume_requests_total", "plumebot_plume_request_duration_seconds",
			"plumebot_plume_token_fetches_total", "plumebot_cache_requests_total",
			"plumebot_telegram_calls_total", "plumebot_conversations_in_progress",
			`plumebot_telegram_429_total{method="sendMessage"} 1`,
			// Only the accepted delivery was counted.
			`plumebot_updates_total{type="message"} 1`,
		} {
			if !strings.Contains(metrics, "\n"+series) {
				t.Errorf("/metrics lacks %s", series)
			}
		}

		p.stop()
		if n := countReports(f.tg, user, "🟡"); n != 0 {
			t.Errorf("a delivery refused with 401 was processed (%d 🟡 reports)", n)
		}
	})
}

// datasetIDs are a simulator dataset's IDs, the same in every simulator (the demo's own too).
func datasetIDs(t *testing.T, name string) plumesim.LocationInfo {
	t.Helper()
	sim, err := plumesim.Start(plumesim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	return sim.Info().Locations[name]
}

// htmlTag matches the Telegram HTML tags the renderer uses; the demo must print none.
var htmlTag = regexp.MustCompile(`</?(b|i|u|s|code|pre|a|blockquote|tg-spoiler|span)( [^>]*)?>`)

func TestDemoScripted(t *testing.T) {
	t.Parallel()
	d := datasetIDs(t, "degraded")

	home := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
	stdin := "/health " + d.CustomerID + " " + d.LocationID + "\n1\n/devices\n/quit\n"
	code, out, errOut := runBin(t, env, stdin, "demo")
	if code != 0 {
		t.Fatalf("demo exited %d; stderr:\n%s", code, errOut)
	}
	banner, chat, ok := strings.Cut(out, "\n> ")
	if !ok {
		t.Fatalf("no prompt in the demo's output:\n%s", out)
	}
	if !strings.Contains(banner, "plumebot demo") || !strings.Contains(banner, d.CustomerID+" "+d.LocationID) {
		t.Errorf("banner lacks the title or the degraded IDs:\n%s", banner)
	}
	// The report, its buttons, then the pods view the first button opens, then /devices.
	report := strings.Index(chat, "🟡 Degraded")
	buttons := strings.Index(chat, "[1] 📡 Nodes")
	pods := strings.Index(chat, "📡 Pods")
	devices := strings.Index(chat, "💻 Devices")
	if report < 0 || buttons < report || pods < buttons || devices < pods {
		t.Errorf("want report (%d) < buttons (%d) < pods view (%d) < devices view (%d) in:\n%s",
			report, buttons, pods, devices, chat)
	}
	if tag := htmlTag.FindString(out); tag != "" {
		t.Errorf("the demo printed an HTML tag %q", tag)
	}
	if strings.Contains(out, "&lt;") || strings.Contains(out, "&amp;") {
		t.Errorf("the demo printed an HTML entity")
	}
	if !strings.HasSuffix(strings.TrimSpace(out), "bye") {
		t.Errorf("the demo did not end with bye:\n%s", out[max(0, len(out)-200):])
	}
}
