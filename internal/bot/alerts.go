package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"plumebot/internal/plume"
	"plumebot/internal/render"
	"plumebot/internal/watch"
)

// The watcher's alerts: the Bot is its Notifier (render, buttons, send into the chat and
// topic as a reply to the incident's first alert) and its CredentialSource (the same rule as
// commands). An alert's buttons carry the watch's opaque ID and the incident in their data
// ("w:" buttons): they work as long as the watch exists, days later, and each press is
// checked against the chat it comes from, so a button copied to another chat does nothing.

// Operations of "w:" buttons: "w:<op>:<watch ID>[:<n>]"; ✅ Ack adds the alert's number
// ("w:a:<watch ID>:<incident>:<seq>"), to edit that alert.
const (
	watchPrefix = "w:"
	opHealth    = "h" // the live /health report of the watched location
	opAck       = "a" // n: the incident
	opSnooze    = "z" // n: hours
	opUnwatch   = "u" // from /unwatch's list
)

// alertRecordTTL: an acknowledged alert is edited to say so when its record is this young.
const alertRecordTTL = 7 * 24 * time.Hour

var snoozeHours = []int64{1, 4, 24}

func watchData(op, id string, n int64) string {
	d := watchPrefix + op + ":" + id
	if n != 0 {
		d += ":" + strconv.FormatInt(n, 10)
	}
	return d
}

// alertKeyboard: 🔍 Health and ✅ Ack (while the incident is open and nobody took it), then the
// snoozes; a paused watch's notice has none.
func alertKeyboard(a watch.Alert) Keyboard {
	if a.Kind == watch.KindPaused {
		return nil
	}
	row := []Button{{Text: "🔍 Health", Data: watchData(opHealth, a.WatchID, 0)}}
	if a.Incident != 0 && !a.ClosesIncident && a.AckedBy == nil {
		row = append(row, Button{Text: "✅ Ack", Data: watchData(opAck, a.WatchID, a.Incident) + ":" + strconv.FormatInt(a.Seq, 10)})
	}
	kb := Keyboard{row}
	if a.Kind.Bad() {
		var snooze []Button
		for _, h := range snoozeHours {
			snooze = append(snooze, Button{Text: fmt.Sprintf("😴 %d h", h), Data: watchData(opSnooze, a.WatchID, h)})
		}
		kb = append(kb, snooze)
	}
	return kb
}

// sentAlert is an alert as sent, kept so that an ✅ Ack can re-render it: the envelope
// fields of watch.Alert are not in its JSON.
type sentAlert struct {
	Alert      watch.Alert `json:"alert"`
	WatchID    string      `json:"watch"`
	ChatID     int64       `json:"chat"`
	CustomerID string      `json:"customer"`
	LocationID string      `json:"location"`
	Name       string      `json:"name"`
	TimeZone   string      `json:"tz,omitempty"`
	Redelivery bool        `json:"redelivery,omitempty"`
}

// alertKey names a kept alert: its watch and its number there (Alert.Seq).
func alertKey(watchID string, seq int64) string {
	return "alert:" + watchID + ":" + strconv.FormatInt(seq, 10)
}

// Notify implements watch.Notifier: it sends a into its chat and topic, as a reply to the
// incident's first alert, and returns the message ID. A chat Telegram refuses for good
// wraps watch.ErrChatUnreachable.
func (b *Bot) Notify(ctx context.Context, a watch.Alert) (int64, error) {
	kb := alertKeyboard(a)
	if len(kb) > 0 && len(kb[0]) > 1 {
		// It has ✅ Ack: kept (sealed: it names the customer) for the edit that says who, before
		// it is sent, so that a press right after it finds it.
		raw, _ := json.Marshal(sentAlert{Alert: a, WatchID: a.WatchID, ChatID: a.ChatID, CustomerID: a.CustomerID,
			LocationID: a.LocationID, Name: a.Name, TimeZone: a.TimeZone, Redelivery: a.Redelivery})
		if err := b.st.PutSealedTemp(ctx, a.ChatID, alertKey(a.WatchID, a.Seq), raw, alertRecordTTL); err != nil {
			b.log.Warn("keep an alert for its acknowledgement", "chat", a.ChatID, "err", err)
		}
	}
	// Not through the core's guard: that is for updates; the watcher handles a refused chat.
	id, err := b.direct().Send(WithReply(ctx, a.ThreadID, a.ReplyTo), a.ChatID, render.Alert(a), kb)
	var moved *ChatMigratedError
	switch {
	case errors.As(err, &moved):
		// Not lost: the group's access moves to its supergroup, and the watcher moves its
		// watches and sends the alert there.
		b.migrate(ctx, a.ChatID, moved.NewChatID)
		return 0, &watch.ChatMovedError{To: moved.NewChatID}
	case errors.Is(err, ErrChatUnreachable):
		return 0, fmt.Errorf("%w: %w", watch.ErrChatUnreachable, err)
	case err != nil:
		return 0, err
	}
	b.log.Info("watch alert", "chat", a.ChatID, "watch", a.WatchID, "kind", a.Kind, "seq", a.Seq,
		"incident", a.Incident, "redelivery", a.Redelivery, "message", id)
	return id, nil
}

