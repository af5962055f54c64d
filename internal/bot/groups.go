package bot

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// What the bot does with messages nobody typed to it as a request: service messages (members
// joining, pins, a group becoming a supergroup), forwards, edits, and a credential posted in a
// group.

// kindMigratedFrom is the record of a supergroup that was an allowed group: its value is the
// old chat ID, so the new chat is allowed exactly while the old one is configured.
const kindMigratedFrom = "migrated_from"

// migration is the stored form of kindMigratedFrom.
type migration struct {
	From int64 `json:"from"`
}

// chatAllowed reports whether a group may use the bot: configured in PLUMEBOT_ALLOWED_CHATS, or
// the supergroup an allowed group became. A store failure denies (logged).
func (b *Bot) chatAllowed(ctx context.Context, chatID int64) bool {
	if b.chats[chatID] {
		return true
	}
	from, err := b.migratedFrom(ctx, chatID)
	if err != nil {
		b.log.Warn("reading a group's migration failed; denying", "chat", chatID, "err", err)
		return false
	}
	return from != 0 && b.chats[from]
}

// migratedFrom is the group chatID was before it became a supergroup, 0 if none is recorded.
func (b *Bot) migratedFrom(ctx context.Context, chatID int64) (int64, error) {
	if v, ok := b.migrated.Load(chatID); ok {
		return v.(int64), nil
	}
	raw, err := b.st.GetUser(ctx, chatID, kindMigratedFrom)
	if isNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var m migration
	if err := json.Unmarshal(raw, &m); err != nil || m.From == 0 {
		return 0, nil
	}
	b.migrated.Store(chatID, m.From)
	return m.From, nil
}

// onService handles a service message: nothing is ever said, but a group that became a
// supergroup keeps its access under its new ID.
func (b *Bot) onService(ctx context.Context, r *request) {
	r.command, r.outcome, r.quiet = "service", "ignored", true
	switch u := r.u; {
	case u.MigrateToChatID != 0:
		b.migrate(ctx, u.ChatID, u.MigrateToChatID)
	case u.MigrateFromChatID != 0:
		b.migrate(ctx, u.MigrateFromChatID, u.ChatID)
	}
}

// migrate carries an allowed group's access over to the supergroup it became (Telegram sends
// the news twice, once in each chat: the second time finds it done), tells the operator to
// update PLUMEBOT_ALLOWED_CHATS, and tells the listener.
func (b *Bot) migrate(ctx context.Context, from, to int64) {
	if !b.chatAllowed(ctx, from) {
		return
	}
	if done, err := b.migratedFrom(ctx, to); err == nil && done == from || b.chats[to] {
		return
	}
	raw, _ := json.Marshal(migration{From: from})
	if err := b.st.PutUser(ctx, to, kindMigratedFrom, raw); err != nil {
		b.log.Error("a group became a supergroup but its access could not be saved: add the new chat ID to PLUMEBOT_ALLOWED_CHATS",
			"from_chat", from, "to_chat", to, "err", err)
		return
	}
	b.migrated.Store(to, from)
	b.log.Warn("an allowed group became a supergroup with a new chat ID: access carried over; replace the old ID with the new one in PLUMEBOT_ALLOWED_CHATS",
		"from_chat", from, "to_chat", to)
	if b.cfg.Events != nil {
		b.cfg.Events.ChatMigrated(from, to)
	}
}

// sameChat reports whether a button made in chat made may be pressed in chat pressed: the same
// chat, or the supergroup it became.
func (b *Bot) sameChat(ctx context.Context, made, pressed int64) bool {
	if made == pressed {
		return true
	}
	from, err := b.migratedFrom(ctx, pressed)
	return err == nil && from == made
}

// notTyped answers an edit or a forward, which is never run: in a private chat the user is told
// so (a forward always, an edit when it is one of our commands), in a group only when it is one
// of our commands; at most once per user per denyReplyEvery. A header in it is deleted.
func (b *Bot) notTyped(ctx context.Context, r *request) error {
	u := r.u
	r.command, r.outcome = "edited", "ignored"
	text := "✏️ I don't run edited messages: send the command again as a new message."
	if u.Forwarded {
		r.command = "forwarded"
		text = "↪️ I don't run forwarded messages: type the command yourself."
	}
	if private(u) && looksLikeHeader(written(u)) {
		return usageError(b.wrongPlaceForHeader(ctx, r) + " Send /auth to start it.")
	}
	if ourCommand(u) == "" && (u.Edited || !private(u)) {
		return nil
	}
	if b.onceEvery(ctx, r.command+":"+strconv.FormatInt(u.UserID, 10), denyReplyEvery) {
		b.say(ctx, u.ChatID, text)
	}
	return nil
}

