package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"plumebot/internal/plumesim"
	"plumebot/internal/telegram/tgtest"
)

// atRestRedisDB is this test's own Redis database (each e2e test on Redis has one).
const atRestRedisDB = 9

// TestNothingReadableAtRest is issue 12 §2 through the binary, on each backend: a session of
// /auth, /find by e-mail, its button, a report's button, /health, /node, /locations and a
// confirmed speed test, then every byte the store holds (the bbolt folder's files; every Redis
// key and value) is searched for each customer ID, location ID, e-mail address, customer name,
// pod serial and secret the session used. None may appear.
func TestNothingReadableAtRest(t *testing.T) {
	t.Parallel()
	t.Run("bolt", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		data := filepath.Join(t.TempDir(), "data")
		forbidden := runAtRestSession(t, f, map[string]string{"PLUMEBOT_DATA_DIR": data})
		files := 0
		err := filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			assertNoneIn(t, filepath.Base(path), b, forbidden)
			return nil
		})
		if err != nil || files == 0 {
			t.Fatalf("reading the data folder: %d files, %v", files, err)
		}
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		url := redisDB(t, atRestRedisDB)
		f := newFixture(t)
		forbidden := runAtRestSession(t, f, map[string]string{"PLUMEBOT_REDIS_URL": url, "PLUMEBOT_SECRET_KEY": newKey(t)})
		opt, err := redis.ParseURL(url)
		if err != nil {
			t.Fatal(err)
		}
		rc := redis.NewClient(opt)
		defer rc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		keys := 0
		iter := rc.Scan(ctx, 0, "*", 1000).Iterator()
		for iter.Next(ctx) {
			k := iter.Val()
			keys++
			assertNoneIn(t, "a Redis key name", []byte(k), forbidden)
			v, err := rc.Get(ctx, k).Bytes()
			if err != nil && err != redis.Nil {
				t.Fatalf("GET: %v", err)
			}
			assertNoneIn(t, "the Redis value of "+k, v, forbidden)
		}
		if err := iter.Err(); err != nil || keys == 0 {
			t.Fatalf("scanning Redis: %d keys, %v", keys, err)
		}
	})
}

// runAtRestSession runs the session against a plumebot serving with extra variables, stops
// it, and returns what must not be readable in its store.
func runAtRestSession(t *testing.T, f *fixture, extra map[string]string) []string {
	t.Helper()
	const user = 727272
	p := start(t, f.env(merge(extra, map[string]string{
		"PLUMEBOT_ALLOWED_USERS": strconv.Itoa(user),
		"PLUMEBOT_SUPPORT_USERS": strconv.Itoa(user),
	})), nil, "serve")
	authFlow(t, f, user, pushSender(f.tg, user))
	healthy, degraded, partial := f.info.Locations["healthy"], f.info.Locations["degraded"], f.info.Locations["partial"]

	f.tg.PushMessage(user, user, "/find "+healthy.Email)
	found := waitText(t, f.tg, user, "1 match")
	name := regexp.MustCompile(`👤 <b>([^<]+)</b>`).FindStringSubmatch(found.Text)
	if name == nil {
		t.Fatalf("no customer name in the /find reply %q", found.Text)
	}
	f.tg.PushCallback(user, user, found.ID, button(t, found, "Home"))
	rep := waitReport(t, f.tg, user, "🟢")
	f.tg.PushCallback(user, user, rep.ID, button(t, rep, "Devices"))
	waitText(t, f.tg, user, "💻 <b>Devices</b>")
	f.tg.PushMessage(user, user, "/health "+f.ids(t, "degraded"))
	waitReport(t, f.tg, user, "🟡")
	f.tg.PushMessage(user, user, "/node "+degraded.NodeSerial)
	waitMessage(t, f.tg, user, "answering /node", func(m tgtest.Message) bool {
		return strings.Contains(m.Text, degraded.NodeSerial) && !strings.HasPrefix(m.Text, "🟡")
	})
	f.tg.PushMessage(user, user, "/locations "+partial.CustomerID)
	waitText(t, f.tg, user, partial.LocationID)
	// An action: its confirmation, cooldown and limit records.
	f.tg.PushMessage(user, user, "/speedtest "+f.ids(t, "partial"))
	conf := waitText(t, f.tg, user, "⚡ <b>ISP speed test")
	f.tg.PushCallback(user, user, conf.ID, button(t, conf, "Confirm"))
	waitEdited(t, f.tg, user, conf.ID, "⬇ ")
	p.stop()

	forbidden := []string{plumesim.AuthHeader, strings.TrimPrefix(plumesim.AuthHeader, "Basic "),
		plumesim.ClientID, plumesim.ClientSecret, f.info.PartnerID, name[1]}
	for _, l := range []plumesim.LocationInfo{healthy, degraded, partial} {
		forbidden = append(forbidden, l.CustomerID, l.LocationID, l.Email, strings.ToLower(l.Email),
			l.NodeSerial, strings.ToLower(l.NodeSerial))
	}
	return forbidden
}

func assertNoneIn(t *testing.T, where string, b []byte, forbidden []string) {
	t.Helper()
	for _, s := range forbidden {
		if s != "" && bytes.Contains(b, []byte(s)) {
			t.Errorf("%s holds %q in clear", where, s)
		}
	}
}
