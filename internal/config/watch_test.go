package config

import (
	"strings"
	"testing"
	"time"
)

func TestWatchConfig(t *testing.T) {
	t.Parallel()
	load := func(m map[string]string) (*Config, error) {
		m["TELEGRAM_BOT_TOKEN"] = "123:abc"
		return Load(env(m), ModeServe)
	}
	c, err := load(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Watch{Interval: time.Minute, Budget: 2, MaxPerChat: 20, Max: 1000, HoldChecks: 2, FlapLimit: 3}); c.Watch != want {
		t.Errorf("defaults %+v, want %+v", c.Watch, want)
	}
	c, err = load(map[string]string{"PLUME_RATE_LIMIT": "12", "PLUMEBOT_WATCH_INTERVAL": "5s", "PLUMEBOT_WATCH_MAX_PER_CHAT": "3",
		"PLUMEBOT_WATCH_MAX": "50", "PLUMEBOT_WATCH_HOLD": "3m", "PLUMEBOT_WATCH_FLAP_LIMIT": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Watch{Interval: 5 * time.Second, Budget: 4, MaxPerChat: 3, Max: 50, HoldChecks: 2, HoldTime: 3 * time.Minute, FlapLimit: 1}); c.Watch != want {
		t.Errorf("set %+v, want %+v", c.Watch, want)
	}
	if c, err = load(map[string]string{"PLUMEBOT_WATCH_HOLD": "3", "PLUMEBOT_WATCH_BUDGET": "0.5"}); err != nil || c.Watch.HoldChecks != 3 || c.Watch.Budget != 0.5 {
		t.Errorf("hold 3, budget 0.5: %+v (%v)", c.Watch, err)
	}
	for _, tc := range []struct{ name, value, want string }{
		{"PLUMEBOT_WATCH_INTERVAL", "4s", "from 5s to 24h0m0s"},
		{"PLUMEBOT_WATCH_INTERVAL", "soon", "a duration"},
		{"PLUMEBOT_WATCH_BUDGET", "7", "up to 6"},
		{"PLUMEBOT_WATCH_BUDGET", "-1", "positive"},
		{"PLUMEBOT_WATCH_BUDGET", "NaN", "positive"},
		{"PLUMEBOT_WATCH_BUDGET", "Inf", "positive"},
		{"PLUMEBOT_WATCH_MAX_PER_CHAT", "0", "at least 1"},
		{"PLUMEBOT_WATCH_MAX", "lots", "whole number"},
		{"PLUMEBOT_WATCH_HOLD", "0", "number of checks"},
		{"PLUMEBOT_WATCH_FLAP_LIMIT", "2.5", "whole number"},
	} {
		_, err := load(map[string]string{tc.name: tc.value})
		if err == nil || !strings.Contains(err.Error(), tc.name+": ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%s: %v, want an error naming it: %s", tc.name, tc.value, err, tc.want)
		}
	}
}
