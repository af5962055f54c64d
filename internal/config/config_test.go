package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{"TELEGRAM_BOT_TOKEN": "123:abc"}), ModeServe)
	if err != nil {
		t.Fatal(err)
	}
	if c.APIBase != "https://piranha-gamma.prod.us-west-2.aws.plumenet.io/api" {
		t.Errorf("APIBase = %q", c.APIBase)
	}
	if c.ReportsBase != "https://piranha-gamma.prod.us-west-2.aws.plumenet.io/reports" {
		t.Errorf("ReportsBase = %q", c.ReportsBase)
	}
	if c.PlumeTimeout != 10*time.Second || c.PlumeRate != 6 || c.CacheBytes != 64<<20 {
		t.Errorf("timeout %v rate %v cache %d", c.PlumeTimeout, c.PlumeRate, c.CacheBytes)
	}
	if c.AllowEveryone || len(c.AllowedUsers) != 0 {
		t.Error("access must default to deny")
	}
	if c.HTTPTimeout != 10*time.Second || c.DrainTimeout != 10*time.Second || c.UserQueue != 5 || c.MetricsAddr != "" {
		t.Errorf("HTTP timeout %v, drain %v, user queue %d, metrics addr %q", c.HTTPTimeout, c.DrainTimeout, c.UserQueue, c.MetricsAddr)
	}
	if len(c.Warnings) == 0 {
		t.Error("expected a warning that nobody may use the bot")
	}
	if c.Operator != nil {
		t.Error("no operator credentials were configured")
	}
	if len(c.SupportUsers) != 0 || c.RebootCooldown != 10*time.Minute || c.ActionsPerHour != 20 || c.RebootWait != 10*time.Minute {
		t.Errorf("actions: support %v, cooldown %v, per hour %d, wait %v", c.SupportUsers, c.RebootCooldown, c.ActionsPerHour, c.RebootWait)
	}
}

func TestLoadErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		mode Mode
		want string // variable named in the error
	}{
		{"no token", map[string]string{}, ModeServe, "TELEGRAM_BOT_TOKEN"},
		{"bad user id", map[string]string{"TELEGRAM_BOT_TOKEN": "t", "PLUMEBOT_ALLOWED_USERS": "12,bob"}, ModeServe, "PLUMEBOT_ALLOWED_USERS"},
		{"bad bool", map[string]string{"TELEGRAM_BOT_TOKEN": "t", "PLUMEBOT_ALLOW_EVERYONE": "yes please"}, ModeServe, "PLUMEBOT_ALLOW_EVERYONE"},
		{"http api", map[string]string{"TELEGRAM_BOT_TOKEN": "t", "PLUME_API_BASE": "http://x.plume.com/api"}, ModeServe, "PLUME_API_BASE"},
		{"host not allowed", map[string]string{"TELEGRAM_BOT_TOKEN": "t", "PLUME_SSO_URL": "https://evil.example/token"}, ModeServe, "PLUME_SSO_URL"},
		{"cache size", map[string]string{"TELEGRAM_BOT_TOKEN": "t", "PLUMEBOT_CACHE_MB": "0"}, ModeServe, "PLUMEBOT_CACHE_MB"},
		{"port 0", map[string]string{"TELEGRAM_BOT_TOKEN": "t", "PLUME_API_BASE": "https://x.plume.com:0/api"}, ModeServe, "PLUME_API_BASE"},
		{"port too big", map[string]string{"TELEGRAM_BOT_TOKEN": "t", "PLUME_SSO_URL": "https://sso.plume.com:65536/token"}, ModeServe, "PLUME_SSO_URL"},
		{"webhook without secret", map[string]string{"TELEGRAM_BOT_TOKEN": "t", "PLUMEBOT_WEBHOOK_URL": "https://bot.example/hook", "PLUMEBOT_LISTEN_ADDR": ":8080"}, ModeServe, "PLUMEBOT_WEBHOOK_SECRET"},
		{"webhook bad secret", map[string]string{"TELEGRAM_BOT_TOKEN": "t", "PLUMEBOT_WEBHOOK_URL": "https://bot.example/hook", "PLUMEBOT_WEBHOOK_SECRET": "has space", "PLUMEBOT_LISTEN_ADDR": ":8080"}, ModeServe, "PLUMEBOT_WEBHOOK_SECRET"},
		{"check without creds", map[string]string{}, ModeCheck, "PLUME_AUTH_HEADER"},
		{"header without partner", map[string]string{"PLUME_AUTH_HEADER": "Basic eDp5", "PLUME_SSO_URL": "https://external.sso.plume.com/oauth2/x/v1/token"}, ModeCheck, "PLUME_PARTNER_ID"},
		// The one rule /auth applies too: before, config took any 1-64 letters and digits.
		{"short partner", map[string]string{"PLUME_AUTH_HEADER": "Basic eDp5", "PLUME_PARTNER_ID": "abc123", "PLUME_SSO_URL": "https://external.sso.plume.com/oauth2/x/v1/token"}, ModeCheck, "PLUME_PARTNER_ID"},
		{"header not base64", map[string]string{"PLUME_AUTH_HEADER": "Basic not-base64!", "PLUME_PARTNER_ID": "65f06dae3fca80000ad38331", "PLUME_SSO_URL": "https://external.sso.plume.com/oauth2/x/v1/token"}, ModeCheck, "PLUME_AUTH_HEADER"},
		{"bad timeout", map[string]string{"PLUME_TIMEOUT": "-1"}, ModeDemo, "PLUME_TIMEOUT"},
		// Not numbers, or out of range of what they become (before, each silently turned off
		// the cache or fell back to a default).
		{"timeout NaN", map[string]string{"PLUME_TIMEOUT": "NaN"}, ModeDemo, "PLUME_TIMEOUT"},
		{"timeout overflows", map[string]string{"PLUME_TIMEOUT": "1e300"}, ModeDemo, "PLUME_TIMEOUT"},
		{"rate infinite", map[string]string{"PLUME_RATE_LIMIT": "+Inf"}, ModeDemo, "PLUME_RATE_LIMIT"},
		{"cache size NaN", map[string]string{"PLUMEBOT_CACHE_MB": "NaN"}, ModeDemo, "PLUMEBOT_CACHE_MB"},
		{"cache size overflows", map[string]string{"PLUMEBOT_CACHE_MB": "1e13"}, ModeDemo, "PLUMEBOT_CACHE_MB"},
		{"bad log level", map[string]string{"PLUMEBOT_LOG_LEVEL": "loud"}, ModeDemo, "PLUMEBOT_LOG_LEVEL"},
		{"bad redis", map[string]string{"PLUMEBOT_REDIS_URL": "http://localhost"}, ModeDemo, "PLUMEBOT_REDIS_URL"},
		{"both key forms", map[string]string{"PLUMEBOT_SECRET_KEY": "a", "PLUMEBOT_SECRET_KEY_FILE": "/x"}, ModeDemo, "PLUMEBOT_SECRET_KEY"},
		{"bad support id", map[string]string{"PLUMEBOT_SUPPORT_USERS": "7,@alice"}, ModeDemo, "PLUMEBOT_SUPPORT_USERS"},
		{"cooldown not a duration", map[string]string{"PLUMEBOT_REBOOT_COOLDOWN": "10"}, ModeDemo, "PLUMEBOT_REBOOT_COOLDOWN"},
		{"cooldown too short", map[string]string{"PLUMEBOT_REBOOT_COOLDOWN": "5s"}, ModeDemo, "PLUMEBOT_REBOOT_COOLDOWN"},
		{"negative limit", map[string]string{"PLUMEBOT_ACTIONS_PER_HOUR": "-3"}, ModeDemo, "PLUMEBOT_ACTIONS_PER_HOUR"},
		{"wait too long", map[string]string{"PLUMEBOT_REBOOT_WAIT": "3h"}, ModeDemo, "PLUMEBOT_REBOOT_WAIT"},
		{"drain not a duration", map[string]string{"PLUMEBOT_DRAIN_TIMEOUT": "10"}, ModeDemo, "PLUMEBOT_DRAIN_TIMEOUT"},
		{"negative HTTP timeout", map[string]string{"PLUMEBOT_HTTP_TIMEOUT": "-1s"}, ModeDemo, "PLUMEBOT_HTTP_TIMEOUT"},
		{"user queue zero", map[string]string{"PLUMEBOT_USER_QUEUE": "0"}, ModeDemo, "PLUMEBOT_USER_QUEUE"},
		{"metrics on the webhook's listener", map[string]string{"TELEGRAM_BOT_TOKEN": "t", "PLUMEBOT_LISTEN_ADDR": ":8080", "PLUMEBOT_METRICS_ADDR": ":8080"}, ModeServe, "PLUMEBOT_METRICS_ADDR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(env(tc.env), tc.mode)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *config.Error", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %s", err, tc.want)
			}
		})
	}
}

