package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"plumebot/internal/action"
	"plumebot/internal/plume"
	"plumebot/internal/plumedata"
	"plumebot/internal/render"
	"plumebot/internal/store"
)

// Config is everything the core needs; cmd/plumebot builds it from internal/config.
type Config struct {
	AllowedUsers, AllowedChats, Admins []int64
	AllowEveryone                      bool
	DefaultSSOURL                      string             // PLUME_SSO_URL: /skip at the SSO step takes it
	DefaultAPIBase                     string             // PLUME_API_BASE (default plume.DefaultAPIBase)
	AllowedHosts                       []string           // PLUME_ALLOWED_HOSTS: hosts a URL typed in /auth may name
	Operator                           *plume.Credentials // operator-provisioned credentials, nil if none
	Data                               *plumedata.Source  // required: Plume reads, cached and shared with the process's other consumers
	Logger                             *slog.Logger
	Now                                func() time.Time
	AuthTimeout                        time.Duration // idle /auth conversation expiry, default 10m
	Metrics                            Metrics       // optional, nil-safe
	// ProgressDelay is how long a command may take before a "⏳ Checking…" placeholder is
	// shown (default 400 ms); negative shows it at once.
	ProgressDelay time.Duration
	// Support are the users who may run actions (PLUMEBOT_SUPPORT_USERS); Admins may too.
	// With neither, nobody can act.
	Support []int64
	// Actions tunes the actions (cooldown, per-user limit, waits); the bot fills in the roles,
	// the store, the clock, the audit and the logger.
	Actions action.Config
	// Clock is the actions' clock (their expiry and follow-through); default: Now and the
	// real timers.
	Clock  action.Clock
	Events ChatEvents // optional: what the core learns about chats
}

// ChatEvents hears what the core learns about chats, for features that write to chats
// unprompted (the watcher). Calls come from update handlers: they must not block.
type ChatEvents interface {
	// ChatUnreachable: Telegram refused to deliver to chatID (see ErrChatUnreachable).
	ChatUnreachable(chatID int64)
	// ChatMigrated: the allowed group fromChatID became the supergroup toChatID, which keeps
	// its access.
	ChatMigrated(fromChatID, toChatID int64)
}

// Metrics receives the core's counters (cache counters go through Data's observer).
type Metrics interface {
	// Command counts one update: its command name, outcome ("ok", "usage", "denied",
	// "error:<kind>") and how long it took.
	Command(name, outcome string, d time.Duration)
	// Action counts how one action attempt ended (action.Observer's outcomes).
	Action(kind, outcome string)
}

// Store is the subset of *store.Store the core uses.
type Store interface {
	GetUser(ctx context.Context, userID int64, kind string) ([]byte, error)
	PutUser(ctx context.Context, userID int64, kind string, plaintext []byte) error
	DeleteUser(ctx context.Context, userID int64, kind string) error
	GetTemp(ctx context.Context, key string) ([]byte, error)
	PutTemp(ctx context.Context, key string, val []byte, ttl time.Duration) error
	DeleteTemp(ctx context.Context, key string) error
	GetSealedTemp(ctx context.Context, userID int64, key string) ([]byte, error)
	PutSealedTemp(ctx context.Context, userID int64, key string, val []byte, ttl time.Duration) error
	DeleteSealedTemp(ctx context.Context, userID int64, key string) error
	HoldLock(ctx context.Context, key string, ttl time.Duration) (release func(), err error)
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error) // the actions' short sections
	Digest(name string) string                                                          // the actions' keyed record names
	// The actions' records: confirmations (taken once), cooldowns, limits.
	PutRecord(ctx context.Context, key string, plaintext []byte, ttl time.Duration) error
	GetRecord(ctx context.Context, key string) ([]byte, error)
	TakeRecord(ctx context.Context, key string) ([]byte, error)
	DeleteRecord(ctx context.Context, key string) error
}

// CommandInfo describes a command for Telegram's setMyCommands.
type CommandInfo struct{ Name, Description string }

