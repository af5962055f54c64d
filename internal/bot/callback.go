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

// onCallback loads the pressed button's payload, checks it belongs to the presser and runs it.
func (b *Bot) onCallback(ctx context.Context, r *request) error {
	r.command = "button"
	data := r.u.Callback.Data
	expired := func() error {
		b.answer(ctx, r, msgButtonExpired)
		r.outcome = "usage"
		return nil
	}
	if key, yes, ok := parseConfirm(data); ok {
		return b.onConfirmation(ctx, r, key, yes)
	}
	if !strings.HasPrefix(data, callbackPrefix) || len(data) != len(callbackPrefix)+callbackIDLen+1 {
		return expired()
	}
	id := data[len(callbackPrefix) : len(data)-1]
	idx := strings.IndexByte(idAlphabet, data[len(data)-1])
	raw, err := b.st.GetSealedTemp(ctx, buttonsUser, "cb:"+id)
	if err != nil {
		if isNotFound(err) {
			return expired()
		}
		return err
	}
	var ps []payload
	if err := json.Unmarshal(raw, &ps); err != nil || idx < 0 || idx >= len(ps) {
		return expired()
	}
	p := ps[idx]
	r.command = "button:" + p.Action
	if p.Action == actPage {
		r.command += ":" + p.View
	}
	r.customer, r.location = p.Customer, p.Location
	private := r.u.ChatType == ChatPrivate || r.u.ChatType == ""
	if p.ChatID != r.u.ChatID || (private && p.UserID != r.u.UserID) {
		b.answer(ctx, r, msgButtonForeign)
		r.outcome = "denied"
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
		b.answer(ctx, r, "Refreshing…")
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
