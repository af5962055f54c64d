package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"plumebot/internal/health"
	"plumebot/internal/plume"
	"plumebot/internal/plumedata"
	"plumebot/internal/render"
	"plumebot/internal/watch"
)

// Proactive monitoring, the chat side: /watch, /unwatch, /watches, the 🔔/🔕 button of a
// health report, and what /logout, a successful /auth and a group's migration do to watches.
// The watcher (internal/watch) decides and stores everything; alerts.go sends its alerts and
// serves their buttons.

// Watcher is what the chat needs of the watcher (*watch.Engine); its package doc is the contract.
type Watcher interface {
	Add(ctx context.Context, nw watch.NewWatch) (watch.Watch, error)
	Remove(ctx context.Context, chatID int64, id string) (watch.Watch, error)
	Get(ctx context.Context, chatID int64, id string) (watch.Status, error)
	List(ctx context.Context, chatID int64) ([]watch.Status, error)
	Find(ctx context.Context, chatID, threadID int64, customerID, locationID string) (string, error)
	Stats(ctx context.Context) (watch.Stats, error)
	Snooze(ctx context.Context, chatID int64, id string, d time.Duration) (watch.Watch, error)
	SetMode(ctx context.Context, chatID int64, id string, m watch.Mode) (watch.Watch, error)
	Ack(ctx context.Context, chatID int64, id string, incident int64, by watch.Actor) (watch.Incident, error)
	PauseWatches(ctx context.Context, sel watch.Selector, reason watch.PauseReason) (int, error)
	ResumeWatches(ctx context.Context, sel watch.Selector, reasons ...watch.PauseReason) (int, error)
	MigrateChat(ctx context.Context, from, to int64) (int, error)
}

// EnableWatches turns on /watch and its kin with w, and routes what the core learns about
// chats (ChatEvents) to it as well. Call it once, before the first Handle: the watcher needs
// the bot (its Notifier and CredentialSource), so it is made after it.
func (b *Bot) EnableWatches(w Watcher) {
	b.watch = w
	b.cfg.Events = watchEvents{b: b, next: b.cfg.Events}
}

// watchEvents hears the core's news about chats for the watcher, then passes it on: a chat
// Telegram refuses for good has its watches paused, a group that became a supergroup takes
// its watches along. The calls are quick store writes, made where the news is heard.
type watchEvents struct {
	b    *Bot
	next ChatEvents
}

func (e watchEvents) ChatUnreachable(chatID int64) {
	ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
	defer cancel()
	n, err := e.b.watch.PauseWatches(ctx, watch.Selector{ChatID: chatID}, watch.ReasonChatUnreachable)
	switch {
	case err != nil:
		e.b.log.Warn("pause the watches of a chat that cannot be reached", "chat", chatID, "err", err)
	case n > 0:
		e.b.log.Info("the chat cannot be reached; its watches pause", "chat", chatID, "watches", n)
	}
	if e.next != nil {
		e.next.ChatUnreachable(chatID)
	}
}

func (e watchEvents) ChatMigrated(from, to int64) {
	ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
	defer cancel()
	n, err := e.b.watch.MigrateChat(ctx, from, to)
	switch {
	case err != nil:
		e.b.log.Error("move the watches of a group that became a supergroup", "from_chat", from, "to_chat", to, "err", err)
	case n > 0:
		e.b.log.Info("the watches follow the group to its supergroup", "from_chat", from, "to_chat", to, "watches", n)
	}
	if e.next != nil {
		e.next.ChatMigrated(from, to)
	}
}

// eventTimeout bounds the watcher's store writes for a chat event.
const eventTimeout = 10 * time.Second

const (
	msgWatchOff  = "Watching locations is not enabled on this bot."
	msgNoWatches = "🔕 No location is watched in this chat."
)

// watchUsage is the usage of /watch, after what was wrong (may be "").
func watchUsage(why string) usageError {
	if why != "" {
		why += "\n"
	}
	return usageError(why + "Usage: /watch &lt;customerId&gt; &lt;locationId&gt; [all]\n" +
		"Both IDs are 24 hex characters; /watch alone watches your last location. " +
		"I post here when it goes offline or comes back and when a pod disconnects or reconnects; " +
		"with <code>all</code>, also when its health level changes.")
}

