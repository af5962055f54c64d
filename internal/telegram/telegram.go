// Package telegram connects plumebot's chat core to the Telegram Bot API: long polling or a webhook
// in, flood-controlled sending out. It is the only package that imports the Telegram library.
//
// From gotgbot it takes the API types and the request plumbing (Bot.RequestWithContext), not
// ext.Updater and ext.Dispatcher, because the bot needs what they do not give:
//   - One user's updates in order. The dispatcher runs each update in a goroutine of its own, so
//     two quick updates of one user (the steps of /auth, a double tap) may run at once or swap.
//     dispatch.go queues them per user: one at a time per user, users in parallel, at most
//     MaxWorkers handlers running.
//   - A bounded queue. Per-user order means updates wait behind their user's earlier one; the
//     queued and running updates together are bounded (16 × MaxWorkers), so a flood holds
//     intake back: Poll stops fetching and confirms nothing it did not queue, and a webhook
//     delivery waits for room and gets 503 (Telegram redelivers) if its request ends first.
//   - A context per update. Library handlers get an ext.Context, which carries no deadline or
//     cancellation; ours get a context.Context ending after HandleTimeout, passed on to Plume
//     and to the sender.
//   - Polling that tells failures apart. The updater retries every getUpdates error alike (by
//     default after a fixed second); Poll backs off, waits out retry_after on 429, says that a
//     409 means another instance or a webhook, and confirms what it queued before it returns,
//     so a restart does not handle it again.
//   - A stricter webhook. The library's handler compares the secret with != and accepts every
//     delivery when none is set, and reads any body whole; WebhookHandler compares in constant
//     time, refuses all when the secret is not valid, and caps the body.
//
// Sending has no library counterpart: sender.go keeps each chat's messages in order, paces them
// (about 1/s per chat, 20/min per group, 30/s overall), waits out retry_after, and sheds typing
// indicators before they delay a reply.
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
	DefaultPerChatInterval = time.Second // ~1 message/s per chat (Bot FAQ)
	DefaultGroupPerMinute  = 20          // 20 messages/min per group (Bot FAQ)
	DefaultGlobalPerSecond = 30          // ~30 messages/s overall (Bot FAQ)

	// The HTTP timeout of getUpdates must exceed its long-poll timeout.
	pollHTTPMargin = 10 * time.Second
	requestTimeout = 30 * time.Second
	chatBurst      = 3 // short bursts are tolerated by Telegram
	maxRetries429  = 3
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
	Sent(method string, err error)                       // each Bot API call outcome
	RateLimited(method string, retryAfter time.Duration) // each 429
}

type noMetrics struct{}

