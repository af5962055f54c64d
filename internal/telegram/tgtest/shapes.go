package tgtest

import (
	"encoding/json"
	"fmt"
	"time"
)

// The update shapes of groups and of messages that are not plain typed text: forwards, edits,
// anonymous admins, service messages (members joining or leaving, pins, title changes), the
// migration of a group to a supergroup, and forum topics. Shapes follow the Bot API's Message
// and Update objects (https://core.telegram.org/bots/api#message).

// GroupAnonymousBotID is the user Telegram puts in "from" when an anonymous group admin writes;
// sender_chat is then the group itself.
const GroupAnonymousBotID = 1087968824

// Shape adds to a pushed text message what makes it more than typed text.
type Shape struct {
	ForwardFrom int64 // forward_origin of type "user": the message was written by this user
	// ForwardHidden is forward_origin of type "hidden_user": a forward from someone who hides
	// their account (only a name is given).
	ForwardHidden string
	ThreadID      int64 // message_thread_id and is_topic_message: a message in a forum topic
	// Photo makes the message a photo with the text as its caption (caption, not text).
	Photo bool
}

// PushShaped queues a text message from userID in chatID (see PushMessage) with sh applied.
func (s *Server) PushShaped(userID, chatID int64, text string, sh Shape) (messageID int64) {
	return s.pushWith(userID, chatID, text, func(msg map[string]any) {
		switch {
		case sh.ForwardFrom != 0:
			msg["forward_origin"] = map[string]any{"type": "user", "date": time.Now().Unix() - 60,
				"sender_user": userJSON(sh.ForwardFrom)}
		case sh.ForwardHidden != "":
			msg["forward_origin"] = map[string]any{"type": "hidden_user", "date": time.Now().Unix() - 60,
				"sender_user_name": sh.ForwardHidden}
		}
		topicJSON(msg, sh.ThreadID)
		if sh.Photo {
			msg["caption"] = msg["text"]
			delete(msg, "text")
			if e, ok := msg["entities"]; ok {
				msg["caption_entities"] = e
				delete(msg, "entities")
			}
			msg["photo"] = []any{map[string]any{"file_id": "AgACAgQAAxkBAAIB", "file_unique_id": "AQADAgAT",
				"width": 90, "height": 60, "file_size": 1200}}
		}
	})
}

// PushEdit queues an edited_message update: userID changed their message messageID in chatID
// to text.
func (s *Server) PushEdit(userID, chatID, messageID int64, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatTypes[chatID] = s.chatType(userID, chatID)
	msg := map[string]any{
		"message_id": messageID, "from": userJSON(userID), "chat": s.chatJSONLocked(chatID),
		"date": time.Now().Unix() - 30, "edit_date": time.Now().Unix(), "text": text,
	}
	addCommandEntity(msg, text)
	s.queueLocked("edited_message", msg)
}

// PushAnonymousAdmin queues a message an anonymous admin of group chatID wrote: from is
// GroupAnonymousBot and sender_chat the group.
func (s *Server) PushAnonymousAdmin(chatID int64, text string) (messageID int64) {
	return s.pushWith(GroupAnonymousBotID, chatID, text, func(msg map[string]any) {
		msg["from"] = map[string]any{"id": GroupAnonymousBotID, "is_bot": true, "first_name": "Group",
			"username": "GroupAnonymousBot"}
		msg["sender_chat"] = s.chatJSONLocked(chatID)
	})
}

// PushMembersJoined queues the service message of members joining group chatID, added by
// userID (a member who joins by link adds themself).
func (s *Server) PushMembersJoined(chatID, userID int64, members ...int64) {
	users := make([]any, 0, len(members))
	for _, m := range members {
		users = append(users, userJSON(m))
	}
	s.pushService(userID, chatID, "new_chat_members", users)
}

// PushMemberLeft queues the service message of userID leaving group chatID.
func (s *Server) PushMemberLeft(chatID, userID int64) {
	s.pushService(userID, chatID, "left_chat_member", userJSON(userID))
}

// PushPinned queues the service message of userID pinning message messageID in chatID.
func (s *Server) PushPinned(chatID, userID, messageID int64) {
	s.pushService(userID, chatID, "pinned_message", map[string]any{"message_id": messageID,
		"chat": map[string]any{"id": chatID, "type": "supergroup"}, "date": 0})
}

// PushTitleChanged queues the service message of userID renaming group chatID.
func (s *Server) PushTitleChanged(chatID, userID int64, title string) {
	s.pushService(userID, chatID, "new_chat_title", title)
}

// PushMigration queues the two service messages Telegram sends when userID upgrades group
// oldChatID to supergroup newChatID: migrate_to_chat_id in the old group, then
// migrate_from_chat_id in the new supergroup. From then on the old group is a "group" and the
// new one a "supergroup" in every update.
func (s *Server) PushMigration(userID, oldChatID, newChatID int64) {
	s.mu.Lock()
	s.chatTypes[oldChatID] = "group"
	s.chatTypes[newChatID] = "supergroup"
	s.mu.Unlock()
	s.pushService(userID, oldChatID, "migrate_to_chat_id", newChatID)
	s.pushService(userID, newChatID, "migrate_from_chat_id", oldChatID)
}

// pushWith queues a text message whose JSON shape may change before it is queued.
func (s *Server) pushWith(userID, chatID int64, text string, shape func(msg map[string]any)) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg, id := s.incomingLocked(userID, chatID)
	msg["text"] = text
	addCommandEntity(msg, text)
	shape(msg)
	s.queueLocked("message", msg)
	return id
}

// pushService queues a service message: no text, one field saying what happened.
func (s *Server) pushService(userID, chatID int64, field string, value any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg, _ := s.incomingLocked(userID, chatID)
	msg[field] = value
	s.queueLocked("message", msg)
}

// incomingLocked registers a new message from userID in chatID (a chat keeps the type it was
// first seen with) and returns its JSON without content.
func (s *Server) incomingLocked(userID, chatID int64) (map[string]any, int64) {
	if s.chatTypes[chatID] == "" {
		s.chatTypes[chatID] = s.chatType(userID, chatID)
	}
	id := s.newMessageIDLocked(chatID)
	s.incoming[msgKey{chatID, id}] = false
	return map[string]any{
		"message_id": id, "from": userJSON(userID), "chat": s.chatJSONLocked(chatID), "date": time.Now().Unix(),
	}, id
}

// addCommandEntity marks a leading /command as Telegram does (a bot_command entity).
func addCommandEntity(msg map[string]any, text string) {
	if len(text) < 2 || text[0] != '/' {
		return
	}
	n := len(text)
	for i, c := range text {
		if c == ' ' || c == '\n' {
			n = i
			break
		}
	}
	msg["entities"] = []any{map[string]any{"type": "bot_command", "offset": 0, "length": UTF16Len(text[:n])}}
}

// queueLocked queues an update whose payload is field (message, edited_message…).
func (s *Server) queueLocked(field string, payload map[string]any) {
	s.queue = append(s.queue, s.encodeLocked(field, payload))
	s.notifyLocked()
}

// encodeLocked gives an update whose payload is field its ID and its JSON.
func (s *Server) encodeLocked(field string, payload map[string]any) queued {
	s.nextUpdate++
	raw, err := json.Marshal(map[string]any{"update_id": s.nextUpdate, field: payload})
	if err != nil {
		panic(fmt.Sprintf("tgtest: encoding an update: %v", err))
	}
	return queued{s.nextUpdate, raw}
}
