package tgtest

import (
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"time"
)

func (s *Server) chatType(userID, chatID int64) string {
	switch {
	case chatID == userID:
		return "private"
	case chatID < 0:
		return "supergroup"
	default:
		return "group"
	}
}

func userJSON(userID int64) map[string]any {
	return map[string]any{
		"id": userID, "is_bot": false,
		"first_name": fmt.Sprintf("User%d", userID), "username": fmt.Sprintf("user%d", userID),
	}
}

func (s *Server) chatJSONLocked(chatID int64) map[string]any {
	t := s.chatTypes[chatID]
	if t == "" {
		t = "private"
		if chatID < 0 {
			t = "supergroup"
		}
	}
	c := map[string]any{"id": chatID, "type": t}
	if t != "private" {
		c["title"] = fmt.Sprintf("Chat %d", chatID)
	}
	return c
}

func (s *Server) newMessageIDLocked(chatID int64) int64 {
	s.nextMsgID[chatID]++
	return s.nextMsgID[chatID]
}

// textFields are the Message fields of a text message, with the bot_command entity Telegram
// adds when it starts with a command.
func textFields(text string) map[string]any {
	fields := map[string]any{"text": text}
	addCommandEntity(fields, text)
	return fields
}

// incomingUpdateLocked builds the update of a message from userID in chatID with fields
// (text, or a service message's fields) and registers the message.
func (s *Server) incomingUpdateLocked(userID, chatID int64, fields map[string]any) (queued, int64) {
	msg, id := s.incomingLocked(userID, chatID)
	maps.Copy(msg, fields)
	return s.encodeLocked("message", msg), id
}

func (s *Server) callbackUpdateLocked(userID, chatID, messageID int64, data string) (queued, string) {
	s.nextCB++
	cbID := fmt.Sprintf("cb%d", s.nextCB)
	s.callbacks[cbID] = false
	s.cbOrder = append(s.cbOrder, cbID)
	s.pressedLocked(cbID)
	msg := map[string]any{
		"message_id": messageID, "chat": s.chatJSONLocked(chatID), "date": time.Now().Unix(),
		"from": map[string]any{"id": BotID, "is_bot": true, "first_name": "Test Bot", "username": BotUsername},
	}
	if m := s.byKey[msgKey{chatID, messageID}]; m != nil {
		msg["text"], _ = ParseHTML(m.Text)
		msg["reply_markup"] = markupJSON(m.Keyboard)
		topicJSON(msg, m.ThreadID)
		replyJSON(msg, m.ReplyTo)
	}
	s.nextUpdate++
	raw, _ := json.Marshal(map[string]any{"update_id": s.nextUpdate, "callback_query": map[string]any{
		"id": cbID, "from": userJSON(userID), "message": msg,
		"chat_instance": strconv.FormatInt(chatID, 10), "data": data,
	}})
	return queued{s.nextUpdate, raw}, cbID
}

func (s *Server) messageJSONLocked(m *Message, plain string) map[string]any {
	out := map[string]any{
		"message_id": m.ID, "date": time.Now().Unix(), "text": plain, "chat": s.chatJSONLocked(m.ChatID),
		"from": map[string]any{"id": BotID, "is_bot": true, "first_name": "Test Bot", "username": BotUsername},
	}
	if len(m.Keyboard) > 0 {
		out["reply_markup"] = markupJSON(m.Keyboard)
	}
	topicJSON(out, m.ThreadID)
	replyJSON(out, m.ReplyTo)
	return out
}

// replyJSON names the message a message replies to, as Telegram's reply_to_message does.
func replyJSON(msg map[string]any, replyTo int64) {
	if replyTo != 0 {
		msg["reply_to_message"] = map[string]any{"message_id": replyTo, "date": time.Now().Unix(), "chat": msg["chat"]}
	}
}

// topicJSON marks a message as one in forum topic thread, as Telegram does for every message
// of a topic, the bot's own included (so a button press under it says where it was).
func topicJSON(msg map[string]any, thread int64) {
	if thread != 0 {
		msg["message_thread_id"] = thread
		msg["is_topic_message"] = true
	}
}

func markupJSON(kb [][]Button) any {
	rows := []any{}
	for _, row := range kb {
		r := []any{}
		for _, b := range row {
			r = append(r, map[string]any{"text": b.Text, "callback_data": b.Data})
		}
		rows = append(rows, r)
	}
	return map[string]any{"inline_keyboard": rows}
}
