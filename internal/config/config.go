// Package config turns plumebot's environment into one validated Config. Every error names
// the variable at fault and how to fix it; no error ever echoes a secret's value.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"plumebot/internal/bot"
	"plumebot/internal/plume"
	"plumebot/internal/secret"
	"plumebot/internal/telegram"
)

// Mode says which subcommand the configuration is for; each needs different variables.
type Mode int

// Modes of plumebot.
const (
	ModeServe Mode = iota
	ModeCheck
	ModeDemo
	ModeRekey // only the store's variables matter
)

// Config is the whole validated configuration.
type Config struct {
	BotToken       secret.String
	TelegramAPIURL string

	AllowedUsers  []int64
	AllowedChats  []int64
	Admins        []int64
	AllowEveryone bool

	// The actions (reboot, speed test, optimize): who may run them and how often.
	SupportUsers   []int64       // PLUMEBOT_SUPPORT_USERS; admins may act too
	RebootCooldown time.Duration // PLUMEBOT_REBOOT_COOLDOWN: between two reboots of one target
	ActionsPerHour int           // PLUMEBOT_ACTIONS_PER_HOUR per support user; 0 = no limit
	RebootWait     time.Duration // PLUMEBOT_REBOOT_WAIT: how long to wait for rebooted pods

	DataDir       string
	RedisURL      secret.String // may carry a password
	SecretKey     secret.String // raw PLUMEBOT_SECRET_KEY value (base64), if set
	SecretKeyFile string
	PreviousKey   secret.String // PLUMEBOT_SECRET_KEY_PREVIOUS: still opens records sealed before a rotation

	WebhookURL    string
	WebhookSecret secret.String
	ListenAddr    string
	MetricsAddr   string        // PLUMEBOT_METRICS_ADDR: /metrics, /healthz and /readyz on a listener of their own
	HTTPTimeout   time.Duration // PLUMEBOT_HTTP_TIMEOUT: the time a client has to send a whole request
	DrainTimeout  time.Duration // PLUMEBOT_DRAIN_TIMEOUT: at a stop, the wait for updates in progress
	UserQueue     int           // PLUMEBOT_USER_QUEUE: one user's updates that may wait; more are dropped

	LogLevel  slog.Level
	LogFormat string // text or json

	APIBase      string
	ReportsBase  string
	SSOURL       string
	Operator     *plume.Credentials // PLUME_AUTH_HEADER + PLUME_PARTNER_ID (+ PLUME_SSO_URL)
	AllowedHosts []string
	PlumeTimeout time.Duration
	PlumeRate    float64
	CacheBytes   int64 // PLUMEBOT_CACHE_MB: the in-process Plume cache's budget

	Watch Watch // PLUMEBOT_WATCH_* (watch.go)

	// Warnings are non-fatal observations to log at start.
	Warnings []string
}

// DefaultHTTPTimeout is PLUMEBOT_HTTP_TIMEOUT's default: Telegram sends an update (a few KiB)
// in milliseconds; a client that needs longer is stuck or hostile.
const DefaultHTTPTimeout = 10 * time.Second

// Error is a configuration error: the variable and what to do.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return e.Var + ": " + e.Msg }

func bad(name, format string, args ...any) error {
	return &Error{Var: name, Msg: fmt.Sprintf(format, args...)}
}

