package bot

import (
	"context"
	"errors"
	"strings"

	"plumebot/internal/action"
	"plumebot/internal/render"
)

// command is one chat command: its handler and how /help and setMyCommands describe it.
type command struct {
	name, args, desc string
	run              func(b *Bot, ctx context.Context, r *request, args []string) error
	needsCreds       bool
	support          bool // an action: support users and admins only
	watcher          bool // shown only when watching is enabled (EnableWatches)
}

// commands is the router's table, in /help order. It is filled in init because /help reads it.
var commands []command

var commandIndex = map[string]*command{}

func init() {
	commands = []command{
		{name: "start", desc: "Welcome and how to start", run: (*Bot).cmdStart},
		{name: "help", desc: "Commands and the emoji legend", run: (*Bot).cmdHelp},
		{name: "auth", desc: "Sign in with your Plume partner credentials", run: (*Bot).cmdAuth},
		{name: "cancel", desc: "Cancel the current /auth", run: (*Bot).cmdCancel},
		{name: "skip", desc: "Skip an optional /auth step", run: (*Bot).cmdSkip},
		{name: "logout", desc: "Forget your credentials and settings", run: (*Bot).cmdLogout},
		{name: "health", args: "[customerId locationId]", desc: "Health report of a location", run: atLocation((*Bot).showHealth), needsCreds: true},
		{name: "status", args: "[customerId locationId]", desc: "Location status", run: atLocation((*Bot).runStatus), needsCreds: true},
		{name: "nodes", args: "[customerId locationId]", desc: "Pods and their health", run: atLocation((*Bot).showNodes), needsCreds: true},
		{name: "devices", args: "[customerId locationId]", desc: "Connected devices", run: atLocation((*Bot).showDevices), needsCreds: true},
		{name: "wifi", args: "[customerId locationId]", desc: "WiFi networks", run: atLocation((*Bot).showWiFi), needsCreds: true},
		{name: "internet", args: "[customerId locationId]", desc: "Internet link and speed test", run: atLocation((*Bot).runInternet), needsCreds: true},
		{name: "node", args: "<serial>", desc: "Find where a pod is claimed", run: (*Bot).cmdNode, needsCreds: true},
		{name: "locations", args: "<customerId>", desc: "A customer's locations", run: (*Bot).cmdLocations, needsCreds: true},
		{name: "find", args: "<text>", desc: "Search customers (email, account, name, serial, service ID)", run: (*Bot).cmdFind, needsCreds: true},
		{name: "wan", args: "[customerId locationId]", desc: "WAN traffic of the last 24 h", run: atLocation((*Bot).runWAN), needsCreds: true},
		{name: "stats", args: "[customerId locationId]", desc: "Online history (3 h / 24 h / 7 d)", run: atLocation((*Bot).showStats), needsCreds: true},
		{name: "watch", args: "[customerId locationId] [all]", desc: "Post here when a location goes offline or a pod drops", run: (*Bot).cmdWatch, needsCreds: true, watcher: true},
		{name: "unwatch", desc: "Stop watching a location here", run: (*Bot).cmdUnwatch, watcher: true},
		{name: "watches", desc: "Locations watched here and their state", run: (*Bot).cmdWatches, watcher: true},
		{name: "reboot", args: "[customerId locationId]", desc: "Reboot a pod or the whole location", run: atLocation((*Bot).showRebootPicker), needsCreds: true, support: true},
		{name: "speedtest", args: "[customerId locationId]", desc: "Run an ISP speed test on the gateway", run: atLocation(requestAt(action.SpeedTest)), needsCreds: true, support: true},
		{name: "optimize", args: "[customerId locationId]", desc: "Ask Plume to re-plan the WiFi channels", run: atLocation(requestAt(action.Optimize)), needsCreds: true, support: true},
	}
	for i := range commands {
		commandIndex[commands[i].name] = &commands[i]
	}
}

// Commands lists the chat commands for setMyCommands. The menu is the same for everyone, so
// it holds the commands everyone may use; support users find the actions in /help.
func (b *Bot) Commands() []CommandInfo {
	out := make([]CommandInfo, 0, len(commands))
	for _, c := range commands {
		if !c.support && (!c.watcher || b.watch != nil) {
			out = append(out, CommandInfo{Name: c.name, Description: c.desc})
		}
	}
	return out
}

// parseCommand splits "/Cmd@botname a b" into ("cmd", [a b]).
func parseCommand(text string) (name string, args []string, ok bool) {
	fields := strings.Fields(text)
	if len(fields) == 0 || !strings.HasPrefix(fields[0], "/") || len(fields[0]) < 2 {
		return "", nil, false
	}
	name = strings.ToLower(strings.TrimPrefix(fields[0], "/"))
	if at := strings.IndexByte(name, '@'); at >= 0 {
		name = name[:at]
	}
	if name == "" {
		return "", nil, false
	}
	return name, fields[1:], true
}

