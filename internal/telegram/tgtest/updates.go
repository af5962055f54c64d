package tgtest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

func (s *Server) chatType(userID, chatID int64) string {
	if t := s.upgraded[chatID]; t != "" {
		return t
	}
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
	if strings.HasPrefix(text, "/") {
		n := strings.IndexAny(text, " \n")
		if n < 0 {
			n = len(text)
		}
		fields["entities"] = []any{map[string]any{"type": "bot_command", "offset": 0, "length": UTF16Len(text[:n])}}
	}
	return fields
}

// incomingUpdateLocked builds the update of a message from userID in chatID with fields
// (text, or a service message's fields) and registers the message.
func (s *Server) incomingUpdateLocked(userID, chatID int64, fields map[string]any) (queued, int64) {
	s.chatTypes[chatID] = s.chatType(userID, chatID)
	id := s.newMessageIDLocked(chatID)
	s.incoming[msgKey{chatID, id}] = false
	msg := map[string]any{
		"message_id": id, "from": userJSON(userID), "chat": s.chatJSONLocked(chatID),
		"date": time.Now().Unix(),
	}
	for k, v := range fields {
		msg[k] = v
	}
	s.nextUpdate++
	raw, _ := json.Marshal(map[string]any{"update_id": s.nextUpdate, "message": msg})
	return queued{s.nextUpdate, raw}, id
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
	return out
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
