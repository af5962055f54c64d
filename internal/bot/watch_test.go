package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"plumebot/internal/health"
	"plumebot/internal/plume"
	"plumebot/internal/plumedata"
	"plumebot/internal/watch"
)

// withWatcher gives the scenario's bot a watcher over its store, reading the simulator fresh.
// The engine is not run: the commands work without it; alerts come from the scenario (sent).
func withWatcher(cfg watch.Config) func(e *env) {
	return func(e *env) {
		e.t.Helper()
		src := plumedata.New(plumedata.Config{Plume: plume.Options{HTTPClient: e.sim.Client(),
			AllowedHosts: []string{"127.0.0.1"}, Limits: plume.NewHostLimits(1000, 1000)}})
		eng, err := watch.New(e.st, watch.SourceReader{Source: src}, e.bot, e.bot, cfg)
		if err != nil {
			e.t.Fatal(err)
		}
		e.bot.EnableWatches(eng)
	}
}

// watched is the watch of a dataset's location in chat.
func (e *env) watched(chat int64, dataset string) watch.Status {
	e.t.Helper()
	list, err := e.bot.watch.List(e.ctx(), chat)
	if err != nil {
		e.t.Fatal(err)
	}
	l := e.loc(dataset)
	for _, s := range list {
		if s.LocationID == l.LocationID {
			return s
		}
	}
	e.t.Fatalf("%s is not watched in chat %d", dataset, chat)
	return watch.Status{}
}

// sent is the watcher sending an alert about a dataset watched in chat: the action of a
// scenario step, shown in the transcript.
func sent(chat int64, dataset string, kind watch.Kind, f func(a *watch.Alert)) step {
	return meanwhile("the watcher sends an alert ("+string(kind)+") about "+dataset, func(e *env) {
		e.t.Helper()
		w := e.watched(chat, dataset)
		a := watch.Alert{Kind: kind, WatchID: w.ID, ChatID: w.ChatID, ThreadID: w.ThreadID, CustomerID: w.CustomerID,
			LocationID: w.LocationID, Name: w.Name, TimeZone: "America/Chicago", Seq: 1,
			At: time.Date(2026, 11, 25, 11, 58, 0, 0, time.UTC), Confirmed: fixedNow, Level: health.LevelOffline}
		if f != nil {
			f(&a)
		}
		if _, err := e.bot.Notify(e.ctx(), a); err != nil {
			e.t.Fatalf("Notify: %v", err)
		}
	}).showing()
}

