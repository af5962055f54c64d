package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"plumebot/internal/telegram/tgtest"
)

// rekeyRedisDB is TestRekeyRotation's own Redis database.
const rekeyRedisDB = 10

// keyID is the store's name for a base64 key (store.KeyID), as rekey prints it.
func keyID(t *testing.T, b64 string) string {
	t.Helper()
	k, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(k)
	return hex.EncodeToString(sum[:])[:8]
}

// TestRekeyRotation is issue 12 §7's rotation through the binary, on each backend: a user
// signs in and gets a report under key A; the operator sets key B with A as the previous key
// and runs `plumebot rekey` (on Redis while a replica serves the user); then, with A dropped,
// the user's credentials and the buttons made under A still work.
func TestRekeyRotation(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"bolt", "redis"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			const user = 858585
			vars := map[string]string{"PLUMEBOT_ALLOWED_USERS": strconv.Itoa(user)}
			if backend == "redis" {
				vars["PLUMEBOT_REDIS_URL"] = redisDB(t, rekeyRedisDB)
			} else {
				vars["PLUMEBOT_DATA_DIR"] = filepath.Join(t.TempDir(), "data")
			}
			keyA, keyB := newKey(t), newKey(t)
			withKeys := func(current, previous string) []string {
				return f.env(merge(vars, map[string]string{"PLUMEBOT_SECRET_KEY": current, "PLUMEBOT_SECRET_KEY_PREVIOUS": previous}))
			}

			p := start(t, withKeys(keyA, ""), nil, "serve")
			authFlow(t, f, user, pushSender(f.tg, user))
			f.tg.PushMessage(user, user, "/health "+f.ids(t, "healthy"))
			rep := waitReport(t, f.tg, user, "🟢")
			p.stop()

			p = start(t, withKeys(keyB, keyA), nil, "serve")
			p.waitLog("long polling")
			if backend == "bolt" {
				// bbolt allows one process per file: rekey runs while the bot is stopped.
				p.stop()
			}
			code, out, errOut := runBin(t, withKeys(keyB, keyA), "", "rekey")
			if code != 0 || !strings.Contains(out, "re-sealed with key "+keyID(t, keyB)) {
				t.Fatalf("rekey: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
			}
			assertNoSecret(t, "rekey's output", []byte(out+errOut))
			if backend == "redis" {
				f.tg.PushMessage(user, user, "/nodes")
				waitText(t, f.tg, user, "📡 <b>Pods</b>")
				p.stop()
			}
			if code, out, _ := runBin(t, withKeys(keyB, keyA), "", "rekey"); code != 0 || !strings.HasPrefix(out, "rekey: 0 records re-sealed") {
				t.Errorf("a second rekey: exit %d, %q; want nothing left to do", code, out)
			}

			p = start(t, withKeys(keyB, ""), nil, "serve") // the previous key dropped
			f.tg.PushMessage(user, user, "/health "+f.ids(t, "partial"))
			waitReport(t, f.tg, user, "🟠")
			f.tg.PushCallback(user, user, rep.ID, button(t, rep, "Devices"))
			waitText(t, f.tg, user, "💻 <b>Devices</b>")
			p.stop()
			for _, m := range f.tg.Messages(user) {
				if strings.Contains(m.Text, "can no longer read") || strings.Contains(m.Text, "went wrong") {
					t.Errorf("after the rotation the user read %q", m.Text)
				}
			}
		})
	}
}

