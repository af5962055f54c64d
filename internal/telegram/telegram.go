// Package telegram connects plumebot's chat core to the Telegram Bot API: long polling or a webhook
// in, flood-controlled sending out. It is the only package that imports the Telegram library.
//
// From gotgbot it takes the API types and the request plumbing (Bot.RequestWithContext), not
// ext.Updater and ext.Dispatcher, because the bot needs what they do not give:
//   - One user's updates in order. The dispatcher runs each update in a goroutine of its own, so
//     two quick updates of one user (the steps of /auth, a double tap) may run at once or swap.
//     dispatch.go queues them per user: one at a time per user, users in parallel, at most
//     MaxWorkers handlers running.
//   - Bounded queues. One user's waiting updates are bounded (UserQueue: a flood is dropped with
//     one notice per burst, and counted), and all queued and running ones together (16 ×
//     MaxWorkers: beyond it intake waits, and a webhook delivery gets 503 so Telegram keeps it).
//   - A context per update. Library handlers get an ext.Context, which carries no deadline or
//     cancellation; ours get a context.Context ending after HandleTimeout (or at the end of a
//     drain), passed on to Plume and to the sender.
//   - A bounded stop. Drain waits DrainTimeout for queued and running updates, then cancels
//     what runs and gives back what waits: Poll confirms no update it did not start, so the
//     next start fetches them again.
//   - Each update once. An update delivered twice (a webhook retried, two replicas, a refetch
//     after a restart) is skipped through Seen, the store's leases (intake.go).
//   - Polling that tells failures apart. The updater retries every getUpdates error alike (by
//     default after a fixed second); Poll backs off, waits out retry_after on 429, and says
//     that a 409 means another instance or a webhook (poll.go).
//   - A stricter webhook. The library's handler compares the secret with != and accepts every
//     delivery when none is set, and reads any body whole; WebhookHandler compares in constant
//     time, refuses all when the secret is not valid, caps the body, and answers 200 to every
//     authentic delivery, even one the library cannot decode (logged by update ID and path):
//     another answer makes Telegram redeliver it forever. Both intakes share one decoder.
//
// Sending has no library counterpart: sender.go keeps each chat's messages in order; pacing.go
// paces them exactly at Telegram's limits (30 in any second overall, a burst of 3 then one per
// second per chat, 20 in any minute per group); request.go retries 429 (waiting out
// retry_after, then slowing the whole sender), 5xx and lost connections; errors.go turns
// Telegram's lasting refusals (blocked, kicked, chat gone) into bot.ErrChatUnreachable.
package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
	"golang.org/x/time/rate"

	"plumebot/internal/bot"
)

// Defaults of Options.
const (
	DefaultAPIURL          = "https://api.telegram.org"
	DefaultMaxWorkers      = 64
	DefaultHandleTimeout   = 2 * time.Minute
	DefaultPollTimeout     = 50 * time.Second
	DefaultPerChatInterval = time.Second // one message per second per chat (Bot FAQ)...
	DefaultChatBurst       = 3           // ...after a short burst, which Telegram tolerates
	DefaultGroupPerMinute  = 20          // 20 messages in any minute per group (Bot FAQ)
	DefaultGlobalPerSecond = 30          // 30 messages in any second overall (Bot FAQ)
	DefaultUserQueue       = 5
	DefaultDrainTimeout    = 10 * time.Second
	DefaultDedupTTL        = time.Hour

	// The HTTP timeout of getUpdates must exceed its long-poll timeout.
	pollHTTPMargin = 10 * time.Second
	requestTimeout = 30 * time.Second
)

// Handler receives converted updates.
type Handler interface {
	Handle(ctx context.Context, u bot.Update)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, u bot.Update)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, u bot.Update) { f(ctx, u) }

// Metrics are optional hooks for counting what the adapter does.
type Metrics interface {
	UpdateReceived(kind string)                          // "message", "callback", "other"
	UpdateDropped(reason string)                         // one of the Drop* reasons
	Sent(method, outcome string)                         // each Bot API call: an Outcome*
	RateLimited(method string, retryAfter time.Duration) // each 429
}

type noMetrics struct{}

