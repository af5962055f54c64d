package bot

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Steps of updates that are not typed text.

// forwards is user forwarding text (written by someone) into chat.
func forwards(user, chat int64, text string) step {
	return saysIn(chat, user, text).shaped("forwarded", func(u *Update) { u.Forwarded = true })
}

// edits is user changing an earlier message in chat to text.
func edits(user, chat int64, text string) step {
	return saysIn(chat, user, text).shaped("edited", func(u *Update) { u.Edited = true })
}

// anonymous is an anonymous admin of group writing text.
func anonymous(group int64, text string) step {
	return saysIn(group, GroupAnonymousBotID, text).shaped("sent as the group", func(u *Update) { u.SenderChatID = group })
}

// service is a service message in chat, caused by user.
func service(chat, user int64, kind string, f func(u *Update)) step {
	return saysIn(chat, user, "").shaped(kind, func(u *Update) {
		u.Service = kind
		if f != nil {
			f(u)
		}
	})
}

// migrates is group old becoming supergroup new: the two service messages Telegram sends.
func migrates(user, old, new int64) []step {
	return []step{
		service(old, user, "migrate_to_chat_id", func(u *Update) { u.MigrateToChatID, u.ChatType = new, ChatGroup }),
		service(new, user, "migrate_from_chat_id", func(u *Update) { u.MigrateFromChatID = old }),
	}
}

const otherGroup int64 = -2002

// In groups the bot speaks only when spoken to: our own commands are answered (or, for someone
// not allowed, refused once), everything else is ignored in silence.
func TestGroups(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{{name: "groups", steps: []step{
		saysIn(group, alice, "/weather"),                  // another bot's command
		saysIn(group, alice, "/status {healthy}"),         // ours: answered
		saysIn(group, stranger, "hello everyone"),         // chatter of someone not allowed
		service(group, stranger, "new_chat_members", nil), // joins, pins, title changes
		service(group, alice, "pinned_message", nil),
		service(group, alice, "new_chat_title", nil),
		saysIn(group, stranger, "/weather"),
		saysIn(group, stranger, "/status {healthy}"), // ours, not allowed: told once
		saysIn(group, stranger, "/help"),             // … and not again
		saysIn(otherGroup, stranger, "/help"),        // … nor in another group
		saysIn(otherGroup, alice, "/help"),           // an allowed user in a group that is not
		anonymous(group, "/status {healthy}"),        // not a person: told to stop being anonymous
		anonymous(group, "/status {healthy}"),
		anonymous(group, "hello"),
	}}})
}

// A forward is someone else's words and an edit is not a new request: neither is run.
func TestForwardsAndEditsAreNotRun(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{{name: "forwards_and_edits", steps: []step{
		forwards(alice, alice, "/status {healthy}"), // said once
		forwards(alice, alice, "/health {healthy}"),
		forwards(bob, group, "hello"),
		forwards(bob, group, "/status {healthy}"),
		edits(alice, alice, "/status {healthy}"),
		edits(alice, alice, "/status {degraded}"),
		edits(bob, group, "typo fixed"),
		forwards(bob, bob, "{header}"),                    // a credential is deleted however it arrives
		forwards(stranger, stranger, "/status {healthy}"), // access is checked for every kind of update
		edits(stranger, stranger, "/status {healthy}"),
		edits(stranger, group, "/status {healthy}"),
		says(alice, "/status"), // nothing above was remembered as the last location
	}}})
}

// A credential posted in a group is deleted and the group is told to rotate it, whoever posted
// it and whatever the group; it is never echoed.
func TestCredentialInGroup(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{{name: "credential_in_group", steps: []step{
		saysIn(group, bob, "here it is: Authorization: Basic {b64}"),
		saysIn(otherGroup, stranger, "curl -H 'Authorization: Basic {b64}' https://x"),
		saysIn(group, bob, "{header}"),
		meanwhile("the bot may not delete messages in the group", func(e *env) { e.chat.failDel = true }),
		saysIn(group, alice, "Basic {b64}"),
		edits(alice, group, "oops Basic {b64}"),
	}}})
}

// In a group, words that merely start with "Basic" are not a credential: nothing is deleted,
// nobody is told to rotate a secret. What looks like one (a long base64 word after "Basic", even one
// cut short) still is.
func TestBasicIsNotAlwaysACredential(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{{name: "basic_words", steps: []step{
		saysIn(group, bob, "Basic troubleshooting first: reboot the gateway, then check the pods"),
		saysIn(group, alice, "basic service level here, not full"),
		saysIn(group, bob, "Basic {b64cut}"), // a header missing its end is still a secret
	}}})
}

// recEvents records what the core tells a listener about chats.
type recEvents struct {
	mu     sync.Mutex
	events []string
}

func (r *recEvents) ChatUnreachable(chatID int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, "unreachable "+itoa(chatID))
}

func (r *recEvents) ChatMigrated(from, to int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, "migrated "+itoa(from)+" → "+itoa(to))
}

func (r *recEvents) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.events, "; ")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

const newGroup int64 = -1009999