// onMessage routes a text message: an active /auth conversation takes plain text and /skip;
// everything else goes by command.
func (b *Bot) onMessage(ctx context.Context, r *request) error {
	if r.u.Edited || r.u.Forwarded {
		return b.notTyped(ctx, r)
	}
	name, args, isCmd := parseCommand(r.u.Text)
	if !isCmd || name == "skip" {
		if handled, err := b.authInput(ctx, r, isCmd); handled {
			return err
		}
	}
	if !isCmd {
		r.command = "text"
		if !private(r.u) {
			r.outcome = "ignored" // group chatter is not for us
			return nil
		}
		if looksLikeHeader(written(r.u)) {
			return usageError(b.wrongPlaceForHeader(ctx, r) + " Send /auth to start it.")
		}
		return b.guess(ctx, r)
	}
	c, ok := commandIndex[name]
	if !ok {
		r.command = "unknown"
		if !private(r.u) {
			r.outcome = "ignored" // maybe another bot's: in a group only our commands get a word
			return nil
		}
		return usageError("Unknown command. Send /help to see what I can do.")
	}
	r.command = c.name
	if c.support && !b.canAct(r) {
		return b.refuseRole(ctx, r)
	}
	if c.needsCreds {
		s, err := b.session(ctx, r.u.UserID)
		if err != nil {
			return err
		}
		r.sess = s
	}
	return c.run(b, ctx, r, args)
}

func (b *Bot) cmdStart(ctx context.Context, r *request, args []string) error {
	if err := b.sendHelp(ctx, r, true); err != nil {
		return err
	}
	return b.resumeReachable(ctx, r) // an unblocked bot is /start-ed again
}

func (b *Bot) cmdHelp(ctx context.Context, r *request, args []string) error {
	return b.sendHelp(ctx, r, false)
}

// mainCommands are what /start names to someone who is not signed in: what the bot does.
var mainCommands = []string{"health", "devices", "find", "locations", "node"}

// sendHelp shows the commands and the legend to a user who can query Plume, and how to
// /auth to one who cannot. /start (welcome) also says what the bot is for and, to someone
// without credentials of their own, that the shared ones let them start right away. Saved
// credentials that no longer open count as none, and the text says so first.
func (b *Bot) sendHelp(ctx context.Context, r *request, welcome bool) error {
	_, own, hasCreds, err := b.credentials(ctx, r.u.UserID)
	unreadable := errors.Is(err, errCredsUnreadable)
	if err != nil && !unreadable {
		return err
	}
	var sb strings.Builder
	if welcome {
		sb.WriteString("👋 <b>plumebot</b> checks a subscriber's Plume WiFi for support staff.\n\n")
	}
	if unreadable {
		sb.WriteString(string(errCredsUnreadable) + "\n\n")
	}
	if !hasCreds {
		if welcome {
			sb.WriteString("Once you are signed in:\n")
			for _, name := range mainCommands {
				c := commandIndex[name]
				sb.WriteString("/" + c.name + " " + render.Escape(c.args) + " — " + render.Escape(c.desc) + "\n")
			}
			sb.WriteString("\n")
		}
		sb.WriteString("You are not signed in to Plume yet.\n\n" +
			"Send /auth in a private chat with me. I will ask for:\n" +
			"1. the SSO token URL,\n2. the Authorization header (<code>Basic …</code>),\n" +
			"3. your partner ID,\n4. the API base URL (or /skip).\n\n" +
			"I test them with Plume before saving them, encrypted. /cancel stops at any step.")
		_, err := b.chat.Send(ctx, r.u.ChatID, sb.String(), nil)
		return err
	}
	if welcome && !own {
		sb.WriteString("✅ You can start right away: this bot has shared Plume credentials. " +
			"To use your own instead, send /auth in a private chat with me.\n\n")
	}
	sb.WriteString("<b>Commands</b>\n")
	acts := b.canAct(r)
	for _, c := range commands {
		if c.name == "start" || c.name == "skip" || c.name == "cancel" || c.support && !acts || c.watcher && b.watch == nil {
			continue
		}
		sb.WriteString("/" + c.name)
		if c.args != "" {
			sb.WriteString(" " + render.Escape(c.args))
		}
		sb.WriteString(" — " + render.Escape(c.desc) + "\n")
	}
	sb.WriteString("\nWithout IDs a command uses your last location.\n")
	if acts {
		sb.WriteString("Actions say what will happen and wait for your ✅ Confirm.\n")
	}
	sb.WriteString("\n")
	sb.WriteString(render.Legend())
	pages := render.Split([]string{sb.String()}, render.MaxMessageLen)
	return b.sendPages(ctx, r, pages, nil)
}

func (b *Bot) cmdLogout(ctx context.Context, r *request, args []string) error {
	for _, kind := range []string{kindCreds, kindSettings} {
		if err := b.st.DeleteUser(ctx, r.u.UserID, kind); err != nil && !isNotFound(err) {
			return err
		}
	}
	// Confirmations asked for before /logout do nothing when pressed after it.
	if err := b.actions.Forget(ctx, r.u.UserID); err != nil {
		return err
	}
	text := "👋 Your credentials and settings are deleted."
	if b.cfg.Operator != nil {
		text += " You can still use the shared operator credentials."
	}
	text += b.pausedOnLogout(ctx, r)
	_, err := b.chat.Send(ctx, r.u.ChatID, text, nil)
	return err
}
