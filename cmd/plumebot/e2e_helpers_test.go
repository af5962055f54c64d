package main

// End-to-end tests: the real binary as a child process, the Plume simulator and the fake Bot API
// in this process. This file holds the harness; the *_e2e_test.go files hold the scenarios.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"plumebot/internal/plumesim"
	"plumebot/internal/telegram/tgtest"
)

// binPath is the plumebot binary built once by TestMain (without -race: only the test
// process needs it, and the child runs faster without).
var binPath string

// waitTimeout bounds every wait on the child or the fakes; generous for 2 busy cores.
const waitTimeout = 20 * time.Second

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "plumebot-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "plumebot")
	build := exec.Command("go", "build", "-o", binPath, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building plumebot: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fixture is one simulator, one fake Bot API and the environment that points the child at them.
type fixture struct {
	sim    *plumesim.Server
	info   plumesim.Info
	tg     *tgtest.Server
	caFile string
	home   string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	sim, err := plumesim.Start(plumesim.Options{})
	if err != nil {
		t.Fatalf("plumesim: %v", err)
	}
	t.Cleanup(sim.Close)
	tg := tgtest.New()
	t.Cleanup(tg.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, sim.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	return &fixture{sim: sim, info: sim.Info(), tg: tg, caFile: ca, home: home}
}

// env is the child's whole environment: nothing of the developer's but PATH, so a stray
// PLUMEBOT_* or TELEGRAM_* variable cannot change what a test proves.
func (f *fixture) env(extra map[string]string) []string {
	m := map[string]string{
		"PATH":                os.Getenv("PATH"),
		"HOME":                f.home,
		"SSL_CERT_FILE":       f.caFile,
		"PLUME_ALLOWED_HOSTS": "127.0.0.1",
		"TELEGRAM_API_URL":    f.tg.APIURL(),
		"TELEGRAM_BOT_TOKEN":  tgtest.Token,
		"PLUMEBOT_LOG_FORMAT": "json",
		// The default API base is Plume's, which PLUME_ALLOWED_HOSTS=127.0.0.1 refuses.
		"PLUME_API_BASE": f.info.APIBase,
	}
	for k, v := range extra {
		if v == "" {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

// operator is the environment of operator-provisioned credentials for the simulator.
func (f *fixture) operator() map[string]string {
	return map[string]string{
		"PLUME_SSO_URL":     f.info.SSOURL,
		"PLUME_AUTH_HEADER": f.info.AuthHeader,
		"PLUME_PARTNER_ID":  f.info.PartnerID,
		"PLUME_API_BASE":    f.info.APIBase,
	}
}

// ids is "<customerId> <locationId>" of a dataset.
func (f *fixture) ids(t *testing.T, dataset string) string {
	t.Helper()
	l, ok := f.info.Locations[dataset]
	if !ok {
		t.Fatalf("no dataset %q in the simulator", dataset)
	}
	return l.CustomerID + " " + l.LocationID
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// proc is a running plumebot child with its stderr parsed as JSON log lines.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	done chan struct{} // closed when the process exited and its output was read

	mu      sync.Mutex
	stderr  bytes.Buffer
	lines   []map[string]any
	changed chan struct{} // closed and replaced on every new line
	code    int
}

// start runs the binary with args and env; the test's cleanup kills it if still running.
func start(t *testing.T, env []string, stdin io.Reader, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = env
	cmd.Stdin = stdin
	cmd.Dir = t.TempDir()
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, done: make(chan struct{}), changed: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start plumebot: %v", err)
	}
	go func() {
		sc := bufio.NewScanner(errPipe)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Bytes()
			var rec map[string]any
			_ = json.Unmarshal(line, &rec) // non-JSON lines (config errors) stay in stderr only
			p.mu.Lock()
			p.stderr.Write(line)
			p.stderr.WriteByte('\n')
			if rec != nil {
				p.lines = append(p.lines, rec)
			}
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
		}
		err := cmd.Wait()
		p.mu.Lock()
		p.code = exitCode(err)
		p.mu.Unlock()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func exitCode(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	return -1
}

// Stderr is everything the child wrote to stderr so far.
func (p *proc) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// waitLog waits for a JSON log line with msg and returns it.
func (p *proc) waitLog(msg string) map[string]any {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for {
		p.mu.Lock()
		for _, l := range p.lines {
			if l["msg"] == msg {
				p.mu.Unlock()
				return l
			}
		}
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-p.done:
			// Output is fully read once done is closed: one last look, then fail.
			p.mu.Lock()
			for _, l := range p.lines {
				if l["msg"] == msg {
					p.mu.Unlock()
					return l
				}
			}
			p.mu.Unlock()
			p.t.Fatalf("plumebot exited (code %d) before logging %q; stderr:\n%s", p.exit(), msg, p.Stderr())
		case <-ctx.Done():
			p.t.Fatalf("no log line %q within %v; stderr:\n%s", msg, waitTimeout, p.Stderr())
		}
	}
}

// addr waits for the "listening" line and returns its address.
func (p *proc) addr() string {
	p.t.Helper()
	a, _ := p.waitLog("listening")["addr"].(string)
	if a == "" {
		p.t.Fatalf("listening line without addr; stderr:\n%s", p.Stderr())
	}
	return a
}

func (p *proc) exit() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.code
}

// wait waits for the child to exit by itself and returns its exit code.
func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.exit()
	case <-time.After(waitTimeout):
		p.t.Fatalf("plumebot did not exit within %v; stderr:\n%s", waitTimeout, p.Stderr())
	}
	return -1
}

// kill ends the process at once (SIGKILL): a replica that dies holding its locks.
func (p *proc) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		p.t.Fatalf("SIGKILL: %v", err)
	}
	<-p.done
}

