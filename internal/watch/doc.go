// Package watch is the watcher: it checks watched Plume locations within a request budget,
// detects changes, and hands alerts to the chat side; one replica checks at a time (a lease).
//
// # What the chat side does (the contract)
//
// Wiring (serve): build one Engine per process with New, passing the *store.Store, a Reader
// (plumedata: location + nodes through the shared cache, at most two requests), a
// CredentialSource (the bot's rule for a user's credentials: own, else the operator's;
// ErrNoCredentials / ErrAccessRevoked), a Notifier and Config (MinInterval from
// PLUMEBOT_WATCH_INTERVAL, Budget from PLUMEBOT_WATCH_BUDGET, the limits, an Observer for
// /metrics), and run Engine.Run(ctx) in the background on every replica.
//
//   - /watch [c l]: Add(NewWatch{chat, topic, user, IDs, name, mode}). ErrInvalid (words from
//     plume's validation are in the error), *LimitError (Scope "chat" or "all", Max),
//     ErrAlreadyWatched (with the watch). Adding a paused watch again resumes it.
//   - /unwatch: List(chat) for the buttons, then Remove(chat, id) (ErrNotFound: already gone).
//   - /watches: List(chat) (state, last check and its error, next check, snooze, pause,
//     incident) and Stats (interval target and achieved, budget, requests/s, back-off).
//   - Alert buttons: Snooze(chat, id, 1h|4h|24h), Ack(chat, id, alert.Incident, actor)
//     (ErrIncidentClosed, ErrAlreadyAcked naming who), 🔍 Health from the alert's IDs.
//   - /logout: PauseWatches(Selector{UserID}, ReasonLoggedOut), and say how many; after a
//     successful /auth: ResumeWatches(Selector{UserID}, ReasonLoggedOut, ReasonCredentials).
//     A user removed from the allowed list: CredentialSource returns ErrAccessRevoked.
//   - A chat found blocked or gone outside alerts: PauseWatches(Selector{ChatID},
//     ReasonChatUnreachable). A group migrated to a supergroup: MigrateChat(old, new).
//   - Notifier.Notify renders the Alert (escaping Name, pod and actor names) with its
//     buttons, sends it through the paced sender to ChatID/ThreadID replying to ReplyTo,
//     returns the message ID; ErrChatUnreachable (wrapped) for 403 blocked/kicked and 400
//     chat not found, any other error for "try again later". Redelivery says an earlier
//     attempt may have reached the chat.
//
// # Checks and changes
//
// A check reads the location and its nodes and applies health.AnalyzeLocation (the rules of
// /health, without devices or QoE, so neither can make a location 🟡). The state is a set
// of facts: online (health's offline: status offline or no pod connected), each pod
// connected, the level. A fact changes only after HoldChecks consecutive checks saw the new
// value (or HoldTime). The chat is told the difference between what it was last told and
// the confirmed state: offline; online with how long it was down and the pods still
// disconnected; pods down or up while online; in ModeLevels level worse or better. The
// first check is a silent baseline. Bad alerts open an incident; its later alerts reply to
// its first; it closes when the location is fine again. More than FlapLimit outages within
// FlapWindow give one flapping alert and silence until StableAfter without a change. A
// snooze holds alerts back and, when it ends, the net difference is told.
//
// Budget: interval = max(MinInterval, 2 × watches / Budget); one check (two requests at
// once) every interval/N, the watch checked least recently first: never more than Budget
// requests per second on average, never a burst. A WAF refusal stops every check for max(Retry-After, RateLimitBackoff).
// Credentials refused (401, token refused) twice in a row pause every watch of that user
// and tell each chat once; 404 or 403 pause that watch; other failures are shown by
// /watches and retried.
//
// # Exactly once, and what remains
//
// A watch is one sealed record holding its state and its outbox. A check writes the new
// state and the alerts it causes in one Put, so an alert is never decided without being
// stored nor stored twice: a crash before the Put is a check that did not happen (the next
// one decides again), after it the alert is in the outbox. Every read-modify-write of a
// watch holds its lock (shared through the store), readings older than the last one applied
// are ignored, and only the lease holder checks: two replicas briefly both believing they
// hold the lease still decide each change once.
//
// Delivery claims the outbox's first alert (a locked write naming this engine, valid for
// 2 × SendTimeout), sends it holding no lock, then records the outcome (another locked
// write): sent (removed; its message ID kept for the incident), transient (retried with
// back-off, in order), unreachable (the chat's watches pause, its alerts are dropped).
// The remaining window: a replica that dies, or loses its store, after Telegram accepted a
// message and before that last write leaves the alert claimed; when the claim expires the
// next lease holder sends it again with Redelivery set, so the chat may see it twice,
// marked. A Notify cut off by its deadline is treated the same way (Telegram may have
// taken it). Nothing is lost, at most that one alert per watch is doubled per crash, except
// what cannot be delivered at all: alerts of a removed watch, of an unreachable chat, or
// beyond 64 waiting for one watch (the oldest go). Losing the store itself (Redis without
// persistence, restarted) loses the watches.
//
// Takeover: the lease lasts LeaseTTL (15 s) and is renewed every third of it; a waiting
// replica tries every third of it, so checks resume within LeaseTTL × 4/3 of a death
// (20 s), and an alert its sender claimed waits for the claim to expire (2 min).
//
// # Storage
//
// Keys: watch:<chatID>:<userID>:<id> (sealed record: the customer and location IDs, names
// and ack names are inside), the chat index watch-chat:<chatID> (sealed: each watch's ID,
// user, topic and IDs; what the chat side reads instead of listing keys, index.go) with
// its mark watch-index, the lease watch:engine, locks watch:<id>, watch-chat:<chatID> and
// watch:registry, the published schedule watch-engine:stats. A record of a 3-pod location
// is about 1 KiB. A watch that does not open (store.Absent: a dropped key) is absent for
// every reader, and the checking loop deletes it.
//
// # Time
//
// The engine uses package time. Its tests run it in testing/synctest bubbles, where the
// timers, the memory store's expiry and its leases follow one virtual clock, so an hour of
// checks runs in milliseconds with exact timestamps; a Clock interface would have left the
// store's expiry on the real clock.
package watch
