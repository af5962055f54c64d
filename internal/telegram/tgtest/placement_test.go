package tgtest

import (
	"encoding/json"
	"testing"
)

// TestPlacement: a message sent into a forum topic or as a reply is recorded so, and is
// refused as Telegram refuses it: a reply to a message that is not there, unless
// allow_sending_without_reply (which a topic ignores).
func TestPlacement(t *testing.T) {
	t.Parallel()
	s := New()
	defer s.Close()
	const user, group = 501, -100501
	topicMsg := s.PushShaped(user, group, "/watches", Shape{ThreadID: 77})
	send := func(extra map[string]any) (int, reply) {
		p := map[string]any{"chat_id": group, "text": "alert"}
		for k, v := range extra {
			p[k] = v
		}
		return call(t, s, "sendMessage", p)
	}
	st, r := send(map[string]any{"message_thread_id": 77, "reply_parameters": map[string]any{"message_id": topicMsg}})
	if st != 200 {
		t.Fatalf("reply in a topic: %d %s", st, r.Description)
	}
	first := messageID(t, r)
	var got struct {
		Thread  int64 `json:"message_thread_id"`
		Topic   bool  `json:"is_topic_message"`
		ReplyTo struct {
			ID int64 `json:"message_id"`
		} `json:"reply_to_message"`
	}
	if err := json.Unmarshal(r.Result, &got); err != nil || got.Thread != 77 || !got.Topic || got.ReplyTo.ID != topicMsg {
		t.Errorf("sent message %s (%v)", r.Result, err)
	}
	if st, r := send(map[string]any{"reply_parameters": map[string]any{"message_id": first}}); st != 200 {
		t.Fatalf("reply to the bot's message: %d %s", st, r.Description)
	}
	ms := s.Messages(group)
	if len(ms) != 2 || ms[0].ThreadID != 77 || ms[0].ReplyTo != topicMsg || ms[1].ThreadID != 0 || ms[1].ReplyTo != first {
		t.Fatalf("recorded %+v", ms)
	}

	call(t, s, "deleteMessage", map[string]any{"chat_id": group, "message_id": first})
	for _, tc := range []struct {
		name   string
		params map[string]any
		status int
	}{
		{"reply to a deleted message", map[string]any{"reply_parameters": map[string]any{"message_id": first}}, 400},
		{"reply to a message never sent", map[string]any{"reply_parameters": map[string]any{"message_id": 9999}}, 400},
		{"allowed without the reply", map[string]any{"reply_parameters": map[string]any{"message_id": first, "allow_sending_without_reply": true}}, 200},
		{"not in a topic", map[string]any{"message_thread_id": 77, "reply_parameters": map[string]any{"message_id": first, "allow_sending_without_reply": true}}, 400},
		{"bad thread", map[string]any{"message_thread_id": -3}, 400},
	} {
		if st, r := send(tc.params); st != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, st, r.Description, tc.status)
		}
	}
	if last := s.Messages(group)[2]; last.ReplyTo != 0 {
		t.Errorf("sent without its reply, but recorded as replying to %d", last.ReplyTo)
	}

	// A button pressed under a message in a topic says so, as Telegram's callback does.
	s.PushCallback(user, group, ms[0].ID, "x")
	var up struct {
		CallbackQuery struct {
			Message struct {
				Thread int64 `json:"message_thread_id"`
			} `json:"message"`
		} `json:"callback_query"`
	}
	_, r = call(t, s, "getUpdates", map[string]any{})
	var ups []json.RawMessage
	if err := json.Unmarshal(r.Result, &ups); err != nil || len(ups) != 2 {
		t.Fatalf("updates %s (%v)", r.Result, err)
	}
	if err := json.Unmarshal(ups[1], &up); err != nil || up.CallbackQuery.Message.Thread != 77 {
		t.Errorf("callback %s (%v)", ups[1], err)
	}
}
