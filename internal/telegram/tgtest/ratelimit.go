package tgtest

import (
	"fmt"
	"math"
	"time"
)

// Rates enforced when EnforceRates(true) is set; slightly looser than the adapter's pacing so
// that a well-behaved client is never refused (https://core.telegram.org/bots/faq).
const (
	ratePrivateBurst = 4
	ratePrivatePerS  = 1.0
	rateGroupBurst   = 20
	rateGroupPerS    = 20.0 / 60
	rateGlobalBurst  = 30
	rateGlobalPerS   = 30.0
)

type bucket struct {
	tokens, capacity, perSec float64
	last                     time.Time
}

// take removes one token or returns how long until one is available.
func (b *bucket) take(now time.Time) (bool, time.Duration) {
	b.tokens = math.Min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*b.perSec)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.perSec * float64(time.Second))
}

// rateLocked applies the flood limits when enforced.
func (s *Server) rateLocked(chatID int64) *apiError {
	if !s.enforce {
		return nil
	}
	now := time.Now()
	if s.global == nil {
		s.global = &bucket{tokens: rateGlobalBurst, capacity: rateGlobalBurst, perSec: rateGlobalPerS, last: now}
	}
	b := s.buckets[chatID]
	if b == nil {
		b = &bucket{tokens: ratePrivateBurst, capacity: ratePrivateBurst, perSec: ratePrivatePerS, last: now}
		if chatID < 0 || s.chatTypes[chatID] == "group" || s.chatTypes[chatID] == "supergroup" {
			b = &bucket{tokens: rateGroupBurst, capacity: rateGroupBurst, perSec: rateGroupPerS, last: now}
		}
		s.buckets[chatID] = b
	}
	for _, bk := range []*bucket{s.global, b} {
		if ok, wait := bk.take(now); !ok {
			secs := max(1, int(math.Ceil(wait.Seconds())))
			return &apiError{status: 429, desc: fmt.Sprintf("Too Many Requests: retry after %d", secs), retryAfter: secs}
		}
	}
	return nil
}
