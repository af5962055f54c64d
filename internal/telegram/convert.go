package telegram

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"plumebot/internal/bot"
)

// convert turns a library update into the core's; ok is false for kinds the bot ignores. The
// core decides what to do with forwards, edits, service messages and anonymous senders: convert
// only says which they are.
func (a *Adapter) convert(up *gotgbot.Update) (u bot.Update, kind string, ok bool) {
	switch {
	case up.Message != nil:
		return a.convertMessage(up.UpdateId, up.Message, false)
	case up.EditedMessage != nil:
		return a.convertMessage(up.UpdateId, up.EditedMessage, true)
	case up.CallbackQuery != nil:
		cq := up.CallbackQuery
		if cq.Message == nil { // inline-mode message: not something this bot sends
			return u, "callback", false
		}
		chat := cq.Message.GetChat()
		u := bot.Update{
			ID: up.UpdateId, UserID: cq.From.Id, Username: cq.From.Username, FirstName: cq.From.FirstName,
			ChatID: chat.Id, ChatType: bot.ChatType(chat.Type), MessageID: cq.Message.GetMessageId(),
			Callback: &bot.Callback{ID: cq.Id, Data: cq.Data},
		}
		// A view a press brings goes to the forum topic of the pressed message, as the reply
		// to a command does.
		if m, ok := cq.Message.(gotgbot.Message); ok && m.IsTopicMessage {
			u.ThreadID = m.MessageThreadId
		}
		return u, "callback", true
	}
	return u, "other", false
}

// convertMessage converts a message or an edited message. A command addressed to another bot
// is dropped here; everything else goes to the core, service messages included (the core
// carries an allowed group over to its supergroup).
func (a *Adapter) convertMessage(updateID int64, m *gotgbot.Message, edited bool) (bot.Update, string, bool) {
	if m.From == nil { // channel posts: the bot is not in channels
		return bot.Update{}, "other", false
	}
	text, mine := normalizeCommand(m.Text, a.me.Load().(string))
	if !mine {
		return bot.Update{}, "other", false
	}
	u := bot.Update{
		ID: updateID, UserID: m.From.Id, Username: m.From.Username, FirstName: m.From.FirstName,
		ChatID: m.Chat.Id, ChatType: bot.ChatType(m.Chat.Type), MessageID: m.MessageId, Text: text, Caption: m.Caption,
		Edited:            edited,
		Forwarded:         m.ForwardOrigin != nil,
		Service:           serviceKind(m),
		MigrateToChatID:   m.MigrateToChatId,
		MigrateFromChatID: m.MigrateFromChatId,
	}
	if m.SenderChat != nil {
		u.SenderChatID = m.SenderChat.Id
	}
	if m.IsTopicMessage {
		u.ThreadID = m.MessageThreadId
	}
	if u.Service != "" {
		return u, "other", true
	}
	return u, "message", true
}

// serviceKind names a service message by the field that carries it, "" for a message someone
// wrote. Kinds the list does not name are service messages too when they carry no text, caption
// or media.
func serviceKind(m *gotgbot.Message) string {
	switch {
	case len(m.NewChatMembers) > 0:
		return "new_chat_members"
	case m.LeftChatMember != nil:
		return "left_chat_member"
	case m.NewChatTitle != "":
		return "new_chat_title"
	case len(m.NewChatPhoto) > 0 || m.DeleteChatPhoto:
		return "chat_photo"
	case m.PinnedMessage != nil:
		return "pinned_message"
	case m.MigrateToChatId != 0:
		return "migrate_to_chat_id"
	case m.MigrateFromChatId != 0:
		return "migrate_from_chat_id"
	case m.GroupChatCreated || m.SupergroupChatCreated || m.ChannelChatCreated:
		return "chat_created"
	case m.Text != "" || m.Caption != "" || hasMedia(m):
		return ""
	}
	return "other_service"
}

func hasMedia(m *gotgbot.Message) bool {
	return m.Animation != nil || m.Audio != nil || m.Document != nil || len(m.Photo) > 0 || m.Sticker != nil ||
		m.Video != nil || m.VideoNote != nil || m.Voice != nil || m.Contact != nil || m.Location != nil ||
		m.Venue != nil || m.Poll != nil || m.Dice != nil || m.Story != nil
}

// normalizeCommand strips "@botname" from a leading command word. A command addressed to
// another bot is not ours; while our own name is unknown (getMe has not succeeded yet) no
// addressed command can be told apart from another bot's, so none is ours. The command word is
// found as the core finds it (after leading spaces, up to a space, of any kind), or a command
// it runs could slip past this check.
func normalizeCommand(text, me string) (string, bool) {
	start := len(text) - len(strings.TrimLeftFunc(text, unicode.IsSpace))
	if !strings.HasPrefix(text[start:], "/") {
		return text, true
	}
	end := strings.IndexFunc(text[start:], unicode.IsSpace)
	if end < 0 {
		end = len(text)
	} else {
		end += start
	}
	at := strings.IndexByte(text[start:end], '@')
	if at < 0 {
		return text, true
	}
	at += start
	if me == "" || !strings.EqualFold(text[at+1:end], me) {
		return "", false
	}
	return text[:at] + text[end:], true
}

// LearnName calls getMe until it succeeds or ctx ends, so that a getMe that failed at start
// does not leave the bot unable to recognise "/command@ourname" for good. It waits retryMin
// after a failure, doubling to retryMax.
func (a *Adapter) LearnName(ctx context.Context, retryMin, retryMax time.Duration) (string, error) {
	wait := retryMin
	for {
		name, err := a.Me(ctx)
		if err == nil {
			return name, nil
		}
		a.log.Warn("telegram getMe failed; retrying (until it succeeds, commands addressed to a bot by name are ignored)",
			"err", err, "retry_in", wait)
		if err := sleepCtx(ctx, wait); err != nil {
			return "", err
		}
		wait = min(2*wait, retryMax)
	}
}

// Acknowledger is an optional side of a Handler: it answers a button press at intake, before
// the update waits behind its user's earlier ones (Telegram rejects an answer that comes more
// than a few seconds after the press, and the client shows a spinner until then). Acknowledge
// must decide quickly (no Plume) and send the answer in the background.
type Acknowledger interface {
	Acknowledge(ctx context.Context, u bot.Update)
}

// acknowledge answers a press at intake, when h can, and tells the core it was answered. It
// runs before the update is queued, so the answer sees the state before the handler changes it.
func acknowledge(ctx context.Context, u *bot.Update, h Handler) {
	ack, ok := h.(Acknowledger)
	if !ok || u.Callback == nil {
		return
	}
	u.Callback.Answered = true
	ack.Acknowledge(ctx, *u)
}
