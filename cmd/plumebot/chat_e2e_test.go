package main

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"plumebot/internal/telegram/tgtest"
)

// groupMessages counts the bot's messages in chat that contain sub.
func countText(tg *tgtest.Server, chat int64, sub string) int {
	n := 0
	for _, m := range tg.Messages(chat) {
		if !m.Deleted && strings.Contains(m.Text, sub) {
			n++
		}
	}
	return n
}

// In a group the bot speaks only when spoken to, even when getMe failed at start; forwards and
// edits are not run; a pasted credential is deleted; a group that becomes a supergroup keeps
// its access. Through the real binary, long polling the fake Bot API.
func TestServeInGroups(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const alice, bob, stranger = 515001, 515002, 777002
	const group, super = -515, -100515
	f.tg.Fault("getMe", tgtest.Fault{Status: 502}) // the first getMe fails: our name is unknown
	p := start(t, f.env(merge(f.operator(), map[string]string{
		"PLUMEBOT_ALLOWED_USERS": strconv.Itoa(alice) + "," + strconv.Itoa(bob),
		"PLUMEBOT_ALLOWED_CHATS": strconv.Itoa(group),
		"PLUMEBOT_SECRET_KEY":    newKey(t),
		"PLUMEBOT_DATA_DIR":      t.TempDir(),
	})), nil, "serve")
	p.waitLog("getMe failed; is TELEGRAM_BOT_TOKEN right? retrying in the background")
	ids := f.ids(t, "healthy")
	const status = "Service level"

	// None of this is for the bot: another bot's command (with our name unknown no addressed
	// command can be told apart), an unknown command, chatter, service messages, a stranger.
	f.tg.PushMessage(alice, group, "/status@SomeOtherBot "+ids)
	f.tg.PushMessage(alice, group, "/weather")
	f.tg.PushMessage(alice, group, "nice weather")
	f.tg.PushMembersJoined(group, stranger, stranger)
	f.tg.PushMessage(stranger, group, "hi all")
	f.tg.PushMessage(stranger, group, "/weather")
	f.tg.PushPinned(group, alice, 1)
	f.tg.PushTitleChanged(group, alice, "NOC")
	// Ours: answered; a stranger's: refused once. Each user's updates are handled in order, so
	// once these are answered everything above was handled.
	f.tg.PushMessage(alice, group, "/status "+ids)
	f.tg.PushMessage(stranger, group, "/status "+ids)
	f.tg.PushMessage(stranger, group, "/help")
	f.tg.PushMessage(stranger, group, "/status "+ids)
	waitText(t, f.tg, group, status)
	waitText(t, f.tg, group, "not enabled here")
	f.tg.PushMemberLeft(group, stranger)
	f.tg.PushMessage(stranger, stranger, "/start") // after the group's updates, in the stranger's order
	waitText(t, f.tg, stranger, "not allowed")
	if n, all := countText(f.tg, group, status), len(f.tg.Messages(group)); n != 1 || all != 2 {
		t.Fatalf("group: %d status and %d messages in all, want 1 and 2 (the status and one refusal)", n, all)
	}

	// Once getMe succeeds (retried in the background), our name works.
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := f.tg.WaitUntil(ctx, func(tg *tgtest.Server) bool {
		for _, c := range tg.Calls("getMe") {
			if c.Status == 200 {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("getMe was not retried: %v", err)
	}
	f.tg.PushMessage(alice, group, "/status@"+strings.ToUpper(tgtest.BotUsername)+" "+ids)
	waitMessage(t, f.tg, group, "with a second status", func(tgtest.Message) bool { return countText(f.tg, group, status) == 2 })

	// An anonymous admin is not a person: told to stop being anonymous.
	f.tg.PushAnonymousAdmin(group, "/status "+ids)
	waitText(t, f.tg, group, "Remain anonymous")

	// A credential pasted into a group is deleted where the bot may delete messages, and the
	// group is told to rotate it; where it may not, the group is asked to delete it.
	f.tg.GrantDelete(group)
	leak := f.tg.PushMessage(bob, group, "the header is Authorization: "+f.info.AuthHeader)
	waitText(t, f.tg, group, "rotate the client secret")
	if !f.tg.IsDeleted(group, leak) {
		t.Error("the message with the credential was not deleted")
	}
	const noRight = -516
	kept := f.tg.PushMessage(bob, noRight, "the header is Authorization: "+f.info.AuthHeader)
	waitText(t, f.tg, noRight, "I could not delete it: delete it now")
	if f.tg.IsDeleted(noRight, kept) {
		t.Error("deleted in a group where the bot has no right to")
	}

	// Forwards and edits are never run.
	fwd := f.tg.PushShaped(alice, alice, "/status "+ids, tgtest.Shape{ForwardFrom: bob})
	waitText(t, f.tg, alice, "forwarded")
	f.tg.PushEdit(alice, alice, fwd, "/health "+ids)
	waitText(t, f.tg, alice, "edited")
	if n := countText(f.tg, alice, status) + countText(f.tg, alice, "Checked"); n != 0 {
		t.Errorf("a forward or an edit was run (%d views)", n)
	}

	// The group becomes a supergroup: its access follows, the operator is told.
	f.tg.PushMigration(alice, group, super)
	warn := p.waitLog("an allowed group became a supergroup with a new chat ID: access carried over; replace the old ID with the new one in PLUMEBOT_ALLOWED_CHATS")
	if warn["from_chat"] != float64(group) || warn["to_chat"] != float64(super) {
		t.Errorf("migration warning names %v → %v, want %d → %d", warn["from_chat"], warn["to_chat"], group, super)
	}
	f.tg.PushMessage(alice, super, "/status "+ids)
	waitText(t, f.tg, super, status)

	p.stop()
	if n := len(f.tg.Messages(super)); n != 1 {
		t.Errorf("%d messages in the supergroup, want the status only (no answer to the migration)", n)
	}
	for _, chat := range []int64{group, super, alice, stranger, noRight} {
		for _, m := range f.tg.Messages(chat) {
			assertNoSecret(t, "a bot message", []byte(m.Text))
		}
	}
	assertNoSecret(t, "the log", []byte(p.Stderr()))
	if strings.Contains(p.Stderr(), `"level":"ERROR"`) {
		t.Errorf("errors logged:\n%s", p.Stderr())
	}
}

// In a forum, what a button press brings (a new view) comes in the topic where the button
// is, not in the forum's General topic, like the answer to the command itself.
func TestServeForumTopicPresses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const alice, forum, topic = 525001, -100525, 77
	p := start(t, f.env(merge(f.operator(), map[string]string{
		"PLUMEBOT_ALLOWED_USERS": strconv.Itoa(alice),
		"PLUMEBOT_ALLOWED_CHATS": strconv.Itoa(forum),
		"PLUMEBOT_SECRET_KEY":    newKey(t),
		"PLUMEBOT_DATA_DIR":      t.TempDir(),
	})), nil, "serve")
	f.tg.PushShaped(alice, forum, "/status "+f.ids(t, "healthy"), tgtest.Shape{ThreadID: topic})
	status := waitText(t, f.tg, forum, "Service level")
	f.tg.PushCallback(alice, forum, status.ID, button(t, status, "Nodes"))
	nodes := waitText(t, f.tg, forum, "Pods")
	p.stop()
	for _, m := range []tgtest.Message{status, nodes} {
		if m.ThreadID != topic {
			t.Errorf("message %d (%.20q…) sent to topic %d, want %d", m.ID, m.Text, m.ThreadID, topic)
		}
	}
}

// A credential in the caption of a photo (a screenshot of a curl line, say) is a credential
// posted all the same: deleted in a group where the bot may, and in a private chat.
func TestServeCredentialInCaption(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const alice, group = 535001, -535
	p := start(t, f.env(merge(f.operator(), map[string]string{
		"PLUMEBOT_ALLOWED_USERS": strconv.Itoa(alice),
		"PLUMEBOT_SECRET_KEY":    newKey(t),
		"PLUMEBOT_DATA_DIR":      t.TempDir(),
	})), nil, "serve")
	f.tg.GrantDelete(group)
	photo := tgtest.Shape{Photo: true}
	inGroup := f.tg.PushShaped(alice, group, "curl -H 'Authorization: "+f.info.AuthHeader+"'", photo)
	inPrivate := f.tg.PushShaped(alice, alice, f.info.AuthHeader, photo)
	waitText(t, f.tg, group, "rotate the client secret")
	waitText(t, f.tg, alice, "looks like an Authorization header")
	p.stop()
	if !f.tg.IsDeleted(group, inGroup) || !f.tg.IsDeleted(alice, inPrivate) {
		t.Errorf("a caption with the credential was not deleted (group %v, private %v)",
			f.tg.IsDeleted(group, inGroup), f.tg.IsDeleted(alice, inPrivate))
	}
}