// direct is the Chat under the core's guard of updates.
func (b *Bot) direct() Chat {
	if g, ok := b.chat.(guardedChat); ok {
		return g.Chat
	}
	return b.chat
}

// Credentials implements watch.CredentialSource: the user's own credentials, else the
// operator's, as for their commands; watch.ErrAccessRevoked for a user no longer allowed.
func (b *Bot) Credentials(ctx context.Context, userID int64) (plume.Credentials, error) {
	if !b.cfg.AllowEveryone && !b.users[userID] {
		return plume.Credentials{}, watch.ErrAccessRevoked
	}
	creds, _, ok, err := b.credentials(ctx, userID)
	switch {
	case err != nil:
		return creds, err
	case !ok:
		return creds, watch.ErrNoCredentials
	}
	return creds, nil
}

// watchPress is a pressed "w:" button: w:<op>:<watch ID>[:<n>[:<seq>]].
type watchPress struct {
	op, id string
	n      int64 // the incident (opAck), hours (opSnooze)
	seq    int64 // opAck: the alert pressed (Alert.Seq)
}

// parseWatchPress reads a "w:" button's data; ok is false for data no button of ours carries.
func parseWatchPress(data string) (p watchPress, ok bool) {
	parts := strings.Split(strings.TrimPrefix(data, watchPrefix), ":")
	if len(parts) < 2 || len(parts) > 4 || parts[1] == "" {
		return p, false
	}
	p.op, p.id = parts[0], parts[1]
	nums := []*int64{&p.n, &p.seq}
	for i, s := range parts[2:] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return p, false
		}
		*nums[i] = n
	}
	switch p.op {
	case opHealth, opUnwatch:
		return p, len(parts) == 2
	case opAck:
		return p, len(parts) == 4
	case opSnooze:
		return p, len(parts) == 3 && slices.Contains(snoozeHours, p.n)
	}
	return p, false
}

const msgNotWatched = "This location is no longer watched here."

// watchToast answers a "w:" press at once (see Acknowledge), from the store only: what the
// press will do, or why it does nothing. The handler then does it.
func (b *Bot) watchToast(ctx context.Context, u Update) string {
	p, ok := parseWatchPress(u.Callback.Data)
	if !ok || b.watch == nil {
		return msgButtonExpired
	}
	st, err := b.watch.Get(ctx, u.ChatID, p.id)
	switch {
	case errors.Is(err, watch.ErrNotFound):
		return msgNotWatched
	case err != nil:
		return "" // the handler says what failed
	}
	name := buttonLabel(or(st.Name, "this location"))
	switch p.op {
	case opSnooze:
		return fmt.Sprintf("😴 No alerts about %s for %d h.", name, p.n)
	case opAck:
		switch in := st.Incident; {
		case in == nil || in.Seq != p.n:
			return msgIncidentClosed
		case in.AckedBy != nil:
			return "Already acknowledged by " + buttonLabel(in.AckedBy.Name) + "."
		}
		return "✅ Acknowledged"
	case opUnwatch:
		return ""
	}
	return "Loading…"
}

const msgIncidentClosed = "This incident is already resolved."

