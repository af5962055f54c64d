package bot

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"plumebot/internal/plumedata"
)

// Button payloads live server-side: callback_data is "a:", a random keyboard ID and the
// button's index, so it is short, opaque and cannot be forged into another user's request.
// The payloads are sealed: they name customers, locations and pods.
const (
	callbackPrefix = "a:"
	callbackIDLen  = 10
	callbackTTL    = 24 * time.Hour
	// buttonsUser is the user ID payloads are sealed under: anyone in a group may press a
	// view's button, and no Telegram user has ID 0.
	buttonsUser = 0
)

// Button actions.
const (
	actHealth   = "health"
	actRefresh  = "refresh"
	actNodes    = "nodes"
	actDevices  = "devices"
	actWiFi     = "wifi"
	actInternet = "internet"
	actWAN      = "wan"
	actHistory  = "stats"
	actPage     = "page" // View says which paginated view
	actWatch    = "watch"
	actUnwatch  = "unwatch" // Extra: the watch's ID
)

// payload is what a button does, stored under its ID.
type payload struct {
	UserID   int64  `json:"u"`
	ChatID   int64  `json:"c"`
	Action   string `json:"a"`
	View     string `json:"v,omitempty"` // actPage: nodes, devices, wifi, locations, find
	Customer string `json:"cu,omitempty"`
	Location string `json:"l,omitempty"`
	Page     int    `json:"p,omitempty"`
	Extra    string `json:"x,omitempty"` // stats window, search text
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func newCallbackID() string {
	var buf [callbackIDLen]byte
	_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	for i, c := range buf {
		buf[i] = idAlphabet[int(c)%len(idAlphabet)]
	}
	return string(buf[:])
}

// btnSpec is a button to build.
type btnSpec struct {
	text string
	p    payload
}

// keyboard builds rows of buttons. Their payloads are stored together, in one record per
// keyboard (one write, not seven: a write is an fsync in the embedded store), and each
// button's data is the record's ID plus its index.
func (b *Bot) keyboard(ctx context.Context, r *request, rows ...[]btnSpec) (Keyboard, error) {
	var (
		kb       Keyboard
		payloads []payload
	)
	id := newCallbackID()
	for _, row := range rows {
		if len(row) == 0 {
			continue
		}
		out := make([]Button, 0, len(row))
		for _, s := range row {
			if len(payloads) == len(idAlphabet) {
				return nil, fmt.Errorf("keyboard of more than %d buttons", len(idAlphabet))
			}
			p := s.p
			p.UserID, p.ChatID = r.u.UserID, r.u.ChatID
			out = append(out, Button{Text: s.text, Data: callbackPrefix + id + idAlphabet[len(payloads):len(payloads)+1]})
			payloads = append(payloads, p)
		}
		kb = append(kb, out)
	}
	if len(payloads) == 0 {
		return nil, nil
	}
	raw, err := json.Marshal(payloads)
	if err != nil {
		return nil, err
	}
	if err := b.st.PutSealedTemp(ctx, buttonsUser, "cb:"+id, raw, callbackTTL); err != nil {
		return nil, fmt.Errorf("store buttons: %w", err)
	}
	return kb, nil
}

// followUps are the buttons under a location report.
func followUps(cid, lid string) [][]btnSpec {
	p := func(a string) payload { return payload{Action: a, Customer: cid, Location: lid} }
	return [][]btnSpec{
		{{"📡 Nodes", p(actNodes)}, {"📱 Devices", p(actDevices)}, {"📶 WiFi", p(actWiFi)}, {"🌐 Internet", p(actInternet)}},
		{{"📊 WAN", p(actWAN)}, {"🕘 History", p(actHistory)}, {"🔄 Refresh", p(actRefresh)}},
	}
}

const (
	msgButtonExpired = "This button has expired; send the command again."
	msgButtonForeign = "This button is not for you."
)

// Acknowledge answers a button press at once, before any Plume work and before the update
// waits behind its user's earlier ones: a toast when the press does nothing ("Not allowed",
// "This button has expired"), "Loading…" when a view follows, which then comes as an edit or
// a new message. The Telegram adapter calls it at intake, before it queues the update, and it
// returns at once: the answer is decided from the store in the background (a paused store
// must not hold up the intake of every user's updates), and Handle waits for that decision
// before it runs the press, so the answer reflects the state before the handler changes it
// (a ✖ Cancel says "Cancelling…", not "already cancelled"). Handle answers a press nobody
// acknowledged (Callback.Answered false) itself.
func (b *Bot) Acknowledge(ctx context.Context, u Update) {
	if u.Callback == nil {
		return
	}
	decided := make(chan struct{})
	b.acks.Store(u.Callback.ID, decided)
	id, chat := u.Callback.ID, u.ChatID
	b.background(func(bg context.Context) {
		toast := b.pressToast(bg, u)
		close(decided)
		actx, cancel := context.WithTimeout(bg, answerTimeout)
		defer cancel()
		if err := b.chat.AnswerCallback(actx, id, toast); err != nil {
			b.log.Warn("answer callback failed", "chat", chat, "err", err)
		}
	})
}

// awaitAcknowledged waits until Acknowledge decided the answer to press id, if it was
// acknowledged here, or until ctx ends.
func (b *Bot) awaitAcknowledged(ctx context.Context, id string) {
	if v, ok := b.acks.LoadAndDelete(id); ok {
		select {
		case <-v.(chan struct{}):
		case <-ctx.Done():
		}
	}
}

// answerTimeout bounds a background answer: Telegram refuses it after some seconds anyway.
const answerTimeout = 15 * time.Second

// pressToast is the toast that answers a press: only store reads, never Plume.
func (b *Bot) pressToast(ctx context.Context, u Update) string {
	if !b.allowed(ctx, u) {
		return "Not allowed"
	}
	if key, yes, ok := parseConfirm(u.Callback.Data); ok {
		toast, _ := b.confirmToast(ctx, u, key, yes, b.actions.Peek)
		return toast
	}
	if strings.HasPrefix(u.Callback.Data, watchPrefix) {
		return b.watchToast(ctx, u)
	}
	p, refusal, _, err := b.loadPress(ctx, u)
	switch {
	case err != nil:
		return "" // the handler says what failed
	case refusal != "":
		return refusal
	case p.Action == actReboot || p.Action == actSpeedTest || p.Action == actOptimize:
		if !b.actions.Role(u.UserID).CanAct() {
			return msgSupportOnly
		}
		return "Preparing the confirmation…"
	case p.Action == actRefresh:
		return "Refreshing…"
	case p.Action == actPage, p.Action == actHistory && p.Extra != "":
		return "" // another page or window of the message pressed: it changes at once
	}
	return "Loading…"
}

// loadPress reads a pressed button's payload. A press that cannot run gets refusal (the toast)
// and outcome ("usage": expired or unknown; "denied": someone else's button).
func (b *Bot) loadPress(ctx context.Context, u Update) (p payload, refusal, outcome string, err error) {
	data := u.Callback.Data
	if !strings.HasPrefix(data, callbackPrefix) || len(data) != len(callbackPrefix)+callbackIDLen+1 {
		return p, msgButtonExpired, "usage", nil
	}
	id := data[len(callbackPrefix) : len(data)-1]
	idx := strings.IndexByte(idAlphabet, data[len(data)-1])
	raw, err := b.st.GetSealedTemp(ctx, buttonsUser, "cb:"+id)
	if err != nil {
		if isNotFound(err) {
			return p, msgButtonExpired, "usage", nil
		}
		return p, "", "", err
	}
	var ps []payload
	if err := json.Unmarshal(raw, &ps); err != nil || idx < 0 || idx >= len(ps) {
		return p, msgButtonExpired, "usage", nil
	}
	p = ps[idx]
	if !b.sameChat(ctx, p.ChatID, u.ChatID) || (private(u) && p.UserID != u.UserID) {
		return p, msgButtonForeign, "denied", nil
	}
	return p, "", "", nil
}

// onCallback runs the pressed button's payload (its press was answered already).
func (b *Bot) onCallback(ctx context.Context, r *request) error {
	r.command = "button"
	if key, yes, ok := parseConfirm(r.u.Callback.Data); ok {
		return b.onConfirmation(ctx, r, key, yes)
	}
	if strings.HasPrefix(r.u.Callback.Data, watchPrefix) {
		return b.onWatchButton(ctx, r)
	}
	p, refusal, outcome, err := b.loadPress(ctx, r.u)
	if err != nil {
		return err
	}
	if p.Action != "" {
		r.command = "button:" + p.Action
		if p.Action == actPage {
			r.command += ":" + p.View
		}
		r.customer, r.location = p.Customer, p.Location
	}
	if refusal != "" {
		b.answer(ctx, r, refusal)
		r.outcome = outcome
		return nil
	}
	s, err := b.session(ctx, r.u.UserID)
	if err != nil {
		return err
	}
	r.sess = s
	loc := locArgs{cid: p.Customer, lid: p.Location}
	switch p.Action {
	case actHealth:
		return b.runHealth(ctx, r, loc, false)
	case actRefresh:
		return b.runHealth(ctx, r, loc, true)
	case actNodes:
		return b.runNodes(ctx, r, loc, 0, 0)
	case actDevices:
		return b.runDevices(ctx, r, loc, 0, 0)
	case actWiFi:
		return b.runWiFi(ctx, r, loc, 0, 0)
	case actInternet:
		return b.runInternet(ctx, r, loc)
	case actWAN:
		return b.runWAN(ctx, r, loc)
	case actHistory:
		w, ok := plumedata.WindowNamed(p.Extra)
		if !ok {
			w = plumedata.DefaultWindow()
		}
		edit := int64(0)
		if p.Extra != "" {
			edit = r.u.MessageID // switching windows edits the history message in place
		}
		return b.runStats(ctx, r, loc, w, edit)
	case actPage:
		return b.runPage(ctx, r, p)
	case actReboot, actSpeedTest, actOptimize:
		return b.onActionButton(ctx, r, p)
	case actWatch:
		if b.watch == nil {
			break
		}
		return b.startWatch(ctx, r, loc, "")
	case actUnwatch:
		if b.watch == nil {
			break
		}
		return b.unwatch(ctx, r, p.Extra, 0)
	}
	b.answer(ctx, r, msgButtonExpired)
	r.outcome = "usage"
	return nil
}

// runPage re-renders a paginated view (from the cache) at another page, editing in place.
func (b *Bot) runPage(ctx context.Context, r *request, p payload) error {
	loc := locArgs{cid: p.Customer, lid: p.Location}
	edit := r.u.MessageID
	switch p.View {
	case actNodes:
		return b.runNodes(ctx, r, loc, p.Page, edit)
	case actDevices:
		return b.runDevices(ctx, r, loc, p.Page, edit)
	case actWiFi:
		return b.runWiFi(ctx, r, loc, p.Page, edit)
	case "locations":
		return b.runLocations(ctx, r, p.Customer, p.Page, edit)
	case "find":
		return b.runFind(ctx, r, p.Extra, p.Page, edit)
	}
	b.answer(ctx, r, msgButtonExpired)
	r.outcome = "usage"
	return nil
}