func TestWatchCommands(t *testing.T) {
	t.Parallel()
	on := envOpt{after: withWatcher(watch.Config{})}
	runScenarios(t, []scenario{
		{name: "watch_commands", opt: on, steps: []step{
			says(alice, "/watches"),
			says(alice, "/watch {healthy}"),
			says(alice, "/watch"), // the last location: already watched
			says(alice, "/watch all"),
			says(alice, "/watch {partial}"),
			says(alice, "/watches"),
			says(alice, "/health {healthy}"),
			presses(alice, "🔕 Unwatch"),
			says(alice, "/health {healthy}"),
			presses(alice, "🔔 Watch"),
			says(alice, "/unwatch"),
			presses(alice, "🔕 Home · …2830c0"),
			says(alice, "/unwatch {partial}"),
			says(alice, "/unwatch"),
			says(alice, "/help"),
		}},
		{name: "watch_bad_input", opt: on, steps: []step{
			says(alice, "/watch"),
			says(alice, "/watch 64f0c1a2b3c4"),
			says(alice, "/watch {healthy} sideways"),
			says(alice, "/watch {healthy} all extra"),
			says(alice, "/watch ééé ééé"),
			says(alice, "/watch {foreign}"),
			says(alice, "/watch 000000000000000000000000 000000000000000000000000"),
			says(alice, "/unwatch {healthy}"),
			says(alice, "/unwatch 64f0c1a2b3c4"),
			says(alice, "/unwatch a b c"),
			says(alice, "/watches all"),
			verify(func(e *env) {
				if list, _ := e.bot.watch.List(e.ctx(), alice); len(list) != 0 {
					e.t.Errorf("bad input added watches: %+v", list)
				}
			}),
		}},
		{name: "watch_limits", opt: envOpt{after: withWatcher(watch.Config{MaxPerChat: 2, MaxWatches: 3})}, steps: []step{
			says(alice, "/watch {healthy}"),
			says(alice, "/watch {partial}"),
			says(alice, "/watch {degraded}"),
			says(bob, "/watch {healthy}"),
			says(bob, "/watch {partial}"),
			says(alice, "/unwatch {partial}"),
			says(bob, "/watch {partial}"),
		}},
		{name: "watch_in_group", opt: on, steps: []step{
			saysIn(group, alice, "/watch {offline}"),
			saysIn(group, bob, "/watches"),
			sent(group, "offline", watch.KindOffline, func(a *watch.Alert) { a.Incident, a.OpensIncident = 1, true }),
			presses(bob, "😴 4 h").in(group),
			presses(stranger, "✅ Ack").in(group),
			presses(bob, "✅ Ack").in(group), // no open incident: the watcher was not run
			presses(alice, "🔍 Health").in(group),
			presses(bob, "🔕 Unwatch").in(group),
			presses(alice, "😴 1 h").in(group), // the watch is gone
		}},
		{name: "watch_disabled", steps: []step{
			says(alice, "/watch {healthy}"),
			says(alice, "/watches"),
			says(alice, "/unwatch"),
			says(alice, "/health {healthy}"),
		}},
	})
}

// TestWatchAlertButtons: an alert's buttons, pressed by its chat, by another allowed user's
// chat (a copied button) and by a stranger; and after /logout.
func TestWatchAlertButtons(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{
		{name: "watch_alert_buttons", opt: envOpt{noOperator: true, after: withWatcher(watch.Config{})}, steps: append(signInSteps(alice),
			says(alice, "/watch {partial}"),
			sent(alice, "partial", watch.KindPodDown, func(a *watch.Alert) {
				a.Pods, a.Level, a.Incident, a.OpensIncident = []watch.PodChange{{Serial: "X", Name: "Garage"}}, health.LevelIssues, 1, true
			}),
			presses(bob, "😴 1 h").from(alice),
			presses(stranger, "😴 1 h").from(alice),
			presses(alice, "😴 1 h"),
			says(alice, "/watches"),
			says(alice, "/logout"),
			says(alice, "/watches"),
			presses(alice, "🔍 Health"), // after /logout: no credentials, no report
			presses(alice, "😴 24 h"),
			presses(alice, "✅ Ack").forged("another incident", func(d string) string {
				p := strings.Split(d, ":")
				p[3] = "7"
				return strings.Join(p, ":")
			}),
			presses(alice, "🔍 Health").forged("no watch ID", func(string) string { return "w:h:" }),
			presses(alice, "🔍 Health").forged("unknown operation", func(d string) string { return "w:q" + d[3:] }),
		)},
		{name: "watch_resumed_by_auth", opt: envOpt{noOperator: true, after: withWatcher(watch.Config{})}, steps: append(append(signInSteps(alice),
			says(alice, "/watch {healthy}"),
			says(alice, "/logout"),
			sent(alice, "healthy", watch.KindPaused, func(a *watch.Alert) { a.Reason, a.Affected = watch.ReasonLoggedOut, 1 })),
			append(signInSteps(alice), says(alice, "/watches"))...),
		},
	})
}

