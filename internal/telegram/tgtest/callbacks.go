package tgtest

import "time"

// DefaultCallbackAnswerLimit is how long after a button press the fake accepts its
// answerCallbackQuery. Telegram does not publish its limit; bots report "query is too old" for
// answers some 10 to 15 seconds late, so the fake takes the short end.
const DefaultCallbackAnswerLimit = 10 * time.Second

// SetCallbackAnswerLimit changes how long after a press its answer is accepted (d <= 0 restores
// DefaultCallbackAnswerLimit). A later answer gets Telegram's 400 "query is too old".
func (s *Server) SetCallbackAnswerLimit(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cbLimit = d
}

// pressedLocked records when callback id was pressed: the answer's clock starts then.
func (s *Server) pressedLocked(id string) {
	if s.cbPressed == nil {
		s.cbPressed = map[string]time.Time{}
	}
	s.cbPressed[id] = time.Now()
}

// tooOldLocked applies Telegram's rule that a press must be answered soon after it was made.
func (s *Server) tooOldLocked(id string, now time.Time) bool {
	at, ok := s.cbPressed[id]
	if !ok {
		return false
	}
	limit := s.cbLimit
	if limit <= 0 {
		limit = DefaultCallbackAnswerLimit
	}
	return now.Sub(at) > limit
}
