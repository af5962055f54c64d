package tgtest

import "strconv"

// Where a sent message goes besides its chat: a forum topic (message_thread_id) and the
// message it replies to (reply_parameters; the older reply_to_message_id too), with
// Telegram's rules: a reply to a message that is not in the chat (or was deleted) is refused
// with 400 "message to be replied not found" unless allow_sending_without_reply is set, which
// Telegram ignores in forum topics (https://core.telegram.org/bots/api#replyparameters).

// placementLocked reads a sendMessage's topic and reply; replyTo is 0 when the message is
// sent without a reply.
func (s *Server) placementLocked(chatID int64, p map[string]any) (thread, replyTo int64, aerr *apiError) {
	if v, ok := p["message_thread_id"]; ok {
		n, err := strconv.ParseInt(str(p, "message_thread_id"), 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, badRequest("message thread not found (message_thread_id %v)", v)
		}
		thread = n
	}
	allowWithout := false
	switch rp := p["reply_parameters"].(type) {
	case nil:
		replyTo, _ = intParam(p, "reply_to_message_id")
	case map[string]any:
		id, _ := rp["message_id"].(float64)
		replyTo = int64(id)
		allowWithout, _ = rp["allow_sending_without_reply"].(bool)
		if replyTo <= 0 {
			return 0, 0, badRequest("message to be replied not found")
		}
	default:
		return 0, 0, badRequest("can't parse reply parameters JSON object")
	}
	if replyTo == 0 || s.existsLocked(chatID, replyTo) {
		return thread, replyTo, nil
	}
	if allowWithout && thread == 0 {
		return thread, 0, nil
	}
	return 0, 0, badRequest("message to be replied not found")
}

// existsLocked reports whether message id is in chatID and not deleted (the bot's or a user's).
func (s *Server) existsLocked(chatID, id int64) bool {
	k := msgKey{chatID, id}
	if m := s.byKey[k]; m != nil {
		return !m.Deleted
	}
	deleted, ok := s.incoming[k]
	return ok && !deleted
}
