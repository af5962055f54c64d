package tgtest

// Telegram's lasting refusals to deliver to a chat, as its Bot API words them. Once set, every
// call that names the chat (sendMessage, editMessageText, deleteMessage, sendChatAction) gets
// the refusal, as Telegram does until the user unblocks the bot or it is added back.

// BlockBot makes userID block the bot: 403 "Forbidden: bot was blocked by the user" in their
// private chat.
func (s *Server) BlockBot(userID int64) {
	s.refuse(userID, &apiError{status: 403, desc: "Forbidden: bot was blocked by the user"})
}

// DeactivateUser deletes userID's account: 403 "Forbidden: user is deactivated".
func (s *Server) DeactivateUser(userID int64) {
	s.refuse(userID, &apiError{status: 403, desc: "Forbidden: user is deactivated"})
}

// KickBot removes the bot from a group: 403 "Forbidden: bot was kicked from the group chat"
// (or "supergroup chat", by the chat's type).
func (s *Server) KickBot(chatID int64) {
	s.mu.Lock()
	kind := s.chatTypes[chatID]
	s.mu.Unlock()
	if kind != "group" {
		kind = "supergroup"
	}
	s.refuse(chatID, &apiError{status: 403, desc: "Forbidden: bot was kicked from the " + kind + " chat"})
}

// DeleteChat makes chatID unknown to Telegram: 400 "Bad Request: chat not found".
func (s *Server) DeleteChat(chatID int64) {
	s.refuse(chatID, badRequest("chat not found"))
}

// RestrictBot takes the bot's right to write in a group: 400 "Bad Request: have no rights to
// send a message".
func (s *Server) RestrictBot(chatID int64) {
	s.refuse(chatID, badRequest("have no rights to send a message"))
}

// UpgradeGroup turns the group chatID into a supergroup with a new ID, as a group admin
// (userID) does: calls naming the old ID get 400 "Bad Request: group chat was upgraded to a
// supergroup chat" with parameters.migrate_to_chat_id, and the two service messages Telegram
// sends are queued (migrate_to_chat_id in the old group, migrate_from_chat_id in the new
// supergroup, both from userID). It returns the supergroup's ID.
func (s *Server) UpgradeGroup(userID, chatID int64) (newChatID int64) {
	// Supergroup IDs are -100 followed by the chat's number.
	newChatID = -1_000_000_000_000 - abs(chatID)
	s.refuse(chatID, &apiError{status: 400, desc: "Bad Request: group chat was upgraded to a supergroup chat", migrateTo: newChatID})
	s.PushMigration(userID, chatID, newChatID)
	return newChatID
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func (s *Server) refuse(chatID int64, e *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusals[chatID] = e
}

// refusalLocked is the refusal set for chatID, or nil.
func (s *Server) refusalLocked(chatID int64) *apiError {
	return s.refusals[chatID]
}