// A group that becomes a supergroup gets a new chat ID: it keeps its access (stored, so a
// restart keeps it too), its buttons keep working, and the operator is told to update the
// configuration. The migration messages get no answer.
func TestGroupMigration(t *testing.T) {
	t.Parallel()
	ev := &recEvents{}
	steps := []step{
		saysIn(group, alice, "/status {healthy}"),
		saysIn(newGroup, bob, "/status {healthy}"), // not allowed yet
	}
	steps = append(steps, migrates(alice, group, newGroup)...)
	steps = append(steps,
		saysIn(newGroup, alice, "/status {healthy}"),
		presses(alice, "📡 Nodes").in(newGroup).from(group), // a button made before the migration
		meanwhile("the bot restarts on the same store", func(e *env) {
			b, err := New(e.bot.cfg, e.st, e.bot.chat.(guardedChat).Chat)
			if err != nil {
				e.t.Fatal(err)
			}
			e.bot = b
		}),
		saysIn(newGroup, alice, "/status"),
	)
	steps = append(steps, migrates(alice, otherGroup, -1008888)...) // a group that was not allowed
	steps = append(steps, verify(func(e *env) {
		if got, want := ev.String(), "migrated -1001 → -1009999"; got != want {
			e.t.Errorf("events: %q, want %q", got, want)
		}
	}))
	runScenarios(t, []scenario{
		{name: "group_migration", opt: envOpt{cfg: func(c *Config) { c.Events = ev }}, steps: steps},
		// Telegram refusing a send with the new ID carries the access over too (the migration
		// message may have gone to another replica, or been missed).
		{name: "group_migration_learnt_from_a_send", steps: []step{
			meanwhile("the group became a supergroup; sends to the old ID are refused", func(e *env) {
				e.chat.mu.Lock()
				e.chat.movedTo[group] = newGroup
				e.chat.mu.Unlock()
			}),
			saysIn(group, alice, "/status {healthy}"),
			saysIn(newGroup, alice, "/status"),
		}},
	})
}

// A chat Telegram refuses (the user blocked the bot) gets one attempt and nothing more: no
// apology, no error in the log, an audit outcome of its own, and the listener is told.
func TestUnreachableChat(t *testing.T) {
	t.Parallel()
	ev := &recEvents{}
	refused := func(chat int64, what string) step {
		return meanwhile(what, func(e *env) {
			e.chat.mu.Lock()
			e.chat.gone[chat] = true
			e.chat.mu.Unlock()
		})
	}
	gone := refused(alice, "alice blocks the bot")
	runScenarios(t, []scenario{
		{name: "unreachable", opt: envOpt{cfg: func(c *Config) { c.Events = ev }}, steps: []step{
			says(alice, "/health {healthy}"),
			gone,
			says(alice, "/health"),
			says(alice, "/nodes {foreign}"), // an error reply would be a second send
			verify(func(e *env) {
				if got, want := ev.String(), "unreachable 101; unreachable 101"; got != want {
					e.t.Errorf("events: %q, want %q", got, want)
				}
			}),
		}},
		{name: "unreachable_placeholder", opt: envOpt{cfg: func(c *Config) { c.ProgressDelay = -1 }}, steps: []step{
			gone,
			says(alice, "/health {healthy}"), // the placeholder fails: nothing else is tried
		}},
		// A credential posted in a group the bot was removed from meanwhile: the delete is
		// refused like a send, and no warning is logged for it either.
		{name: "unreachable_credential", steps: []step{
			refused(group, "the bot is removed from the group"),
			saysIn(group, bob, "Authorization: {header}"),
		}},
	})
}

// A "⏳ Checking…" placeholder whose edit fails never stays behind: the result goes out as a
// new message and the placeholder is deleted.
func TestPlaceholderNeverStaysBehind(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{{name: "placeholder_edit_fails", opt: envOpt{cfg: func(c *Config) { c.ProgressDelay = -1 }},
		steps: []step{
			meanwhile("editing messages fails", func(e *env) { e.chat.failEdit = true }),
			says(alice, "/status {healthy}"),
			says(alice, "/nodes {foreign}"), // an error reply, too
		}}})
}

// The press of a button is answered before any Plume request is made.
func TestPressAnsweredBeforePlume(t *testing.T) {
	t.Parallel()
	var atAnswer []int
	var e *env
	e = newEnv(t, envOpt{ownSim: true, wrap: func(c *memChat) Chat {
		return answerSpy{Chat: c, on: func() { atAnswer = append(atAnswer, e.sim.Requests("")) }}
	}})
	e.say(alice, "/status "+e.loc("healthy").CustomerID+" "+e.loc("healthy").LocationID)
	before := e.sim.Requests("")
	msgID, data := e.findButton(alice, "🕘 History")
	e.press(alice, alice, msgID, data)
	if !slices.Equal(atAnswer, []int{before}) {
		t.Errorf("Plume requests when the press was answered: %v, want [%d] (none since the press)", atAnswer, before)
	}
	if e.sim.Requests("onlineStats") != 1 {
		t.Errorf("the history was not fetched after the answer")
	}
}

type answerSpy struct {
	Chat
	on func()
}

func (a answerSpy) AnswerCallback(ctx context.Context, id, text string) error {
	a.on()
	return a.Chat.AnswerCallback(ctx, id, text)
}