// cmdWatch: /watch [customerId locationId] [all|outages].
func (b *Bot) cmdWatch(ctx context.Context, r *request, args []string) error {
	if b.watch == nil {
		return usageError(msgWatchOff)
	}
	var mode watch.Mode
	if n := len(args); n == 1 || n == 3 {
		switch strings.ToLower(args[n-1]) {
		case "all", "levels":
			mode, args = watch.ModeLevels, args[:n-1]
		case "outages", "default":
			mode, args = watch.ModeOutages, args[:n-1]
		default:
			if n == 3 {
				return watchUsage("⚠️ " + render.Escape(strconv.Quote(buttonLabel(args[2]))) + " is not a mode: add <code>all</code> or nothing.")
			}
		}
	}
	var loc locArgs
	switch len(args) {
	case 0:
		s, err := b.loadSettings(ctx, r.u.UserID)
		if err != nil {
			return err
		}
		if s.CustomerID == "" || s.LocationID == "" {
			return watchUsage("No location yet.")
		}
		loc = locArgs{cid: s.CustomerID, lid: s.LocationID, saved: true}
	case 1:
		return watchUsage("⚠️ Both IDs are needed: the customer ID, then the location ID.")
	case 2:
		if err := plumedata.ValidateLocation(args[0], args[1]); err != nil {
			return watchUsage(invalidText(err))
		}
		loc = locArgs{cid: plume.CanonicalID(args[0]), lid: plume.CanonicalID(args[1])}
	default:
		return watchUsage(fmt.Sprintf("⚠️ Too many words (%d): two IDs, then <code>all</code> or nothing.", len(args)))
	}
	r.customer, r.location = loc.cid, loc.lid
	return b.startWatch(ctx, r, loc, mode)
}

// startWatch reads the location (it must exist and these credentials see it; its name names
// the alerts) and adds the watch for this chat and topic.
func (b *Bot) startWatch(ctx context.Context, r *request, loc locArgs, mode watch.Mode) error {
	b.begin(ctx, r, loc)
	f, err := r.sess.Location(ctx, loc.cid, loc.lid, false)
	if err != nil {
		return err
	}
	b.remember(ctx, r, loc)
	name := or(f.Value.Name, "this location")
	before := time.Now()
	w, err := b.watch.Add(ctx, watch.NewWatch{ChatID: r.u.ChatID, ThreadID: r.u.ThreadID, UserID: r.u.UserID,
		CustomerID: loc.cid, LocationID: loc.lid, Name: f.Value.Name, Mode: mode})
	var le *watch.LimitError
	switch {
	case errors.Is(err, watch.ErrAlreadyWatched) && mode != "" && mode != w.Mode:
		if _, err := b.watch.SetMode(ctx, r.u.ChatID, w.ID, mode); err != nil {
			return err
		}
		return b.watchReply(ctx, r, "🔔 <b>"+render.Escape(name)+"</b>: from now on I post "+modeWords(mode)+".")
	case errors.Is(err, watch.ErrAlreadyWatched):
		r.outcome = "usage"
		return b.watchReply(ctx, r, "🔔 <b>"+render.Escape(name)+"</b> is already watched here ("+modeWords(w.Mode)+"). /watches lists what is watched.")
	case errors.As(err, &le):
		r.outcome = "limit"
		if le.Scope == "chat" {
			return b.watchReply(ctx, r, fmt.Sprintf("⛔ This chat already watches %d locations, the most allowed. "+
				"/unwatch one first, or ask your administrator to raise PLUMEBOT_WATCH_MAX_PER_CHAT.", le.Max))
		}
		return b.watchReply(ctx, r, fmt.Sprintf("⛔ The bot already watches %d locations, the most it may. "+
			"Ask your administrator to raise PLUMEBOT_WATCH_MAX, or /unwatch locations nobody needs.", le.Max))
	case errors.Is(err, watch.ErrInvalid):
		return watchUsage("⚠️ " + render.Escape(strings.TrimPrefix(err.Error(), "watch: ")))
	case err != nil:
		return err
	}
	if w.Created.Before(before) { // Add resumed a paused watch
		return b.watchReply(ctx, r, "▶️ Watching <b>"+render.Escape(name)+"</b> here again ("+modeWords(w.Mode)+").")
	}
	every := ""
	if st, err := b.watch.Stats(ctx); err == nil {
		every = " Locations are checked about every " + health.Duration(max(st.Achieved, st.Interval)) + ";"
	}
	where := "here"
	if r.u.ThreadID != 0 {
		where = "in this topic"
	}
	return b.watchReply(ctx, r, "🔔 Watching <b>"+render.Escape(name)+"</b>: I post "+where+" "+modeWords(w.Mode)+"."+every+
		" a change is told once two checks saw it.\n/watches lists what is watched here, /unwatch stops.")
}