func (noMetrics) UpdateReceived(string)             {}
func (noMetrics) Sent(string, error)                {}
func (noMetrics) RateLimited(string, time.Duration) {}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// limitOr is rate.Inf for a negative setting (pacing off), else every().
func limitOr[T int | time.Duration](v T, every func() rate.Limit) rate.Limit {
	if v < 0 {
		return rate.Inf
	}
	return every()
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
	PerChatInterval time.Duration // pacing per private chat, default 1s (bursts of 3 allowed)
	GroupPerMinute  int           // pacing per group, default 20
	GlobalPerSecond int           // pacing overall, default 30
	Metrics         Metrics       // optional
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

	global     *rate.Limiter // messages (sendMessage, editMessageText) overall
	typing     *rate.Limiter // chat actions: cosmetic, shed rather than queued
	privateLim rate.Limit
	groupLim   rate.Limit
	chatsMu    sync.Mutex
	chats      map[int64]*chatState
	lastSweep  time.Time

	usersMu sync.Mutex
	users   map[int64]*userQueue
	slots   chan struct{} // queued + running updates: back-pressure on intake
	workers chan struct{} // running handlers
	wg      sync.WaitGroup

	backoffMin, backoffMax time.Duration
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
	opts.GroupPerMinute = orDefault(opts.GroupPerMinute, DefaultGroupPerMinute)
	opts.GlobalPerSecond = orDefault(opts.GlobalPerSecond, DefaultGlobalPerSecond)
	switch {
	case opts.MaxWorkers < 0:
		return nil, errors.New("telegram: MaxWorkers must be positive")
	case opts.HandleTimeout < 0:
		return nil, errors.New("telegram: HandleTimeout must be positive")
	case opts.PollTimeout < time.Second:
		return nil, errors.New("telegram: PollTimeout must be at least 1s")
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if t := opts.HTTPClient.Timeout; t != 0 && t < opts.PollTimeout+pollHTTPMargin {
		return nil, fmt.Errorf("telegram: HTTP client timeout %s must exceed PollTimeout+%s", t, pollHTTPMargin)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Metrics == nil {
		opts.Metrics = noMetrics{}
	}
	apiURL := strings.TrimSuffix(opts.APIURL, "/")
	b, err := gotgbot.NewBot(opts.Token, &gotgbot.BotOpts{
		BotClient: &gotgbot.BaseBotClient{
			Client:             *opts.HTTPClient,
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
		users:      map[int64]*userQueue{},
		slots:      make(chan struct{}, opts.MaxWorkers*16),
		workers:    make(chan struct{}, opts.MaxWorkers),
		backoffMin: time.Second,
		backoffMax: 30 * time.Second,
	}
	// A burst of a third of the rate: arrival jitter at Telegram then never adds up to more
	// than its ~30/s, which a full-size burst paced at exactly 30/s did (429s in plumebench).
	a.global = rate.NewLimiter(limitOr(opts.GlobalPerSecond, func() rate.Limit {
		return rate.Limit(opts.GlobalPerSecond)
	}), max(opts.GlobalPerSecond/3, 1))
	a.typing = rate.NewLimiter(limitOr(opts.GlobalPerSecond, func() rate.Limit {
		return rate.Limit(opts.GlobalPerSecond)
	}), max(opts.GlobalPerSecond, 1))
	a.privateLim = limitOr(opts.PerChatInterval, func() rate.Limit { return rate.Every(opts.PerChatInterval) })
	a.groupLim = limitOr(opts.GroupPerMinute, func() rate.Limit {
		return rate.Every(time.Minute / time.Duration(opts.GroupPerMinute))
	})
	a.me.Store("")
	return a, nil
}

// APIError is an error reply of the Bot API.
type APIError struct {
	Method      string
	Code        int // error_code, e.g. 400, 403, 409, 429
	Description string
	RetryAfter  time.Duration // from parameters.retry_after on 429
}

func (e *APIError) Error() string {
	return fmt.Sprintf("telegram %s: %d %s", e.Method, e.Code, e.Description)
}

// notModified reports Telegram's "message is not modified", which is success for an edit.
func notModified(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == 400 && strings.Contains(ae.Description, "message is not modified")
}

// redactedError hides the token: errors from the HTTP client may carry the request URL,
// which contains it. Only context errors stay reachable through Unwrap.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (a *Adapter) redact(s string) string {
	s = strings.ReplaceAll(s, a.token, "<token>")
	return strings.ReplaceAll(s, url.PathEscape(a.token), "<token>")
}

func (a *Adapter) wrapErr(method string, err error) error {
	if err == nil {
		return nil
	}
	var te *gotgbot.TelegramError
	if errors.As(err, &te) {
		ae := &APIError{Method: method, Code: te.Code, Description: a.redact(te.Description)}
		if te.ResponseParams != nil {
			ae.RetryAfter = time.Duration(te.ResponseParams.RetryAfter) * time.Second
		}
		return ae
	}
	var inner error
	switch {
	case errors.Is(err, context.Canceled):
		inner = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		inner = context.DeadlineExceeded
	}
	return &redactedError{msg: a.redact(fmt.Sprintf("telegram %s: %v", method, err)), err: inner}
}

// call makes one Bot API request; every error it returns is token-free.
func (a *Adapter) call(ctx context.Context, method string, params map[string]any, timeout time.Duration) (json.RawMessage, error) {
	if timeout == 0 {
		timeout = requestTimeout
	}
	raw, err := a.bot.RequestWithContext(ctx, method, params, &gotgbot.RequestOpts{Timeout: timeout, APIURL: a.apiURL})
	err = a.wrapErr(method, err)
	a.metrics.Sent(method, err)
	return raw, err
}

// callRetry is call that waits out 429 replies (the whole retry_after, at most maxRetries429 times).
func (a *Adapter) callRetry(ctx context.Context, method string, params map[string]any) (json.RawMessage, error) {
	for attempt := 0; ; attempt++ {
		raw, err := a.call(ctx, method, params, 0)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Code != http.StatusTooManyRequests || attempt >= maxRetries429 {
			return raw, err
		}
		wait := max(ae.RetryAfter, time.Second)
		a.metrics.RateLimited(method, wait)
		a.log.Warn("telegram flood control: waiting before retrying", "method", method, "retry_after", wait, "attempt", attempt+1)
		if err := sleepCtx(ctx, wait); err != nil {
			return nil, fmt.Errorf("telegram %s: waiting out flood control: %w", method, err)
		}
		// The retry is another message: it takes a pacing slot like any other, or a burst of
		// retries after one 429 would earn the next.
		if paced(method) {
			if err := a.global.Wait(ctx); err != nil {
				return nil, fmt.Errorf("telegram %s: pacing: %w", method, err)
			}
		}
	}
}

// paced reports whether method sends a message that counts against Telegram's rate limits.
func paced(method string) bool { return method == "sendMessage" || method == "editMessageText" }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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
