package tgtest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// fetch takes the queued updates with getUpdates and decodes them as the adapter does.
func fetch(t *testing.T, s *Server) []gotgbot.Update {
	t.Helper()
	status, r := call(t, s, "getUpdates", map[string]any{"timeout": 0})
	if status != 200 {
		t.Fatalf("getUpdates: %d %s", status, r.Description)
	}
	var ups []gotgbot.Update
	if err := json.Unmarshal(r.Result, &ups); err != nil {
		t.Fatalf("decoding updates: %v\n%s", err, r.Result)
	}
	if len(ups) > 0 {
		call(t, s, "getUpdates", map[string]any{"offset": ups[len(ups)-1].UpdateId + 1, "timeout": 0})
	}
	return ups
}

func TestShapesDecodeAsTelegramSendsThem(t *testing.T) {
	t.Parallel()
	s := New()
	defer s.Close()
	const user, group, newGroup = 7, -42, -1000042

	fwd := s.PushShaped(user, user, "/health a b", Shape{ForwardFrom: 8})
	s.PushShaped(user, user, "hi", Shape{ForwardHidden: "Someone"})
	s.PushShaped(user, newGroup, "/nodes", Shape{ThreadID: 5})
	s.PushEdit(user, user, fwd, "/health c d")
	s.PushAnonymousAdmin(group, "/status")
	s.PushMembersJoined(group, user, 9, 10)
	s.PushMemberLeft(group, 9)
	s.PushPinned(group, user, 3)
	s.PushTitleChanged(group, user, "New name")
	s.PushMigration(user, group, newGroup)

	ups := fetch(t, s)
	if len(ups) != 11 {
		t.Fatalf("%d updates, want 11", len(ups))
	}
	m := ups[0].Message
	if o, ok := m.ForwardOrigin.(gotgbot.MessageOriginUser); !ok || o.SenderUser.Id != 8 || m.Text != "/health a b" || len(m.Entities) != 1 {
		t.Errorf("forward: %+v origin %#v", m, m.ForwardOrigin)
	}
	if _, ok := ups[1].Message.ForwardOrigin.(gotgbot.MessageOriginHiddenUser); !ok {
		t.Errorf("hidden forward: %#v", ups[1].Message.ForwardOrigin)
	}
	if m := ups[2].Message; m.MessageThreadId != 5 || !m.IsTopicMessage || m.Chat.Type != "supergroup" {
		t.Errorf("topic: %+v", m)
	}
	if e := ups[3].EditedMessage; ups[3].Message != nil || e == nil || e.MessageId != fwd || e.Text != "/health c d" || e.EditDate == 0 {
		t.Errorf("edit: %+v", ups[3])
	}
	if m := ups[4].Message; m.From.Id != GroupAnonymousBotID || m.SenderChat == nil || m.SenderChat.Id != group {
		t.Errorf("anonymous admin: %+v", m)
	}
	if m := ups[5].Message; len(m.NewChatMembers) != 2 || m.NewChatMembers[1].Id != 10 || m.Text != "" {
		t.Errorf("joined: %+v", m)
	}
	if m := ups[6].Message; m.LeftChatMember == nil || m.LeftChatMember.Id != 9 {
		t.Errorf("left: %+v", m)
	}
	if m := ups[7].Message; m.PinnedMessage == nil || m.PinnedMessage.GetMessageId() != 3 {
		t.Errorf("pinned: %+v", m)
	}
	if m := ups[8].Message; m.NewChatTitle != "New name" {
		t.Errorf("title: %+v", m)
	}
	if m := ups[9].Message; m.MigrateToChatId != newGroup || m.Chat.Id != group || m.Chat.Type != "group" {
		t.Errorf("migrate to: %+v", m)
	}
	if m := ups[10].Message; m.MigrateFromChatId != group || m.Chat.Id != newGroup || m.Chat.Type != "supergroup" {
		t.Errorf("migrate from: %+v", m)
	}
}

func TestLateCallbackAnswerIsTooOld(t *testing.T) {
	t.Parallel()
	s := New()
	defer s.Close()
	s.SetCallbackAnswerLimit(time.Millisecond)
	late := s.PushCallback(7, 7, 1, "x")
	// The press must age past the limit before it is answered; the fake records its time.
	s.mu.Lock()
	s.cbPressed[late] = time.Now().Add(-time.Second)
	s.mu.Unlock()
	status, r := call(t, s, "answerCallbackQuery", map[string]any{"callback_query_id": late})
	if status != 400 || r.Description != "Bad Request: query is too old and response timeout expired or query ID is invalid" {
		t.Errorf("late answer: %d %q", status, r.Description)
	}
	s.SetCallbackAnswerLimit(0) // the default, seconds
	fresh := s.PushCallback(7, 7, 1, "y")
	if status, r := call(t, s, "answerCallbackQuery", map[string]any{"callback_query_id": fresh}); status != 200 {
		t.Errorf("prompt answer: %d %q", status, r.Description)
	}
}