const (
	// userLockTTL is how long a user waits after a replica died holding their lock (the lock
	// is renewed while an update runs, however long it takes).
	userLockTTL     = 10 * time.Second
	denyReplyEvery  = 10 * time.Minute
	defaultAuthIdle = 10 * time.Minute
	// Answers faster than this need no progress message (a cached report takes ~1 ms, a
	// fresh one about the slowest Plume call).
	defaultProgressDelay = 400 * time.Millisecond
)

// Bot is the chat core. It is safe for concurrent use: updates of different users run in
// parallel; updates of one user are serialised through the store's lock.
type Bot struct {
	cfg     Config
	st      Store
	chat    Chat
	log     *slog.Logger
	now     func() time.Time
	metrics Metrics

	data    *plumedata.Source
	actions *action.Engine
	watch   Watcher // nil: /watch is off (EnableWatches)

	users, chats map[int64]bool
	migrated     sync.Map // supergroup chat ID → the allowed group it was (int64 → int64)
	acks         sync.Map // callback query ID → channel closed once Acknowledge decided its answer

	// Work that outlives an update (an action's expiry and follow-through) runs under bgCtx;
	// Close stops it.
	bgCtx  context.Context
	bgStop context.CancelFunc
	bgWG   sync.WaitGroup

	convMu sync.Mutex
	convs  map[int64]time.Time // /auth conversations this process saw last, by deadline
}