// stop sends SIGTERM and asserts a clean exit: graceful shutdown.
func (p *proc) stop() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("SIGTERM: %v", err)
	}
	if code := p.wait(); code != 0 {
		p.t.Fatalf("after SIGTERM plumebot exited %d, want 0; stderr:\n%s", code, p.Stderr())
	}
}

// runBin runs the binary to completion and returns its exit code, stdout and stderr.
func runBin(t *testing.T, env []string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("plumebot %v did not finish within %v; stderr:\n%s", args, waitTimeout, errb.String())
	}
	return exitCode(err), out.String(), errb.String()
}

// waitMessage waits until one of the bot's messages in chat (as it is now, after edits)
// satisfies ok, and returns it. It looks again on every change of the fake's state.
func waitMessage(t *testing.T, tg *tgtest.Server, chat int64, what string, ok func(tgtest.Message) bool) tgtest.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	var found tgtest.Message
	err := tg.WaitUntil(ctx, func(tg *tgtest.Server) bool {
		for _, m := range tg.Messages(chat) {
			if !m.Deleted && ok(m) {
				found = m
				return true
			}
		}
		return false
	})
	if err != nil {
		var texts []string
		for _, m := range tg.Messages(chat) {
			texts = append(texts, fmt.Sprintf("#%d %q", m.ID, m.Text))
		}
		t.Fatalf("no message in chat %d %s within %v; messages:\n%s", chat, what, waitTimeout, strings.Join(texts, "\n"))
	}
	return found
}

// waitText waits for a message in chat containing sub.
func waitText(t *testing.T, tg *tgtest.Server, chat int64, sub string) tgtest.Message {
	t.Helper()
	return waitMessage(t, tg, chat, "containing "+strconv.Quote(sub), func(m tgtest.Message) bool {
		return strings.Contains(m.Text, sub)
	})
}

// button returns the callback data of the button labelled with label in m.
func button(t *testing.T, m tgtest.Message, label string) string {
	t.Helper()
	var labels []string
	for _, row := range m.Keyboard {
		for _, b := range row {
			if strings.Contains(b.Text, label) {
				return b.Data
			}
			labels = append(labels, b.Text)
		}
	}
	t.Fatalf("no %q button on message %d; buttons: %q", label, m.ID, labels)
	return ""
}

// postUpdate delivers a webhook body to url with the secret header (none if secret is "").
// It reports a transport error with Errorf and returns 0, so goroutines may call it.
func postUpdate(t *testing.T, url, secret string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Errorf("POST %s: %v", url, err)
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("POST %s: %v", url, err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// get fetches url and returns the status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

// updateMessageID is the message_id inside a webhook update body (the message a bot may delete).
func updateMessageID(t *testing.T, body []byte) int64 {
	t.Helper()
	var u struct {
		Message struct {
			ID int64 `json:"message_id"`
		} `json:"message"`
	}
	if err := json.Unmarshal(body, &u); err != nil || u.Message.ID == 0 {
		t.Fatalf("no message_id in update %s: %v", body, err)
	}
	return u.Message.ID
}