// Load reads the environment through getenv (os.Getenv in production) for the given mode.
// All problems are reported together, one per line.
func Load(getenv func(string) string, mode Mode) (*Config, error) {
	l := loader{getenv: getenv}
	c := &Config{
		TelegramAPIURL: l.str("TELEGRAM_API_URL", "https://api.telegram.org"),
		AllowedUsers:   l.people("PLUMEBOT_ALLOWED_USERS"),
		AllowedChats:   l.groups("PLUMEBOT_ALLOWED_CHATS"),
		Admins:         l.people("PLUMEBOT_ADMINS"),
		SupportUsers:   l.people("PLUMEBOT_SUPPORT_USERS"),
		RebootCooldown: l.duration("PLUMEBOT_REBOOT_COOLDOWN", 10*time.Minute, time.Minute, 24*time.Hour),
		ActionsPerHour: l.count("PLUMEBOT_ACTIONS_PER_HOUR", 20),
		RebootWait:     l.duration("PLUMEBOT_REBOOT_WAIT", 10*time.Minute, time.Second, time.Hour),
		AllowEveryone:  l.boolean("PLUMEBOT_ALLOW_EVERYONE"),
		DataDir:        l.str("PLUMEBOT_DATA_DIR", defaultDataDir()),
		RedisURL:       secret.String(l.str("PLUMEBOT_REDIS_URL", "")),
		SecretKey:      secret.String(l.str("PLUMEBOT_SECRET_KEY", "")),
		SecretKeyFile:  l.str("PLUMEBOT_SECRET_KEY_FILE", ""),
		PreviousKey:    secret.String(l.str("PLUMEBOT_SECRET_KEY_PREVIOUS", "")),
		WebhookURL:     l.str("PLUMEBOT_WEBHOOK_URL", ""),
		WebhookSecret:  secret.String(l.str("PLUMEBOT_WEBHOOK_SECRET", "")),
		ListenAddr:     l.str("PLUMEBOT_LISTEN_ADDR", ""),
		MetricsAddr:    l.str("PLUMEBOT_METRICS_ADDR", ""),
		HTTPTimeout:    l.duration("PLUMEBOT_HTTP_TIMEOUT", DefaultHTTPTimeout, 100*time.Millisecond, 10*time.Minute),
		DrainTimeout:   l.duration("PLUMEBOT_DRAIN_TIMEOUT", telegram.DefaultDrainTimeout, 100*time.Millisecond, 10*time.Minute),
		UserQueue:      l.count("PLUMEBOT_USER_QUEUE", telegram.DefaultUserQueue),
		LogFormat:      l.str("PLUMEBOT_LOG_FORMAT", "text"),
		APIBase:        l.str("PLUME_API_BASE", plume.DefaultAPIBase),
		SSOURL:         l.str("PLUME_SSO_URL", ""),
		AllowedHosts:   plume.ParseAllowedHosts(l.str("PLUME_ALLOWED_HOSTS", plume.DefaultAllowedHosts)),
		PlumeTimeout:   time.Duration(l.positive("PLUME_TIMEOUT", 10, 3600) * float64(time.Second)),
		PlumeRate:      l.positive("PLUME_RATE_LIMIT", 6, 10000),
		CacheBytes:     int64(l.positive("PLUMEBOT_CACHE_MB", 64, 1<<20) * (1 << 20)),
	}
	if c.UserQueue == 0 {
		l.fail(bad("PLUMEBOT_USER_QUEUE", "must be at least 1 (updates of one user that may wait behind the one being handled)"))
	}
	c.ReportsBase = l.str("PLUME_REPORTS_BASE", plume.DefaultReportsBase(c.APIBase))
	c.Watch = l.watch(c.PlumeRate)
	c.LogLevel = l.level("PLUMEBOT_LOG_LEVEL")
	if c.LogFormat != "text" && c.LogFormat != "json" {
		l.fail(bad("PLUMEBOT_LOG_FORMAT", "must be text or json, not %q", c.LogFormat))
	}
	if c.SecretKey != "" && c.SecretKeyFile != "" {
		l.fail(bad("PLUMEBOT_SECRET_KEY", "set either PLUMEBOT_SECRET_KEY or PLUMEBOT_SECRET_KEY_FILE, not both"))
	}

	// Plume URLs: https and an allowed host, the same rule the /auth flow applies.
	for _, u := range []struct{ name, val string }{
		{"PLUME_API_BASE", c.APIBase}, {"PLUME_REPORTS_BASE", c.ReportsBase}, {"PLUME_SSO_URL", c.SSOURL},
	} {
		if u.val == "" {
			continue
		}
		if err := plume.ValidateURL(u.val, c.AllowedHosts); err != nil {
			l.fail(bad(u.name, "%s (PLUME_ALLOWED_HOSTS is %q)", safeMsg(err), strings.Join(c.AllowedHosts, ",")))
		}
	}

	header := l.secret("PLUME_AUTH_HEADER")
	partner := l.str("PLUME_PARTNER_ID", "")
	switch {
	case header != "" || partner != "":
		if header == "" {
			l.fail(bad("PLUME_AUTH_HEADER", "PLUME_PARTNER_ID is set but the Authorization header is not (set PLUME_AUTH_HEADER or PLUME_AUTH_HEADER_FILE)"))
		}
		if partner == "" {
			l.fail(bad("PLUME_PARTNER_ID", "PLUME_AUTH_HEADER is set but the partner ID is not"))
		}
		if c.SSOURL == "" {
			l.fail(bad("PLUME_SSO_URL", "operator credentials need the SSO token URL Plume gave you"))
		}
		if header != "" {
			if err := plume.ValidateAuthHeader(header.Reveal()); err != nil {
				l.fail(bad("PLUME_AUTH_HEADER", "%s (Plume gives it as \"Basic <base64 of clientId:clientSecret>\")", safeMsg(err)))
			}
		}
		if partner != "" {
			if err := plume.ValidatePartnerID(partner); err != nil {
				l.fail(bad("PLUME_PARTNER_ID", "%s", safeMsg(err)))
			}
		}
		c.Operator = &plume.Credentials{TokenURL: c.SSOURL, AuthHeader: header, PartnerID: partner,
			APIBase: c.APIBase, ReportsBase: c.ReportsBase}
	case mode == ModeCheck:
		l.fail(bad("PLUME_AUTH_HEADER", "check needs operator credentials: set PLUME_SSO_URL, PLUME_AUTH_HEADER (or _FILE) and PLUME_PARTNER_ID"))
	}

	if mode == ModeServe {
		c.BotToken = l.secret("TELEGRAM_BOT_TOKEN")
		if c.BotToken == "" {
			l.fail(bad("TELEGRAM_BOT_TOKEN", "required: the token @BotFather gave you (or TELEGRAM_BOT_TOKEN_FILE)"))
		}
		if u, err := url.Parse(c.TelegramAPIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			l.fail(bad("TELEGRAM_API_URL", "must be an http(s) URL such as https://api.telegram.org"))
		}
		if c.WebhookURL != "" {
			if u, err := url.Parse(c.WebhookURL); err != nil || u.Scheme != "https" || u.Host == "" {
				l.fail(bad("PLUMEBOT_WEBHOOK_URL", "must be an https URL Telegram can reach"))
			}
			if !telegram.ValidWebhookSecret(c.WebhookSecret.Reveal()) {
				l.fail(bad("PLUMEBOT_WEBHOOK_SECRET", "webhook mode needs a secret of 1-256 characters A-Z a-z 0-9 _ - (for example: openssl rand -hex 32)"))
			}
			if c.ListenAddr == "" {
				l.fail(bad("PLUMEBOT_LISTEN_ADDR", "webhook mode needs an address to listen on, for example :8080"))
			}
		}
		if _, port, _ := net.SplitHostPort(c.MetricsAddr); c.MetricsAddr != "" && c.MetricsAddr == c.ListenAddr && port != "0" { // :0 picks a free port
			l.fail(bad("PLUMEBOT_METRICS_ADDR", "must differ from PLUMEBOT_LISTEN_ADDR (leave it unset to serve /metrics there)"))
		}
		if !c.AllowEveryone && len(c.AllowedUsers) == 0 && len(c.Admins) == 0 && len(c.SupportUsers) == 0 {
			// Not an error: deny-by-default is a valid (if lonely) setup, and strangers learn their ID.
			l.warnings = append(l.warnings, "no PLUMEBOT_ALLOWED_USERS or PLUMEBOT_ADMINS: nobody may use the bot; strangers are told their user ID")
		}
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL.Reveal()); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
			l.fail(bad("PLUMEBOT_REDIS_URL", "must be a redis://, rediss:// or unix:// URL"))
		}
	}
	if err := errors.Join(l.errs...); err != nil {
		return nil, err
	}
	c.Warnings = l.warnings
	return c, nil
}

