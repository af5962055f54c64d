// Package bot is plumebot's chat core: commands, the /auth conversation, sessions and access
// control. It imports no Telegram library; adapters convert to and from the types below.
package bot

import "context"

// ChatType is the kind of chat an update came from.
type ChatType string

// Chat types as Telegram names them.
const (
	ChatPrivate    ChatType = "private"
	ChatGroup      ChatType = "group"
	ChatSupergroup ChatType = "supergroup"
	ChatChannel    ChatType = "channel"
)

// Update is one incoming event: a text message or a button press.
type Update struct {
	ID        int64 // adapter's update ID (0 if none)
	UserID    int64
	Username  string
	FirstName string
	ChatID    int64
	ChatType  ChatType
	MessageID int64  // the incoming message, or the message carrying the pressed button
	Text      string // message text ("" for a callback)
	Callback  *Callback
}

// Callback is a button press.
type Callback struct {
	ID   string // must be answered with Chat.AnswerCallback
	Data string // callback_data, ≤ 64 bytes
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