// modeWords says what a watch announces.
func modeWords(m watch.Mode) string {
	if m == watch.ModeLevels {
		return "when it goes offline or comes back, when a pod disconnects or reconnects, and when its health level changes"
	}
	return "when it goes offline or comes back, and when a pod disconnects or reconnects"
}

func or(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// watchReply answers in the update's topic (and answers its button press).
func (b *Bot) watchReply(ctx context.Context, r *request, html string) error {
	r.settle()
	b.answer(ctx, r, "")
	return b.sendHere(ctx, r, html, nil)
}

// sendHere sends into the chat the update came from (its topic: the context says), editing a
// "⏳ Checking…" placeholder into it when there is one.
func (b *Bot) sendHere(ctx context.Context, r *request, html string, kb Keyboard) error {
	if id := r.placeholder; id != 0 {
		r.placeholder = 0
		if err := b.chat.Edit(ctx, r.u.ChatID, id, html, kb); err == nil {
			return nil
		}
	}
	_, err := b.chat.Send(ctx, r.u.ChatID, html, kb)
	return err
}

// cmdUnwatch: /unwatch shows this chat's watches as buttons; /unwatch <c> <l> removes one.
func (b *Bot) cmdUnwatch(ctx context.Context, r *request, args []string) error {
	if b.watch == nil {
		return usageError(msgWatchOff)
	}
	const usage = "Usage: /unwatch, then pick the location; or /unwatch &lt;customerId&gt; &lt;locationId&gt;"
	list, err := b.watch.List(ctx, r.u.ChatID)
	if err != nil {
		return err
	}
	switch len(args) {
	case 0:
	case 1:
		return usageError("⚠️ Both IDs are needed: the customer ID, then the location ID.\n" + usage)
	case 2:
		if err := plumedata.ValidateLocation(args[0], args[1]); err != nil {
			return usageError(invalidText(err) + "\n" + usage)
		}
		r.customer, r.location = plume.CanonicalID(args[0]), plume.CanonicalID(args[1])
		w, ok := findWatch(list, r.u.ThreadID, r.customer, r.location)
		if !ok {
			return usageError("That location is not watched in this chat. /watches lists what is.")
		}
		return b.unwatch(ctx, r, w.ID, 0)
	default:
		return usageError(usage)
	}
	if len(list) == 0 {
		return b.watchReply(ctx, r, msgNoWatches)
	}
	var kb Keyboard
	for i, s := range list {
		if i == maxChoiceButtons {
			break
		}
		kb = append(kb, []Button{{Text: "🔕 " + watchLabel(list, s), Data: watchData(opUnwatch, s.ID, 0)}})
	}
	text := "Which location should I stop watching here?"
	if len(list) > maxChoiceButtons {
		text += fmt.Sprintf("\n(The first %d; /unwatch &lt;customerId&gt; &lt;locationId&gt; for the others.)", maxChoiceButtons)
	}
	return b.sendHere(ctx, r, text, kb)
}

// watchLabel names a watch on a button: its name, with the end of its location ID when
// another watch in the list has the same name ("Home" is common).
func watchLabel(list []watch.Status, s watch.Status) string {
	name := or(s.Name, s.LocationID)
	for _, o := range list {
		if o.ID != s.ID && strings.EqualFold(or(o.Name, o.LocationID), name) {
			return buttonLabel(name) + " · …" + s.LocationID[max(len(s.LocationID)-6, 0):]
		}
	}
	return buttonLabel(name)
}

// findWatch is the watch of customer/location in the list, the one of this topic first.
func findWatch(list []watch.Status, thread int64, cid, lid string) (watch.Status, bool) {
	var found []watch.Status
	for _, s := range list {
		if strings.EqualFold(s.CustomerID, cid) && strings.EqualFold(s.LocationID, lid) {
			if s.ThreadID == thread {
				return s, true
			}
			found = append(found, s)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return watch.Status{}, false
}

// unwatch removes watch id of this chat; edit != 0 turns that message (the /unwatch
// buttons) into the answer.
func (b *Bot) unwatch(ctx context.Context, r *request, id string, edit int64) error {
	w, err := b.watch.Remove(ctx, r.u.ChatID, id)
	if errors.Is(err, watch.ErrNotFound) {
		b.answer(ctx, r, "This location is no longer watched here.")
		r.outcome = "usage"
		return nil
	}
	if err != nil {
		return err
	}
	r.customer, r.location = w.CustomerID, w.LocationID
	text := "🔕 Stopped watching <b>" + render.Escape(or(w.Name, "the location")) + "</b> here."
	if edit != 0 {
		b.answer(ctx, r, "")
		if err := b.chat.Edit(ctx, r.u.ChatID, edit, text, nil); err == nil {
			return nil
		}
	}
	return b.watchReply(ctx, r, text)
}

// cmdWatches: /watches lists this chat's watches and the schedule.
func (b *Bot) cmdWatches(ctx context.Context, r *request, args []string) error {
	if b.watch == nil {
		return usageError(msgWatchOff)
	}
	if len(args) != 0 {
		return usageError("Usage: /watches (no arguments): the locations watched in this chat.")
	}
	if err := b.resumeReachable(ctx, r); err != nil {
		return err
	}
	list, err := b.watch.List(ctx, r.u.ChatID)
	if err != nil {
		return err
	}
	st, err := b.watch.Stats(ctx)
	if err != nil {
		return err
	}
	r.settle()
	for _, p := range render.Watches(list, st, render.Options{Now: time.Now()}) {
		if err := b.sendHere(ctx, r, p, nil); err != nil {
			return err
		}
	}
	return nil
}

// watchButton is the 🔔 Watch or 🔕 Unwatch button of a health report, by whether the
// location is watched in this chat and topic; none when watching is off or cannot be told.
func (b *Bot) watchButton(ctx context.Context, r *request, loc locArgs) []btnSpec {
	if b.watch == nil {
		return nil
	}
	// Find reads the chat's index only: this runs on every /health.
	id, err := b.watch.Find(ctx, r.u.ChatID, r.u.ThreadID, loc.cid, loc.lid)
	p := payload{Action: actWatch, Customer: loc.cid, Location: loc.lid}
	switch {
	case err == nil:
		p.Action, p.Extra = actUnwatch, id
		return []btnSpec{{"🔕 Unwatch", p}}
	case !errors.Is(err, watch.ErrNotFound):
		b.log.Warn("look up the watch for the health report", "chat", r.u.ChatID, "err", err)
		return nil
	}
	return []btnSpec{{"🔔 Watch", p}}
}

// resumeReachable checks again the watches of this chat that were paused because Telegram
// refused it (the bot blocked, removed from the group): the chat sent an update, so it is
// reachable again. Else nothing resumes them, and /watches, read in that chat, says it
// "could not be reached". It tells the chat (nothing when none was paused so).
func (b *Bot) resumeReachable(ctx context.Context, r *request) error {
	if b.watch == nil {
		return nil
	}
	n, err := b.watch.ResumeWatches(ctx, watch.Selector{ChatID: r.u.ChatID}, watch.ReasonChatUnreachable)
	if err != nil {
		b.log.Warn("resume the watches of a chat that can be reached again", "chat", r.u.ChatID, "err", err)
	}
	if n == 0 {
		return nil
	}
	return b.sendHere(ctx, r, fmt.Sprintf("▶️ This chat can be reached again: its %d paused %s checked again.", n,
		plural(n, "watch is", "watches are")), nil)
}

// pausedOnLogout pauses the watches of a user who logged out and says so ("" when none).
func (b *Bot) pausedOnLogout(ctx context.Context, r *request) string {
	if b.watch == nil {
		return ""
	}
	n, err := b.watch.PauseWatches(ctx, watch.Selector{UserID: r.u.UserID}, watch.ReasonLoggedOut)
	if err != nil {
		b.log.Warn("pause the watches of a user who logged out", "user", r.u.UserID, "err", err)
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("\n⏸ Your %d %s paused; %s again when you sign in with /auth.", n,
		plural(n, "watch is", "watches are"), plural(n, "it is checked", "they are checked"))
}

// resumedOnAuth resumes what /logout or refused credentials paused, after a successful /auth.
func (b *Bot) resumedOnAuth(ctx context.Context, r *request) string {
	if b.watch == nil {
		return ""
	}
	n, err := b.watch.ResumeWatches(ctx, watch.Selector{UserID: r.u.UserID}, watch.ReasonLoggedOut, watch.ReasonCredentials)
	if err != nil {
		b.log.Warn("resume the watches of a user who signed in", "user", r.u.UserID, "err", err)
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("\n▶️ Your %d paused %s checked again.", n, plural(n, "watch is", "watches are"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