type loader struct {
	getenv   func(string) string
	errs     []error
	warnings []string
}

func (l *loader) fail(err error) { l.errs = append(l.errs, err) }

func (l *loader) str(name, def string) string {
	if v := strings.TrimSpace(l.getenv(name)); v != "" {
		return v
	}
	return def
}

// secret reads NAME or NAME_FILE (file contents trimmed); never both.
func (l *loader) secret(name string) secret.String {
	v, file := strings.TrimSpace(l.getenv(name)), strings.TrimSpace(l.getenv(name+"_FILE"))
	switch {
	case v != "" && file != "":
		l.fail(bad(name, "set either %s or %s_FILE, not both", name, name))
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			l.fail(bad(name+"_FILE", "cannot read %s: %v", file, errors.Unwrap(err)))
			return ""
		}
		return secret.String(strings.TrimSpace(string(b)))
	}
	return secret.String(v)
}

func (l *loader) ids(name string) []int64 {
	var out []int64
	for _, f := range strings.Split(l.getenv(name), ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id == 0 {
			l.fail(bad(name, "%q is not a numeric Telegram ID (comma-separated list such as 12345,67890; group IDs are negative)", f))
			continue
		}
		out = append(out, id)
	}
	return out
}

// people reads a list of user IDs: each must be a person, which a group (a negative ID) and
// the ID every anonymous group admin writes under are not.
func (l *loader) people(name string) []int64 {
	ids := l.ids(name)
	for _, id := range ids {
		if id < 0 {
			l.fail(bad(name, "%d is a group's ID (negative), not a user's: groups go in PLUMEBOT_ALLOWED_CHATS", id))
		}
		if id == bot.GroupAnonymousBotID {
			l.fail(bad(name, "%d is @GroupAnonymousBot, the ID Telegram shows for every anonymous group admin, not a person: "+
				"list the admin's own user ID (they see it when they turn off \"Remain anonymous\" and send /start)", id))
		}
	}
	return ids
}