// TestWatchCredentials: the watcher checks with the user's own credentials, else the
// operator's; a user without either has none, and one no longer allowed is refused.
func TestWatchCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{})
	if c, err := e.bot.Credentials(e.ctx(), alice); err != nil || c.PartnerID != e.info.PartnerID {
		t.Errorf("alice (operator's credentials): %v", err)
	}
	if _, err := e.bot.Credentials(e.ctx(), stranger); err != watch.ErrAccessRevoked {
		t.Errorf("a user not allowed: %v, want ErrAccessRevoked", err)
	}
	e = newEnv(t, envOpt{noOperator: true})
	if _, err := e.bot.Credentials(e.ctx(), alice); err != watch.ErrNoCredentials {
		t.Errorf("alice without credentials: %v, want ErrNoCredentials", err)
	}
	e.signIn(alice, e.info.AuthHeader)
	if c, err := e.bot.Credentials(e.ctx(), alice); err != nil || c.AuthHeader.Reveal() != e.info.AuthHeader {
		t.Errorf("alice's own: %v", err)
	}
}

// TestWatchNotifyPlacement: an alert goes into its topic, as a reply to the incident's first
// alert; a chat Telegram refuses is reported as unreachable, for the watcher to pause it.
func TestWatchNotifyPlacement(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{})
	a := watch.Alert{Kind: watch.KindOnline, WatchID: "0123456789abcdef", ChatID: group, ThreadID: 12, ReplyTo: 7,
		CustomerID: e.loc("healthy").CustomerID, LocationID: e.loc("healthy").LocationID, Name: "Home", Confirmed: fixedNow, At: fixedNow}
	id, err := e.bot.Notify(e.ctx(), a)
	if err != nil {
		t.Fatal(err)
	}
	m := e.chat.last(group)
	if m.ID != id || m.Thread != 12 || m.ReplyTo != 7 || !strings.HasPrefix(m.Text, "🟢 <b>Home</b> is back online") {
		t.Errorf("sent %+v", m)
	}
	e.chat.mu.Lock()
	e.chat.gone = map[int64]bool{group: true}
	e.chat.mu.Unlock()
	if _, err := e.bot.Notify(e.ctx(), a); !errors.Is(err, watch.ErrChatUnreachable) {
		t.Errorf("a blocked chat: %v, want watch.ErrChatUnreachable", err)
	}
}

// TestWatchMigration: a group upgraded to a supergroup keeps its watches under the new ID,
// and the migration message gets no reply.
func TestWatchMigration(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{after: withWatcher(watch.Config{})})
	const super = -1001234
	e.bot.Handle(e.ctx(), Update{UserID: alice, ChatID: group, ChatType: ChatSupergroup, MessageID: 1, Text: "/watch " + e.expand("{healthy}")})
	sentBefore := len(e.chat.eventsSince(0))
	e.bot.Handle(context.Background(), Update{UserID: alice, ChatID: group, ChatType: ChatGroup, MessageID: 2,
		Service: "migrate_to_chat_id", MigrateToChatID: super})
	if ev := e.chat.eventsSince(sentBefore); len(ev) != 0 {
		t.Errorf("the migration message was answered: %+v", ev)
	}
	if list, _ := e.bot.watch.List(e.ctx(), group); len(list) != 0 {
		t.Errorf("the old group still has %d watches", len(list))
	}
	if w := e.watched(super, "healthy"); w.ChatID != super {
		t.Errorf("watch %+v", w)
	}
}