// TestRekeyBadInput: rekey refuses arguments and a key that does not open the store, changing
// nothing and printing no key.
func TestRekeyBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	data := filepath.Join(t.TempDir(), "data")
	keyA, keyB := newKey(t), newKey(t)
	env := func(current string) []string {
		return f.env(map[string]string{"PLUMEBOT_DATA_DIR": data, "PLUMEBOT_SECRET_KEY": current})
	}
	if code, _, errOut := runBin(t, env(keyA), "", "rekey", "--all"); code != 2 || !strings.Contains(errOut, "usage") {
		t.Errorf("rekey --all: exit %d, want 2 with the usage; stderr:\n%s", code, errOut)
	}
	if code, out, errOut := runBin(t, env(keyA), "", "rekey"); code != 0 || !strings.HasPrefix(out, "rekey: 0 records re-sealed") {
		t.Fatalf("rekey of a new store: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, out, errOut := runBin(t, env(keyB), "", "rekey")
	if code != 1 || !strings.Contains(errOut, "PLUMEBOT_SECRET_KEY") {
		t.Errorf("rekey with a key that does not open the store: exit %d, want 1 naming PLUMEBOT_SECRET_KEY\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for _, k := range []string{keyA, keyB} {
		if strings.Contains(out+errOut, k) {
			t.Error("rekey printed a key")
		}
	}
}

// TestActionRecordsAfterADroppedKey is issue 12 §7 for the actions' records (§8): a support
// user's confirmation, action epoch, hourly count and cooldowns are sealed with key A; the
// operator starts the bot with key B and A as the previous key, then drops A without running
// rekey. The records no longer open and are as good as absent: the old confirmation is gone,
// a new action is asked for and runs, and nothing answers "something went wrong" (the epoch
// record never expires, so before the fix the user could run no action until /logout).
func TestActionRecordsAfterADroppedKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const user = 868686
	data := filepath.Join(t.TempDir(), "data")
	keyA, keyB := newKey(t), newKey(t)
	withKeys := func(current, previous string) []string {
		return f.env(merge(f.operator(), map[string]string{
			"PLUMEBOT_DATA_DIR":            data,
			"PLUMEBOT_ALLOWED_USERS":       strconv.Itoa(user),
			"PLUMEBOT_SUPPORT_USERS":       strconv.Itoa(user),
			"PLUMEBOT_SECRET_KEY":          current,
			"PLUMEBOT_SECRET_KEY_PREVIOUS": previous,
		}))
	}
	p := start(t, withKeys(keyA, ""), nil, "serve")
	f.tg.PushMessage(user, user, "/speedtest "+f.ids(t, "partial"))
	conf := waitText(t, f.tg, user, "⚡ <b>ISP speed test")
	f.tg.PushCallback(user, user, conf.ID, button(t, conf, "Confirm"))
	waitEdited(t, f.tg, user, conf.ID, "⬇ ")
	f.tg.PushMessage(user, user, "/optimize "+f.ids(t, "healthy"))
	pending := waitText(t, f.tg, user, "🛠 <b>Optimization of")
	p.stop()

	p = start(t, withKeys(keyB, keyA), nil, "serve") // re-seals only the store's own records
	p.waitLog("telegram long polling started")
	p.stop()

	p = start(t, withKeys(keyB, ""), nil, "serve")
	cb := f.tg.PushCallback(user, user, pending.ID, button(t, pending, "Confirm"))
	if toast := waitToast(t, f.tg, cb); toast != "This confirmation was already used or cancelled." {
		t.Errorf("the confirmation sealed with the dropped key: toast %q", toast)
	}
	f.tg.PushMessage(user, user, "/speedtest "+f.ids(t, "partial"))
	again := waitMessage(t, f.tg, user, "a new speed test confirmation", func(m tgtest.Message) bool {
		return m.ID > pending.ID && strings.HasPrefix(m.Text, "⚡ <b>ISP speed test")
	})
	f.tg.PushCallback(user, user, again.ID, button(t, again, "Confirm"))
	waitEdited(t, f.tg, user, again.ID, "⬇ ")
	p.stop()
	for _, m := range f.tg.Messages(user) {
		if strings.Contains(m.Text, "went wrong") {
			t.Errorf("after the key was dropped the user read %q", m.Text)
		}
	}
}

// rollingRedisDB is TestRollingKeyRotation's own Redis database.
const rollingRedisDB = 8

// TestRollingKeyRotation is the README's key rotation done the way replicas behind a load
// balancer are restarted, one at a time, so that during each step replicas with the step's old
// and new variables serve the same user in turn. No step may leave a replica unable to open
// what another sealed: with the procedure before it (set the new key and the old one as
// previous, replica by replica), a replica still on the old key could not open the
// credentials a new one had re-sealed, and told the user to /auth again or /logout.
func TestRollingKeyRotation(t *testing.T) {
	t.Parallel()
	redisURL := redisDB(t, rollingRedisDB)
	f := newFixture(t)
	const user, secret = 878787, "rolling-secret"
	vars := replicaVars(t, user, secret, redisURL)
	keyA, keyB := newKey(t), newKey(t)
	run := func(current, previous string) replica {
		t.Helper()
		p := start(t, f.env(merge(vars, map[string]string{"PLUMEBOT_SECRET_KEY": current, "PLUMEBOT_SECRET_KEY_PREVIOUS": previous})), nil, "serve")
		hook := "http://" + p.addr() + "/hook"
		r := replica{proc: p, hook: hook, send: hookSender(t, f.tg, user, hook, secret)}
		r.waitLog("webhook mode")
		return r
	}
	// ask sends text through r and waits for the answer that contains want.
	ask := func(r replica, text, want string) tgtest.Message {
		t.Helper()
		id := r.send(text)
		return waitMessage(t, f.tg, user, "answering "+strconv.Quote(text), func(m tgtest.Message) bool {
			return m.ID > id && strings.Contains(m.Text, want)
		})
	}
	// inTurn has the user served by r1, r2, then r1 again: each reads what the other wrote.
	inTurn := func(r1, r2 replica) {
		t.Helper()
		ask(r1, "/nodes", "📡 <b>Pods</b>")
		ask(r2, "/nodes", "📡 <b>Pods</b>")
		ask(r1, "/nodes", "📡 <b>Pods</b>")
	}

	r1, r2 := run(keyA, ""), run(keyA, "")
	authFlow(t, f, user, r1.send, r2.send)
	rep := ask(r2, "/health "+f.ids(t, "healthy"), "🟢")

	// 1. Every replica learns the new key as the previous one; each still seals with the old.
	r1.stop()
	r1 = run(keyA, keyB)
	inTurn(r1, r2)
	r2.stop()
	r2 = run(keyA, keyB)

	// 2. Every replica seals with the new key and still opens the old.
	r1.stop()
	r1 = run(keyB, keyA)
	inTurn(r1, r2)
	inTurn(r2, r1)
	authFlow(t, f, user, r1.send) // credentials sealed with the new key, read by the old one
	ask(r2, "/nodes", "📡 <b>Pods</b>")
	r2.stop()
	r2 = run(keyB, keyA)

	// 3. rekey while they serve, 4. the previous key dropped, replica by replica.
	if code, out, errOut := runBin(t, f.env(merge(vars, map[string]string{"PLUMEBOT_SECRET_KEY": keyB, "PLUMEBOT_SECRET_KEY_PREVIOUS": keyA})), "", "rekey"); code != 0 {
		t.Fatalf("rekey: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	r1.stop()
	r1 = run(keyB, "")
	inTurn(r1, r2)
	r2.stop()
	r2 = run(keyB, "")
	// A button made under the old key.
	if code := postUpdate(t, r2.hook, secret, f.tg.CallbackUpdate(user, user, rep.ID, button(t, rep, "Devices"))); code != 200 {
		t.Fatalf("webhook answered %d to a press", code)
	}
	waitText(t, f.tg, user, "💻 <b>Devices</b>")
	r1.stop()
	r2.stop()
	for _, m := range f.tg.Messages(user) {
		if strings.Contains(m.Text, "can no longer read") || strings.Contains(m.Text, "went wrong") {
			t.Errorf("during the rotation the user read %q", m.Text)
		}
	}
}