func (noMetrics) UpdateReceived(string)             {}
func (noMetrics) UpdateDropped(string)              {}
func (noMetrics) Sent(string, string)               {}
func (noMetrics) RateLimited(string, time.Duration) {}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Options configure an Adapter. Zero values take the defaults above; a negative
// PerChatInterval, GroupPerMinute or GlobalPerSecond turns that pacing off (tests).
type Options struct {
	Token           string // bot token; never logged nor put in an error
	APIURL          string // default https://api.telegram.org
	HTTPClient      *http.Client
	Logger          *slog.Logger
	MaxWorkers      int           // updates handled at once, default 64
	HandleTimeout   time.Duration // per-update deadline, default 2m
	PollTimeout     time.Duration // getUpdates long-poll timeout, default 50s (HTTP timeout +10s)
	PerChatInterval time.Duration // pacing per chat after its burst, default 1s
	ChatBurst       int           // messages at once in one chat, default 3
	GroupPerMinute  int           // messages in any minute per group, default 20
	GlobalPerSecond int           // messages in any second overall, default 30
	// UserQueue bounds one user's updates waiting behind the one being handled, default 5;
	// beyond it updates are dropped (see dispatch.go).
	UserQueue int
	// DrainTimeout bounds the wait for queued and running handlers when Poll or Drain stops,
	// default 10s; then running handlers are cancelled and queued ones given back.
	DrainTimeout time.Duration
	// Seen records the updates taken on, so that one delivered twice is handled once; shared
	// by replicas when it is the store. Default: this process only.
	Seen Seen
	// DedupTTL is how long an update ID is remembered, default 1h (Telegram redelivers a
	// webhook update for minutes, and a restart refetches unconfirmed updates at once).
	DedupTTL time.Duration
	Metrics  Metrics // optional
}

// Command is one entry of the bot's command menu.
type Command struct{ Name, Description string }

// Adapter is the Telegram side of plumebot. Create it with New.
type Adapter struct {
	bot     *gotgbot.Bot
	token   string
	apiURL  string
	log     *slog.Logger
	metrics Metrics
	opts    Options
	me      atomic.Value // string: our username once known
	ready   readiness

	global    *window       // messages (sendMessage, editMessageText, ...) overall
	typing    *rate.Limiter // chat actions: cosmetic, shed rather than queued
	chatsMu   sync.Mutex
	chats     map[int64]*chatState
	lastSweep time.Time

	queue         dispatcher
	seenDownUntil atomic.Int64 // Unix ns: until then Seen is not asked (take)

	backoffMin, backoffMax time.Duration // getUpdates and deleteWebhook failures
	retryMin, retryMax     time.Duration // failed sends (5xx, connection lost)
}

var tokenRE = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)

// New validates opts and returns an Adapter. It makes no request (no getMe).
func New(opts Options) (*Adapter, error) {
	if !tokenRE.MatchString(opts.Token) {
		// Never echo the token, even a malformed one.
		return nil, errors.New("telegram: bot token is missing or malformed (expected <digits>:<secret> from @BotFather)")
	}
	if opts.APIURL == "" {
		opts.APIURL = DefaultAPIURL
	}
	u, err := url.Parse(opts.APIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("telegram: API URL %q must be an http(s) URL", opts.APIURL)
	}
	opts.MaxWorkers = orDefault(opts.MaxWorkers, DefaultMaxWorkers)
	opts.HandleTimeout = orDefault(opts.HandleTimeout, DefaultHandleTimeout)
	opts.PollTimeout = orDefault(opts.PollTimeout, DefaultPollTimeout)
	opts.PerChatInterval = orDefault(opts.PerChatInterval, DefaultPerChatInterval)
	opts.ChatBurst = orDefault(opts.ChatBurst, DefaultChatBurst)
	opts.GroupPerMinute = orDefault(opts.GroupPerMinute, DefaultGroupPerMinute)
	opts.GlobalPerSecond = orDefault(opts.GlobalPerSecond, DefaultGlobalPerSecond)
	opts.UserQueue = orDefault(opts.UserQueue, DefaultUserQueue)
	opts.DrainTimeout = orDefault(opts.DrainTimeout, DefaultDrainTimeout)
	opts.DedupTTL = orDefault(opts.DedupTTL, DefaultDedupTTL)
	switch {
	case opts.MaxWorkers < 0:
		return nil, errors.New("telegram: MaxWorkers must be positive")
	case opts.HandleTimeout < 0:
		return nil, errors.New("telegram: HandleTimeout must be positive")
	case opts.PollTimeout < time.Second:
		return nil, errors.New("telegram: PollTimeout must be at least 1s")
	case opts.ChatBurst < 0, opts.UserQueue < 0, opts.DrainTimeout < 0, opts.DedupTTL < 0:
		return nil, errors.New("telegram: ChatBurst, UserQueue, DrainTimeout and DedupTTL must be positive")
	}
	client := http.Client{}
	if opts.HTTPClient != nil {
		client = *opts.HTTPClient
	}
	if t := client.Timeout; t != 0 && t < opts.PollTimeout+pollHTTPMargin {
		return nil, fmt.Errorf("telegram: HTTP client timeout %s must exceed PollTimeout+%s", t, pollHTTPMargin)
	}
	if client.Transport == nil {
		client.Transport = http.DefaultTransport
	}
	client.Transport = jsonErrors{client.Transport}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Metrics == nil {
		opts.Metrics = noMetrics{}
	}
	if opts.Seen == nil {
		opts.Seen = &localSeen{}
	}
	apiURL := strings.TrimSuffix(opts.APIURL, "/")
	b, err := gotgbot.NewBot(opts.Token, &gotgbot.BotOpts{
		BotClient: &gotgbot.BaseBotClient{
			Client:             client,
			DefaultRequestOpts: &gotgbot.RequestOpts{Timeout: requestTimeout, APIURL: apiURL},
		},
		DisableTokenCheck: true,
	})
	if err != nil {
		return nil, errors.New("telegram: cannot create the bot client (check the token format)")
	}
	a := &Adapter{
		bot:        b,
		token:      opts.Token,
		apiURL:     apiURL,
		log:        opts.Logger,
		metrics:    opts.Metrics,
		opts:       opts,
		chats:      map[int64]*chatState{},
		global:     newWindow(opts.GlobalPerSecond, time.Second),
		backoffMin: time.Second,
		backoffMax: 30 * time.Second,
		retryMin:   500 * time.Millisecond,
		retryMax:   4 * time.Second,
	}
	// Chat actions have a budget of their own at the overall rate; they are shed, not queued.
	a.typing = rate.NewLimiter(rate.Inf, 0)
	if opts.GlobalPerSecond > 0 {
		a.typing = rate.NewLimiter(rate.Limit(opts.GlobalPerSecond), opts.GlobalPerSecond)
	}
	a.queue.init(a)
	a.me.Store("")
	return a, nil
}