// exposedInGroup deletes a credential posted in a group, whoever posted it and whatever the
// group, and says that it must be rotated: others have seen it. It reports whether it did.
func (b *Bot) exposedInGroup(ctx context.Context, r *request) bool {
	u := r.u
	if private(u) || u.Callback != nil || !carriesHeader(written(u)) {
		return false
	}
	r.command, r.outcome = "credential", "exposed"
	if b.deleteSecretMessage(ctx, r) {
		b.say(ctx, u.ChatID, "🔒 A message here contained a Plume credential (an Authorization header): I deleted it. "+
			"Others may have seen it: rotate the client secret in the Plume portal now, "+
			"then send the new one to me in a private chat with /auth.")
	} else {
		b.say(ctx, u.ChatID, "🔒 A message here contains a Plume credential (an Authorization header). "+
			"I could not delete it: delete it now (I need the admin right to delete messages), "+
			"and rotate the client secret in the Plume portal: others may have seen it.")
	}
	return true
}

// looksLikeHeader reports whether text, sent in a private chat, probably carries an
// Authorization header: it starts with "Basic …" (a header cut short or mistyped too: the
// sender's own message is deleted rather than a secret left), or it carries one anywhere.
func looksLikeHeader(text string) bool {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(text), " ")
	if ok && strings.EqualFold(scheme, "Basic") && strings.TrimSpace(rest) != "" {
		return true
	}
	return carriesHeader(text)
}

// carriesHeader reports whether text carries an Authorization header anywhere: "Basic" after
// "Authorization", or "Basic" followed by what looks like the base64 of
// clientId:clientSecret (a curl line, a pasted note, a header cut short). Words that merely
// follow "Basic" ("Basic troubleshooting first…") are not a credential: in a group, where the
// message is someone else's and the alarm goes to everyone, only a credential counts. Words
// are runs of base64's characters, so whatever separates them counts as a space: curl's
// "Authorization:Basic …", JSON's "Authorization":"Basic …", "authorization=Basic …".
func carriesHeader(text string) bool {
	fields := base64Word.FindAllString(text, -1)
	for i := 0; i+1 < len(fields); i++ {
		if !strings.EqualFold(strings.TrimRight(fields[i], "="), "basic") {
			continue
		}
		if i > 0 && strings.EqualFold(strings.TrimRight(fields[i-1], "="), "authorization") {
			return true
		}
		if credentialWord(fields[i+1]) {
			return true
		}
	}
	return false
}

// minCredentialWord is the shortest word after "Basic" taken for a credential. Plume's
// headers are far longer (the base64 of a 20-character client ID and a 40-character secret);
// shorter base64-looking words are mostly English.
const minCredentialWord = 12

// credentialWord reports whether w, the word after "Basic", looks like base64 credentials:
// only base64's characters (standard or URL-safe, with padding), at least minCredentialWord of
// them, and a digit, both cases, or a valid clientId:clientSecret when decoded. English words
// are one case, or capitalised and without digits.
func credentialWord(w string) bool {
	if len(w) < minCredentialWord {
		return false
	}
	var digit, upper, lower bool
	for i, c := range []byte(strings.TrimRight(w, "=")) {
		switch {
		case '0' <= c && c <= '9':
			digit = true
		case 'A' <= c && c <= 'Z':
			upper = upper || i > 0 // a capital first letter is English too
		case 'a' <= c && c <= 'z':
			lower = true
		case c == '+' || c == '/' || c == '-' || c == '_':
		default:
			return false
		}
	}
	return digit || upper && lower || validHeader("Basic "+w)
}

// written is what the sender wrote in a message: its text, or the caption of its photo or
// file. Only the text can be a command; both can carry a credential.
func written(u Update) string {
	if u.Text == "" {
		return u.Caption
	}
	return u.Text
}

// base64Word is a word of carriesHeader: base64's characters (standard or URL-safe), then its
// padding.
var base64Word = regexp.MustCompile(`[A-Za-z0-9+/_-]+=*`)