func TestOperatorCredentialsFromFile(t *testing.T) {
	t.Parallel()
	const header = "Basic c2VjcmV0LWlkOnNlY3JldC12YWx1ZQ=="
	f := filepath.Join(t.TempDir(), "header")
	if err := os.WriteFile(f, []byte(header+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{
		"PLUME_AUTH_HEADER_FILE": f,
		"PLUME_PARTNER_ID":       "65f06dae3fca80000ad38331",
		"PLUME_SSO_URL":          "https://external.sso.plume.com/oauth2/ausx/v1/token",
	}), ModeCheck)
	if err != nil {
		t.Fatal(err)
	}
	if c.Operator == nil || c.Operator.AuthHeader.Reveal() != header {
		t.Fatalf("operator credentials not loaded from the file")
	}
	if got := c.Operator.AuthHeader.String(); strings.Contains(got, "c2VjcmV0") {
		t.Errorf("header printed: %s", got)
	}
}

func TestSecretNeverInErrors(t *testing.T) {
	t.Parallel()
	const header = "Bearer sup3r-s3cret-value"
	_, err := Load(env(map[string]string{
		"PLUME_AUTH_HEADER": header, "PLUME_PARTNER_ID": "65f06dae3fca80000ad38331",
		"PLUME_SSO_URL": "https://external.sso.plume.com/oauth2/ausx/v1/token",
	}), ModeCheck)
	if err == nil {
		t.Fatal("a header that is not Basic must be refused")
	}
	if strings.Contains(err.Error(), "sup3r") {
		t.Errorf("error echoes the secret: %v", err)
	}
}

func TestIDsAndHosts(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{
		"PLUMEBOT_ALLOWED_USERS": " 1, 2 ,3", "PLUMEBOT_ALLOWED_CHATS": "-1001234", "PLUMEBOT_ADMINS": "9",
		"PLUMEBOT_SUPPORT_USERS": "4, 5", "PLUMEBOT_REBOOT_COOLDOWN": "15m", "PLUMEBOT_ACTIONS_PER_HOUR": "0",
		"PLUMEBOT_REBOOT_WAIT": "90s",
		"PLUME_ALLOWED_HOSTS":  "127.0.0.1,.plume.com", "PLUME_API_BASE": "https://127.0.0.1:8443/api",
	}), ModeDemo)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.AllowedUsers) != 3 || c.AllowedChats[0] != -1001234 || c.Admins[0] != 9 || len(c.SupportUsers) != 2 {
		t.Errorf("ids: %v %v %v %v", c.AllowedUsers, c.AllowedChats, c.Admins, c.SupportUsers)
	}
	if c.RebootCooldown != 15*time.Minute || c.ActionsPerHour != 0 || c.RebootWait != 90*time.Second {
		t.Errorf("actions: cooldown %v, per hour %d, wait %v", c.RebootCooldown, c.ActionsPerHour, c.RebootWait)
	}
	if c.ReportsBase != "https://127.0.0.1:8443/reports" {
		t.Errorf("ReportsBase = %q", c.ReportsBase)
	}
}