// groups reads a list of group chat IDs, which are negative: a positive one is a user's and
// would allow nothing here.
func (l *loader) groups(name string) []int64 {
	ids := l.ids(name)
	for _, id := range ids {
		if id > 0 {
			l.fail(bad(name, "%d is a user's ID, not a group's (group IDs are negative, such as -1001234567890): users go in PLUMEBOT_ALLOWED_USERS", id))
		}
	}
	return ids
}

func (l *loader) boolean(name string) bool {
	v := strings.TrimSpace(l.getenv(name))
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.fail(bad(name, "must be true or false, not %q", v))
	}
	return b
}

// positive reads a number in (0, max]; def when unset.
func (l *loader) positive(name string, def, max float64) float64 {
	v := strings.TrimSpace(l.getenv(name))
	if v == "" {
		return def
	}
	// ParseFloat takes "NaN" and "Inf", and a number past max overflows what it becomes
	// (bytes, a duration): each used to turn the cache off or fall back to a default silently.
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f <= 0 || f > max {
		l.fail(bad(name, "must be a positive number up to %g, not %q", max, v))
		return def
	}
	return f
}

// duration reads a Go duration ("90s", "10m") between min and max.
func (l *loader) duration(name string, def, min, max time.Duration) time.Duration {
	v := strings.TrimSpace(l.getenv(name))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < min || d > max {
		l.fail(bad(name, "must be a duration from %s to %s such as %s, not %q", min, max, def, v))
		return def
	}
	return d
}

// count reads a whole number ≥ 0.
func (l *loader) count(name string, def int) int {
	v := strings.TrimSpace(l.getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		l.fail(bad(name, "must be a whole number (0 for no limit), not %q", v))
		return def
	}
	return n
}

func (l *loader) level(name string) slog.Level {
	switch v := strings.ToLower(strings.TrimSpace(l.getenv(name))); v {
	case "", "info":
		return slog.LevelInfo
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		l.fail(bad(name, "must be debug, info, warn or error, not %q", v))
		return slog.LevelInfo
	}
}

func defaultDataDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "plumebot")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "plumebot")
	}
	return "plumebot-data"
}

// safeMsg gives a validation error's user-safe text.
func safeMsg(err error) string {
	var pe *plume.Error
	if errors.As(err, &pe) {
		return pe.UserMessage()
	}
	return "invalid value"
}
