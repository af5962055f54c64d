package telegram

import (
	"strings"

	"github.com/PaulSonOfLars/gotgbot/v2"

	"plumebot/internal/bot"
)

// convert turns a library update into the core's; ok is false for kinds the bot ignores.
func (a *Adapter) convert(up *gotgbot.Update) (u bot.Update, kind string, ok bool) {
	switch {
	case up.Message != nil && up.Message.From != nil:
		m := up.Message
		text, mine := normalizeCommand(m.Text, a.me.Load().(string))
		if !mine {
			return u, "other", false
		}
		return bot.Update{
			ID: up.UpdateId, UserID: m.From.Id, Username: m.From.Username, FirstName: m.From.FirstName,
			ChatID: m.Chat.Id, ChatType: bot.ChatType(m.Chat.Type), MessageID: m.MessageId, Text: text,
		}, "message", true
	case up.CallbackQuery != nil:
		cq := up.CallbackQuery
		if cq.Message == nil { // inline-mode message: not something this bot sends
			return u, "callback", false
		}
		chat := cq.Message.GetChat()
		return bot.Update{
			ID: up.UpdateId, UserID: cq.From.Id, Username: cq.From.Username, FirstName: cq.From.FirstName,
			ChatID: chat.Id, ChatType: bot.ChatType(chat.Type), MessageID: cq.Message.GetMessageId(),
			Callback: &bot.Callback{ID: cq.Id, Data: cq.Data},
		}, "callback", true
	}
	return u, "other", false
}

// normalizeCommand strips "@botname" from a leading command word. A command addressed to
// another bot (when ours is known) is not ours.
func normalizeCommand(text, me string) (string, bool) {
	if !strings.HasPrefix(text, "/") {
		return text, true
	}
	end := strings.IndexAny(text, " \t\n")
	if end < 0 {
		end = len(text)
	}
	at := strings.IndexByte(text[:end], '@')
	if at < 0 {
		return text, true
	}
	if me != "" && !strings.EqualFold(text[at+1:end], me) {
		return "", false
	}
	return text[:at] + text[end:], true
}
