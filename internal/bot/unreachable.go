package bot

import (
	"context"
	"errors"
	"sync/atomic"
)

// A chat Telegram refuses (ErrChatUnreachable: the user blocked the bot, the bot left the
// group…) is not our error: the update that met it sends nothing more (no apology that could
// not arrive either), logs no error, and its audit outcome is "unreachable". The listener hears
// of it, so features that write to chats unprompted can pause for that chat.

// delivery is one update's state of its chat, shared by every send of the update.
type delivery struct{ unreachable atomic.Bool }

type deliveryKey struct{}

func withDelivery(ctx context.Context) (context.Context, *delivery) {
	d := &delivery{}
	return context.WithValue(ctx, deliveryKey{}, d), d
}

// guardedChat is the Chat the core uses: it stops sending for an update once its chat was
// found unreachable.
type guardedChat struct {
	Chat
	b *Bot
}

func (g guardedChat) blocked(ctx context.Context) bool {
	d, _ := ctx.Value(deliveryKey{}).(*delivery)
	return d != nil && d.unreachable.Load()
}

// seen notes an unreachable chat: once per update, with the listener told.
func (g guardedChat) seen(ctx context.Context, chatID int64, err error) {
	if !errors.Is(err, ErrChatUnreachable) {
		return
	}
	if d, _ := ctx.Value(deliveryKey{}).(*delivery); d != nil && d.unreachable.Swap(true) {
		return
	}
	g.b.log.Info("Telegram refuses to deliver to this chat; nothing more is sent for this update", "chat", chatID, "err", err)
	// A group that became a supergroup (its migration message not seen yet, say on another
	// replica) keeps its access all the same: it moved, it is not out of reach.
	var me *ChatMigratedError
	if errors.As(err, &me) {
		g.b.migrate(ctx, chatID, me.NewChatID)
		return
	}
	if g.b.cfg.Events != nil {
		g.b.cfg.Events.ChatUnreachable(chatID)
	}
}

func (g guardedChat) Send(ctx context.Context, chatID int64, html string, kb Keyboard) (int64, error) {
	if g.blocked(ctx) {
		return 0, ErrChatUnreachable
	}
	id, err := g.Chat.Send(ctx, chatID, html, kb)
	g.seen(ctx, chatID, err)
	return id, err
}

func (g guardedChat) Edit(ctx context.Context, chatID, messageID int64, html string, kb Keyboard) error {
	if g.blocked(ctx) {
		return ErrChatUnreachable
	}
	err := g.Chat.Edit(ctx, chatID, messageID, html, kb)
	g.seen(ctx, chatID, err)
	return err
}

func (g guardedChat) Delete(ctx context.Context, chatID, messageID int64) error {
	if g.blocked(ctx) {
		return ErrChatUnreachable
	}
	err := g.Chat.Delete(ctx, chatID, messageID)
	g.seen(ctx, chatID, err)
	return err
}

func (g guardedChat) Typing(ctx context.Context, chatID int64) error {
	if g.blocked(ctx) {
		return ErrChatUnreachable
	}
	return g.Chat.Typing(ctx, chatID)
}

// sendFailed logs a failed send, unless its chat is unreachable (logged once, above).
func (b *Bot) sendFailed(chatID int64, err error) {
	if !errors.Is(err, ErrChatUnreachable) {
		b.log.Warn("send failed", "chat", chatID, "err", err)
	}
}