// TestWatchPausedWhenChatRefused: a chat Telegram refuses for good while the bot answers in it
// has its watches paused (the core's ChatEvents reach the watcher).
func TestWatchPausedWhenChatRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{after: withWatcher(watch.Config{})})
	e.say(alice, "/watch "+e.expand("{healthy}"))
	e.chat.mu.Lock()
	e.chat.gone[alice] = true
	e.chat.mu.Unlock()
	e.say(alice, "/watches")
	if a := e.lastAudit(); a["outcome"] != "unreachable" {
		t.Errorf("audit %v, want outcome unreachable", a)
	}
	if w := e.watched(alice, "healthy"); w.Paused != watch.ReasonChatUnreachable {
		t.Errorf("watch paused %q, want %q", w.Paused, watch.ReasonChatUnreachable)
	}

	// The user unblocks the bot and talks to it again: the chat is reachable, its watches
	// are checked again (else they stayed paused for ever, /watches saying the chat it is
	// read in "could not be reached").
	e.chat.mu.Lock()
	e.chat.gone[alice] = false
	e.chat.mu.Unlock()
	e.say(alice, "/start")
	if w := e.watched(alice, "healthy"); w.Paused != "" {
		t.Errorf("after the chat talked again: watch paused %q, want active", w.Paused)
	}
	if got := e.chat.last(alice).Text; got != "▶️ This chat can be reached again: its 1 paused watch is checked again." {
		t.Errorf("/start after the chat was unreachable: last message %q", got)
	}
}

// TestWatchAlertToMigratedGroup: an alert sent to a group that became a supergroup (its
// migration message unseen) moves the group's watches there and is not given up: the watcher
// sends it again, to the new chat.
func TestWatchAlertToMigratedGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{after: withWatcher(watch.Config{})})
	const super = -1005678
	e.bot.Handle(e.ctx(), Update{UserID: alice, ChatID: group, ChatType: ChatSupergroup, MessageID: 1, Text: "/watch " + e.expand("{healthy}")})
	w := e.watched(group, "healthy")
	e.chat.mu.Lock()
	e.chat.movedTo[group] = super
	e.chat.mu.Unlock()
	_, err := e.bot.Notify(e.ctx(), watch.Alert{Kind: watch.KindOffline, WatchID: w.ID, ChatID: group, CustomerID: w.CustomerID,
		LocationID: w.LocationID, Name: "Home", At: fixedNow, Confirmed: fixedNow})
	if err == nil || errors.Is(err, watch.ErrChatUnreachable) {
		t.Errorf("Notify: %v, want an error the watcher retries", err)
	}
	if moved := e.watched(super, "healthy"); moved.ID != w.ID || moved.Paused != "" {
		t.Errorf("after the refusal: %+v, want the same watch, active, in the supergroup", moved)
	}
}

// TestWatchIDsAnyCase: Plume IDs are hexadecimal, so an ID typed in upper case names the same
// location as in lower case (plume.CanonicalID): /watch in either spelling is one watch, which
// /health's 🔕 Unwatch and /unwatch find, and the last location is saved as Plume writes it.
func TestWatchIDsAnyCase(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{after: withWatcher(watch.Config{})})
	l := e.loc("healthy")
	upper := strings.ToUpper(l.CustomerID) + " " + strings.ToUpper(l.LocationID)
	e.say(alice, "/watch "+upper)
	if got := e.chat.last(alice).Text; !strings.HasPrefix(got, "🔔 Watching") {
		t.Fatalf("/watch in upper case: %q", got)
	}
	e.say(alice, "/watch "+l.CustomerID+" "+l.LocationID)
	if got := e.chat.last(alice).Text; !strings.Contains(got, "is already watched here") {
		t.Errorf("/watch of the same location in lower case: %q, want already watched", got)
	}
	list, err := e.bot.watch.List(e.ctx(), alice)
	if err != nil || len(list) != 1 || list[0].CustomerID != l.CustomerID || list[0].LocationID != l.LocationID {
		t.Fatalf("watches %+v, %v; want one, with the IDs in lower case", list, err)
	}
	s, err := e.bot.loadSettings(e.ctx(), alice)
	if err != nil || s.CustomerID != l.CustomerID || s.LocationID != l.LocationID {
		t.Errorf("last location %+v, %v; want the IDs in lower case", s, err)
	}
	e.say(alice, "/unwatch "+upper)
	if got := e.chat.last(alice).Text; !strings.HasPrefix(got, "🔕 Stopped watching") {
		t.Errorf("/unwatch in upper case: %q", got)
	}
}
