package tgtest

import (
	"fmt"
	"math"
	"time"
)

// Telegram's flood limits as the Bot FAQ states them ("My bot is hitting limits",
// https://core.telegram.org/bots/faq), enforced when EnforceRates(true) is set. They are the
// limits themselves, not a margin around them: a sender that paces any looser gets 429, and
// one that paces stricter shows it as latency.
const (
	// RateGlobal messages in any window of RateGlobalWindow overall.
	RateGlobal       = 30
	RateGlobalWindow = time.Second
	// RateGroup messages in any window of RateGroupWindow in one group or supergroup.
	RateGroup       = 20
	RateGroupWindow = time.Minute
	// RateChatBurst messages at once in one chat, then one per RateChatInterval.
	RateChatBurst    = 3
	RateChatInterval = time.Second
)

// slidingWindow admits at most n events in any window of length per: the log of the last n
// accepted events' times, oldest first.
type slidingWindow struct {
	n   int
	per time.Duration
	log []time.Time
}

// wait is how long until an event at now would be admitted (0: now).
func (w *slidingWindow) wait(now time.Time) time.Duration {
	for len(w.log) > 0 && !now.Before(w.log[0].Add(w.per)) {
		w.log = w.log[1:]
	}
	if len(w.log) < w.n {
		return 0
	}
	return w.log[len(w.log)-w.n].Add(w.per).Sub(now)
}

func (w *slidingWindow) add(now time.Time) { w.log = append(w.log, now) }

// burst is a chat's allowance of RateChatBurst messages at once, then one per interval: the
// token bucket written as GCRA (the theoretical arrival time of the next message), so that
// times compare exactly rather than through float token counts.
type burst struct {
	n        int
	interval time.Duration
	tat      time.Time
}

func (b *burst) wait(now time.Time) time.Duration {
	return max(0, b.tat.Add(-time.Duration(b.n-1)*b.interval).Sub(now))
}

func (b *burst) add(now time.Time) {
	if b.tat.Before(now) {
		b.tat = now
	}
	b.tat = b.tat.Add(b.interval)
}

// chatLimits are the limits of one chat.
type chatLimits struct {
	burst burst
	group *slidingWindow // nil in private chats
}

// rateLocked applies the flood limits to a message sent in chatID, when enforced: it counts
// the message and returns nil, or returns the 429 Telegram gives, counting nothing.
func (s *Server) rateLocked(chatID int64) *apiError {
	if !s.enforce {
		return nil
	}
	now := time.Now()
	if s.global == nil {
		s.global = &slidingWindow{n: RateGlobal, per: RateGlobalWindow}
	}
	c := s.rates[chatID]
	if c == nil {
		c = &chatLimits{burst: burst{n: RateChatBurst, interval: RateChatInterval}}
		if chatID < 0 || s.chatTypes[chatID] == "group" || s.chatTypes[chatID] == "supergroup" {
			c.group = &slidingWindow{n: RateGroup, per: RateGroupWindow}
		}
		s.rates[chatID] = c
	}
	wait := max(s.global.wait(now), c.burst.wait(now))
	if c.group != nil {
		wait = max(wait, c.group.wait(now))
	}
	if wait > 0 {
		secs := max(1, int(math.Ceil(wait.Seconds())))
		return &apiError{status: 429, desc: fmt.Sprintf("Too Many Requests: retry after %d", secs), retryAfter: secs}
	}
	s.global.add(now)
	c.burst.add(now)
	if c.group != nil {
		c.group.add(now)
	}
	return nil
}