// Me calls getMe (for readiness checks) and remembers the bot's username, so that commands
// addressed to other bots in groups ("/health@OtherBot") are ignored.
func (a *Adapter) Me(ctx context.Context) (string, error) {
	raw, err := a.call(ctx, "getMe", map[string]any{}, 0)
	if err != nil {
		return "", err
	}
	var u gotgbot.User
	if err := json.Unmarshal(raw, &u); err != nil {
		return "", fmt.Errorf("telegram getMe: decoding reply: %w", err)
	}
	a.me.Store(u.Username)
	return u.Username, nil
}

var commandRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// SetCommands replaces the bot's command menu (setMyCommands) after checking Telegram's limits.
func (a *Adapter) SetCommands(ctx context.Context, cmds []Command) error {
	if len(cmds) > 100 {
		return fmt.Errorf("telegram setMyCommands: %d commands, at most 100 allowed", len(cmds))
	}
	list := make([]map[string]string, 0, len(cmds))
	for _, c := range cmds {
		if !commandRE.MatchString(c.Name) {
			return fmt.Errorf("telegram setMyCommands: command name %q must be 1-32 characters of a-z, 0-9, _", c.Name)
		}
		if n := len([]rune(strings.TrimSpace(c.Description))); n < 1 || n > 256 {
			return fmt.Errorf("telegram setMyCommands: description of %q must be 1-256 characters", c.Name)
		}
		list = append(list, map[string]string{"command": c.Name, "description": c.Description})
	}
	_, err := a.callRetry(ctx, "setMyCommands", map[string]any{"commands": list})
	return err
}

var secretRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// ValidWebhookSecret reports whether s is a valid webhook secret_token: 1–256 of A-Za-z0-9_-.
func ValidWebhookSecret(s string) bool { return secretRE.MatchString(s) }

// SetWebhook registers url as the webhook, with secret sent back in every delivery.
func (a *Adapter) SetWebhook(ctx context.Context, hookURL, secret string) error {
	u, err := url.Parse(hookURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return errors.New("telegram setWebhook: the webhook URL must be an https URL")
	}
	if !ValidWebhookSecret(secret) {
		return errors.New("telegram setWebhook: the secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
	}
	_, err = a.callRetry(ctx, "setWebhook", map[string]any{
		"url":             hookURL,
		"secret_token":    secret,
		"allowed_updates": allowedUpdates,
	})
	return err
}

// allowedUpdates: edits come too, so that a header pasted by editing a message is deleted and
// an edited command gets a word instead of silence (the core never runs an edit).
var allowedUpdates = []string{"message", "edited_message", "callback_query"}
