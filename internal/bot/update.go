// Package bot is plumebot's chat core: commands, the /auth conversation, sessions and access
// control. It imports no Telegram library; adapters convert to and from the types below.
package bot

import (
	"context"
	"errors"
	"fmt"
)

// ChatType is the kind of chat an update came from.
type ChatType string

// Chat types as Telegram names them.
const (
	ChatPrivate    ChatType = "private"
	ChatGroup      ChatType = "group"
	ChatSupergroup ChatType = "supergroup"
	ChatChannel    ChatType = "channel"
)

// Update is one incoming event: a message (typed, forwarded or edited, or a service message
// such as a member joining) or a button press.
type Update struct {
	ID        int64 // adapter's update ID (0 if none)
	UserID    int64
	Username  string
	FirstName string
	ChatID    int64
	ChatType  ChatType
	MessageID int64  // the incoming message, or the message carrying the pressed button
	Text      string // message text ("" for a callback and a service message)
	// Caption is the caption of a photo, file or other media message (which has no Text). It
	// is never run as a command, but a credential in it is handled as one in a text.
	Caption  string
	Callback *Callback

	// Forwarded: the message is a copy of someone's message (Telegram's forward_origin), not
	// something the user typed: never run as a command.
	Forwarded bool
	// Edited: the user changed an earlier message (Telegram's edited_message); Text is the new
	// text. Edits are never run again.
	Edited bool
	// SenderChatID is set when the message was sent on behalf of a chat (Telegram's
	// sender_chat): an anonymous group admin (UserID is then GroupAnonymousBotID) or a channel.
	// Such a sender is not a person and is never allowed.
	SenderChatID int64
	// Service names a service message ("new_chat_members", "pinned_message",
	// "migrate_to_chat_id"…): something that happened in the chat, not words to the bot.
	Service string
	// MigrateToChatID (in the old group) and MigrateFromChatID (in the new supergroup) are set
	// when a group became a supergroup, which gives it a new chat ID.
	MigrateToChatID, MigrateFromChatID int64
	// ThreadID is the forum topic the message was posted in, or the pressed button's message
	// is in (message_thread_id), 0 if none.
	ThreadID int64
}

type threadKey struct{}

// ReplyThread is the forum topic the replies to the update being handled belong in (the topic
// it was posted in), 0 for none. The core puts it in the context of every Chat call it makes
// for the update; an adapter that knows topics sends there (without it, a reply to a command
// in a topic would land in the forum's General topic).
func ReplyThread(ctx context.Context) int64 {
	id, _ := ctx.Value(threadKey{}).(int64)
	return id
}

func withReplyThread(ctx context.Context, threadID int64) context.Context {
	if threadID == 0 {
		return ctx
	}
	return context.WithValue(ctx, threadKey{}, threadID)
}

type replyKey struct{}

// ReplyTo is the message a message sent with this context answers (Telegram's
// reply_parameters), 0 for none: the watcher's alerts reply to their incident's first alert.
// An adapter sends it as a plain message when that message is gone.
func ReplyTo(ctx context.Context) int64 {
	id, _ := ctx.Value(replyKey{}).(int64)
	return id
}

// WithReply makes the messages sent with ctx go into the forum topic threadID and answer
// messageID (0: no topic, no reply), as an alert does; adapters read ReplyThread and ReplyTo.
func WithReply(ctx context.Context, threadID, messageID int64) context.Context {
	ctx = withReplyThread(ctx, threadID)
	if messageID == 0 {
		return ctx
	}
	return context.WithValue(ctx, replyKey{}, messageID)
}

// GroupAnonymousBotID is the user Telegram names as the sender of an anonymous group admin's
// messages (@GroupAnonymousBot): shared by every such admin, so never a person to allow.
const GroupAnonymousBotID int64 = 1087968824

// Callback is a button press.
type Callback struct {
	ID   string // must be answered with Chat.AnswerCallback
	Data string // callback_data, ≤ 64 bytes
	// Answered: the adapter already answered the press (see Bot.Acknowledge); the core must not
	// answer it again.
	Answered bool
}

// Button is an inline keyboard button; Data is its callback_data (≤ 64 bytes).
type Button struct {
	Text string
	Data string
}

// Keyboard is rows of inline buttons; nil means none.
type Keyboard [][]Button

// Chat is what the core needs from a messenger. Text is Telegram HTML that already fits
// Telegram's limits. Implementations keep per-chat order and pace sends.
type Chat interface {
	Send(ctx context.Context, chatID int64, html string, kb Keyboard) (messageID int64, err error)
	// Edit replaces a message's text and keyboard; "not modified" is success.
	Edit(ctx context.Context, chatID, messageID int64, html string, kb Keyboard) error
	// Delete removes a message; it fails for messages older than 48 h.
	Delete(ctx context.Context, chatID, messageID int64) error
	// AnswerCallback answers a button press (text may be empty; shown as a toast).
	AnswerCallback(ctx context.Context, callbackID, text string) error
	// Typing shows the "typing…" indicator.
	Typing(ctx context.Context, chatID int64) error
}

// ErrChatUnreachable is what a Chat's methods return (wrapped) when the messenger refuses to
// deliver to a chat for a lasting reason: the user blocked the bot or deleted their account,
// the bot was removed from the group or lost the right to write there, or the chat no longer
// exists. It is not a failure of ours: sending again will not help, so the core neither
// retries nor apologises in that chat, and pauses what it would send there later.
// Test with errors.Is; a group that became a supergroup is a *ChatMigratedError, which is
// this error too.
var ErrChatUnreachable = errors.New("chat unreachable: the messenger refuses to deliver to it")

// ChatMigratedError is ErrChatUnreachable for a group upgraded to a supergroup: the chat lives
// on under NewChatID (Telegram's migrate_to_chat_id), where messages must now go. Read it
// with errors.As.
type ChatMigratedError struct {
	NewChatID int64
}

func (e *ChatMigratedError) Error() string {
	return fmt.Sprintf("chat unreachable: the group was upgraded to a supergroup, now chat %d", e.NewChatID)
}

// Unwrap makes errors.Is(err, ErrChatUnreachable) hold.
func (e *ChatMigratedError) Unwrap() error { return ErrChatUnreachable }