// New checks the configuration and returns a Bot.
func New(cfg Config, st Store, chat Chat) (*Bot, error) {
	if st == nil || chat == nil || cfg.Data == nil {
		return nil, errors.New("bot: store, chat and data source are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ProgressDelay == 0 {
		cfg.ProgressDelay = defaultProgressDelay
	}
	if cfg.AuthTimeout <= 0 {
		cfg.AuthTimeout = defaultAuthIdle
	}
	if cfg.DefaultAPIBase == "" {
		cfg.DefaultAPIBase = plume.DefaultAPIBase
	}
	if cfg.AllowedHosts == nil {
		cfg.AllowedHosts = plume.ParseAllowedHosts(plume.DefaultAllowedHosts)
	}
	if cfg.DefaultSSOURL != "" {
		if err := plume.ValidateURL(cfg.DefaultSSOURL, cfg.AllowedHosts); err != nil {
			return nil, fmt.Errorf("bot: PLUME_SSO_URL: %w", err)
		}
	}
	if err := plume.ValidateURL(cfg.DefaultAPIBase, cfg.AllowedHosts); err != nil {
		return nil, fmt.Errorf("bot: PLUME_API_BASE: %w", err)
	}
	b := &Bot{
		cfg:     cfg,
		st:      st,
		log:     cfg.Logger,
		now:     cfg.Now,
		metrics: cfg.Metrics,
		data:    cfg.Data,
		users:   map[int64]bool{},
		chats:   map[int64]bool{},
		convs:   map[int64]time.Time{},
	}
	if b.metrics == nil {
		b.metrics = nopMetrics{}
	}
	b.chat = guardedChat{Chat: chat, b: b}
	for _, ids := range [][]int64{cfg.AllowedUsers, cfg.Admins, cfg.Support} {
		for _, id := range ids {
			b.users[id] = true
		}
	}
	acfg := cfg.Actions
	acfg.Support, acfg.Admins, acfg.Store, acfg.Logger = cfg.Support, cfg.Admins, st, cfg.Logger
	acfg.Observer, acfg.Clock = actionAudit{b}, cfg.Clock
	if acfg.Clock == nil {
		acfg.Clock = nowClock(cfg.Now)
	}
	b.actions = action.New(acfg)
	b.bgCtx, b.bgStop = context.WithCancel(context.Background())
	for _, id := range cfg.AllowedChats {
		b.chats[id] = true
	}
	if cfg.Operator != nil {
		if _, err := cfg.Data.Session(*cfg.Operator); err != nil {
			return nil, fmt.Errorf("bot: operator credentials: %w", err)
		}
	}
	return b, nil
}

type nopMetrics struct{}

func (nopMetrics) Command(string, string, time.Duration) {}
func (nopMetrics) Action(string, string)                 {}

// nowClock is the actions' clock from Config.Now, with the real timers.
type nowClock func() time.Time

func (c nowClock) Now() time.Time                       { return c() }
func (nowClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// request is the per-update state the handlers share.
type request struct {
	u           Update
	start       time.Time
	command     string
	customer    string
	location    string
	outcome     string
	answered    bool               // the callback was answered
	placeholder int64              // "⏳ Checking…" message to edit into the result, 0 if none
	sess        *plumedata.Session // the user's Plume access, for commands that need one
	quiet       bool               // not a command (a service message): no audit line

	phMu        sync.Mutex  // guards placeholder while a delayed progress message may be sent
	phTimer     *time.Timer // the delayed placeholder, if any
	typingTimer *time.Timer // the delayed typing indicator, if any
	phDone      bool        // a reply has started: no placeholder any more

	secretTried   bool // the update's message may carry a secret and its deletion was tried
	secretDeleted bool // … and it is deleted
}

// Handle processes one update. It never panics outward and only blocks on this user's lock.
// A button press is answered first, before the lock and any Plume work.
func (b *Bot) Handle(ctx context.Context, u Update) {
	r := &request{u: u, start: b.now()}
	ctx, d := withDelivery(withReplyThread(ctx, u.ThreadID))
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("handler panic", "user", u.UserID, "chat", u.ChatID, "command", r.command,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			r.outcome = "error:panic"
			b.safely(func() { b.replyText(ctx, r, msgSomethingWrong) })
		}
		if u.Callback != nil && !r.answered {
			b.safely(func() { b.answer(ctx, r, "") })
		}
		// A placeholder no reply consumed (a handler that replied some other way) must not
		// stay in the chat saying "Checking…" forever.
		r.settle()
		if r.placeholder != 0 {
			b.safely(func() { _ = b.chat.Delete(ctx, u.ChatID, r.placeholder) })
		}
		if d.unreachable.Load() {
			r.outcome = "unreachable"
		}
		if !r.quiet {
			b.audit(r)
		}
	}()

	if u.Callback != nil {
		r.answered = u.Callback.Answered
		b.awaitAcknowledged(ctx, u.Callback.ID)
		if !r.answered {
			b.answer(ctx, r, b.pressToast(ctx, u))
		}
	}
	if u.Service != "" {
		b.onService(ctx, r)
		return
	}
	// A secret must leave the chat before anything that can fail (the store, Plume): in a
	// private chat the /auth step or the reply says what happened; a group's is exposedInGroup.
	if u.Callback == nil && private(u) && looksLikeHeader(u.Text) {
		b.deleteSecretMessage(ctx, r)
	}
	if b.exposedInGroup(ctx, r) {
		return
	}
	if !b.allowed(ctx, u) {
		r.command = commandName(u)
		r.outcome = "denied"
		b.deny(ctx, r)
		return
	}
	// The press was answered above; a confirmation that can do nothing (used, someone
	// else's) stops here, before the lock.
	if u.Callback != nil && !b.preanswer(ctx, r) {
		return
	}
	unlock, err := b.st.HoldLock(ctx, "user:"+strconv.FormatInt(u.UserID, 10), userLockTTL)
	if err != nil {
		r.command = commandName(u)
		b.finish(ctx, r, fmt.Errorf("lock user: %w", err))
		return
	}
	defer unlock()
	if u.Callback != nil {
		err = b.onCallback(ctx, r)
	} else {
		err = b.onMessage(ctx, r)
	}
	b.finish(ctx, r, err)
}

// safely runs f, swallowing a second panic while reporting the first one.
func (b *Bot) safely(f func()) {
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("panic while recovering", "panic", fmt.Sprint(p))
		}
	}()
	f()
}

// commandName is the audit name of an update before it is routed.
func commandName(u Update) string {
	switch {
	case u.Callback != nil:
		return "button"
	case u.Edited:
		return "edited"
	case u.Forwarded:
		return "forwarded"
	}
	if name, _, ok := parseCommand(u.Text); ok {
		if _, known := commandIndex[name]; known {
			return name
		}
		// Anything else a stranger types must not become a metrics label or a log flood.
		return "unknown"
	}
	return "text"
}