// onWatchButton runs a "w:" press (answered already by watchToast). Access was checked
// (Handle); the watcher checks the watch belongs to the chat the press comes from.
func (b *Bot) onWatchButton(ctx context.Context, r *request) error {
	p, ok := parseWatchPress(r.u.Callback.Data)
	if !ok || b.watch == nil {
		b.answer(ctx, r, msgButtonExpired)
		r.outcome = "usage"
		return nil
	}
	r.command = "button:watch:" + map[string]string{opHealth: "health", opAck: "ack", opSnooze: "snooze", opUnwatch: "unwatch"}[p.op]
	refused := func(toast string) error {
		b.answer(ctx, r, toast)
		r.outcome = "usage"
		return nil
	}
	switch p.op {
	case opHealth:
		st, err := b.watch.Get(ctx, r.u.ChatID, p.id)
		if errors.Is(err, watch.ErrNotFound) {
			return refused(msgNotWatched)
		}
		if err != nil {
			return err
		}
		s, err := b.session(ctx, r.u.UserID)
		if err != nil {
			return err
		}
		r.sess = s
		return b.runHealth(ctx, r, locArgs{cid: st.CustomerID, lid: st.LocationID}, false)
	case opSnooze:
		w, err := b.watch.Snooze(ctx, r.u.ChatID, p.id, time.Duration(p.n)*time.Hour)
		if errors.Is(err, watch.ErrNotFound) {
			return refused(msgNotWatched)
		}
		if err != nil {
			return err
		}
		r.customer, r.location = w.CustomerID, w.LocationID
		b.answer(ctx, r, fmt.Sprintf("😴 No alerts about %s for %d h.", buttonLabel(or(w.Name, "this location")), p.n))
		if private(r.u) {
			return nil
		}
		// The others in the group see it too, under the alert.
		_, err = b.chat.Send(WithReply(ctx, r.u.ThreadID, r.u.MessageID), r.u.ChatID,
			fmt.Sprintf("😴 %s snoozed alerts about <b>%s</b> for %d h.", render.Escape(actorName(r.u)),
				render.Escape(or(w.Name, "this location")), p.n), nil)
		return err
	case opAck:
		return b.ack(ctx, r, p, refused)
	}
	return b.unwatch(ctx, r, p.id, r.u.MessageID)
}

// ack records who took charge of the incident and edits the alert to say so.
func (b *Bot) ack(ctx context.Context, r *request, p watchPress, refused func(string) error) error {
	by := watch.Actor{UserID: r.u.UserID, Name: actorName(r.u)}
	in, err := b.watch.Ack(ctx, r.u.ChatID, p.id, p.n, by)
	switch {
	case errors.Is(err, watch.ErrNotFound):
		return refused(msgNotWatched)
	case errors.Is(err, watch.ErrIncidentClosed):
		return refused(msgIncidentClosed)
	case errors.Is(err, watch.ErrAlreadyAcked) && in.AckedBy != nil:
		return refused("Already acknowledged by " + buttonLabel(in.AckedBy.Name) + ".")
	case err != nil:
		return err
	}
	r.customer, r.location = "", ""
	b.answer(ctx, r, "✅ Acknowledged")
	raw, err := b.st.GetSealedTemp(ctx, r.u.ChatID, alertKey(p.id, p.seq))
	var sa sentAlert
	if err == nil && json.Unmarshal(raw, &sa) == nil && sa.WatchID == p.id {
		a := sa.Alert
		a.WatchID, a.ChatID, a.CustomerID, a.LocationID, a.Name, a.TimeZone, a.Redelivery =
			sa.WatchID, sa.ChatID, sa.CustomerID, sa.LocationID, sa.Name, sa.TimeZone, sa.Redelivery
		a.AckedBy = &by
		r.customer, r.location = a.CustomerID, a.LocationID
		if err := b.chat.Edit(ctx, r.u.ChatID, r.u.MessageID, render.Alert(a), alertKeyboard(a)); err == nil {
			return nil
		}
	} else if err != nil && !isNotFound(err) {
		b.log.Warn("read an alert to mark it acknowledged", "chat", r.u.ChatID, "err", err)
	}
	// The alert cannot be edited (too old, or kept nowhere): say it below it instead.
	_, err = b.chat.Send(WithReply(ctx, r.u.ThreadID, r.u.MessageID), r.u.ChatID, render.Acknowledged(&by, r.u.ChatID), nil)
	return err
}

// actorName is how a chat names the user who pressed: first name, else @username, else ID.
func actorName(u Update) string {
	switch {
	case u.FirstName != "":
		return u.FirstName
	case u.Username != "":
		return "@" + u.Username
	}
	return "user " + strconv.FormatInt(u.UserID, 10)
}