// TestConfigNeverPrintsSecrets: every secret the environment gives is held as a secret.String,
// so printing, logging or marshalling the whole Config shows none of them.
func TestConfigNeverPrintsSecrets(t *testing.T) {
	t.Parallel()
	secrets := map[string]string{
		"TELEGRAM_BOT_TOKEN":           "123456:bot-token-value",
		"PLUMEBOT_WEBHOOK_SECRET":      "webhook-secret-value",
		"PLUMEBOT_REDIS_URL":           "redis://:redis-password-value@127.0.0.1:6379/0",
		"PLUMEBOT_SECRET_KEY":          "c2VhbGluZy1rZXktdmFsdWUtMzItYnl0ZXMtbG9uZyE=",
		"PLUMEBOT_SECRET_KEY_PREVIOUS": "cHJldmlvdXMta2V5LXZhbHVlLTMyLWJ5dGVzLWxvbmc=",
		"PLUME_AUTH_HEADER":            "Basic c2VjcmV0LWlkOnNlY3JldC12YWx1ZQ==",
	}
	vars := map[string]string{
		"PLUMEBOT_WEBHOOK_URL": "https://bot.example/hook", "PLUMEBOT_LISTEN_ADDR": ":8080",
		"PLUME_PARTNER_ID": "65f06dae3fca80000ad38331",
		"PLUME_SSO_URL":    "https://external.sso.plume.com/oauth2/ausx/v1/token",
	}
	for k, v := range secrets {
		vars[k] = v
	}
	c, err := Load(env(vars), ModeServe)
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "config", c, "operator", c.Operator)
	outs := []string{fmt.Sprintf("%v", *c), fmt.Sprintf("%+v", *c), fmt.Sprintf("%#v", *c),
		fmt.Sprintf("%+v", *c.Operator), string(j), logs.String()}
	for name, v := range secrets {
		for _, o := range outs {
			if strings.Contains(o, v) {
				t.Errorf("%s shown: %s", name, o)
			}
		}
	}
	if c.BotToken.Reveal() != secrets["TELEGRAM_BOT_TOKEN"] || c.WebhookSecret.Reveal() != secrets["PLUMEBOT_WEBHOOK_SECRET"] {
		t.Error("secrets not loaded")
	}
}

// A user's ID (positive) among the groups, or a group's (negative) among the users, allows
// nothing where it is: refused at start, naming the variable and where the ID belongs.
func TestUserAndGroupIDsInTheirPlace(t *testing.T) {
	t.Parallel()
	for name, val := range map[string]string{
		"PLUMEBOT_ALLOWED_CHATS": "-1001234, 515001",
		"PLUMEBOT_ALLOWED_USERS": "515001, -1001234",
		"PLUMEBOT_SUPPORT_USERS": "-515",
		"PLUMEBOT_ADMINS":        "-100515",
	} {
		_, err := Load(env(map[string]string{name: val}), ModeDemo)
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != name || !strings.Contains(ce.Msg, "PLUMEBOT_ALLOWED_") {
			t.Errorf("%s=%s: %v", name, val, err)
		}
	}
}

// The ID every anonymous group admin writes under is not a person: listing it would let any
// anonymous admin of an allowed group in. It is refused, naming the variable.
func TestAnonymousAdminIDRefused(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"PLUMEBOT_ALLOWED_USERS", "PLUMEBOT_SUPPORT_USERS", "PLUMEBOT_ADMINS"} {
		_, err := Load(env(map[string]string{name: "5, 1087968824"}), ModeDemo)
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != name || !strings.Contains(ce.Msg, "GroupAnonymousBot") {
			t.Errorf("%s with the anonymous admin ID: %v", name, err)
		}
	}
}