// finish turns a handler's error into a reply and an audit outcome.
func (b *Bot) finish(ctx context.Context, r *request, err error) {
	var ue usageError
	var pe *plume.Error
	switch {
	case err == nil:
		if r.outcome == "" {
			r.outcome = "ok"
		}
	case errors.Is(err, ErrChatUnreachable):
		r.outcome = "unreachable" // nothing can reach the chat, an apology neither
	case errors.As(err, &ue):
		r.outcome = "usage"
		b.replyText(ctx, r, string(ue))
	case errors.As(err, &pe):
		r.outcome = "error:" + pe.Kind.String()
		b.replyText(ctx, r, render.Error(err)+chatAdvice(err))
	case errors.Is(err, store.ErrUnavailable):
		r.outcome = "error:storage"
		b.log.Warn("storage unavailable", "user", r.u.UserID, "chat", r.u.ChatID, "command", r.command, "err", err)
		b.replyText(ctx, r, msgStorageUnavailable+r.secretLeft())
	default:
		r.outcome = "error:internal"
		b.log.Error("handler failed", "user", r.u.UserID, "chat", r.u.ChatID, "command", r.command, "err", err)
		b.replyText(ctx, r, msgSomethingWrong+r.secretLeft())
	}
}

// secretLeft is the line to add to an error reply when the update's message looked like a
// secret and could not be deleted: the user must delete it.
func (r *request) secretLeft() string {
	if r.secretTried && !r.secretDeleted {
		return "\n❗ I could not delete your message with the header: please delete it yourself."
	}
	return ""
}

// audit writes the one log event per command and counts it.
func (b *Bot) audit(r *request) {
	d := b.now().Sub(r.start)
	if r.command == "" {
		r.command = commandName(r.u)
	}
	b.log.Info("command", "user", r.u.UserID, "chat", r.u.ChatID, "command", r.command,
		"customer", r.customer, "location", r.location, "outcome", r.outcome, "duration", d)
	b.metrics.Command(r.command, r.outcome, d)
}

// usageError is a reply to bad input: the text is shown as is (already HTML).
type usageError string

func (e usageError) Error() string { return string(e) }

const msgSomethingWrong = "⚠️ Something went wrong on my side. Please try again."

// msgStorageUnavailable answers an update the store could not serve (Redis down or paused).
const msgStorageUnavailable = "⏳ My storage is unavailable right now. Please try again in a moment."

// chatAdvice is what an agent can do in this chat about a Plume error, as a line to append
// to its text; plume's own texts name no chat command.
func chatAdvice(err error) string {
	if errors.Is(err, plume.ErrUnauthorized) {
		return "\nSend /auth to sign in again."
	}
	return ""
}

// isNotFound reports a store record that is missing, or that cannot be opened: for the user it
// is gone either way (a rotation that lost its key must not strand anyone on an error).
func isNotFound(err error) bool { return store.Absent(err) }

// unreadable reports a store record sealed with a key the bot no longer holds, or damaged.
func unreadable(err error) bool {
	return errors.Is(err, store.ErrWrongKey) || errors.Is(err, store.ErrCorrupt)
}

// ActiveConversations is the number of /auth conversations in progress whose last step this
// process handled (the metrics gauge). An abandoned one stops counting when it expires.
func (b *Bot) ActiveConversations() int {
	now := b.now()
	b.convMu.Lock()
	defer b.convMu.Unlock()
	for id, deadline := range b.convs {
		if !now.Before(deadline) {
			delete(b.convs, id)
		}
	}
	return len(b.convs)
}

func (b *Bot) trackConversation(userID int64, deadline time.Time) {
	b.convMu.Lock()
	defer b.convMu.Unlock()
	if deadline.IsZero() {
		delete(b.convs, userID)
		return
	}
	b.convs[userID] = deadline
}
