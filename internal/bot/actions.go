package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"plumebot/internal/action"
	"plumebot/internal/plume"
	"plumebot/internal/plumedata"
	"plumebot/internal/render"
)

// The chat side of the actions (internal/action runs them): /reboot with its pod picker,
// /speedtest, /optimize and their buttons under /nodes and /internet, for support users only;
// the confirmation with ✅ Confirm and ✖ Cancel, whose buttons carry nothing but the
// confirmation's opaque key; and the message that follows the action to its end.

// Button actions of the actions (payloads, like the views').
const (
	actReboot    = "reboot"    // Extra: the pod's ID, "" for the whole location; View "picker": edit in place
	actSpeedTest = "speedtest" // from /internet
	actOptimize  = "optimize"  // from /internet
)

// Confirmation buttons: "k:", the key, then y (confirm) or n (cancel).
const confirmPrefix = "k:"

func confirmData(key string, yes bool) string {
	if yes {
		return confirmPrefix + key + "y"
	}
	return confirmPrefix + key + "n"
}

// parseConfirm reads a confirmation button's data.
func parseConfirm(data string) (key string, yes, ok bool) {
	if !strings.HasPrefix(data, confirmPrefix) || len(data) != len(confirmPrefix)+action.KeyLen+1 {
		return "", false, false
	}
	key, last := data[len(confirmPrefix):len(data)-1], data[len(data)-1]
	if !action.ValidKey(key) || (last != 'y' && last != 'n') {
		return "", false, false
	}
	return key, last == 'y', true
}

// kindEmoji heads an action's messages.
var kindEmoji = map[action.Kind]string{action.RebootPod: "🔄", action.RebootLocation: "🔄", action.SpeedTest: "⚡", action.Optimize: "🛠"}

// canAct reports whether the update's user may run actions.
func (b *Bot) canAct(r *request) bool { return b.actions.Role(r.u.UserID).CanAct() }

// msgSupportOnly is the toast of a viewer's press of an action button.
const msgSupportOnly = "Only support staff may do this."

// refuseRole tells a viewer that actions are for support staff.
func (b *Bot) refuseRole(ctx context.Context, r *request) error {
	r.outcome = "denied"
	text := "⛔ " + render.Escape((&action.Refusal{Reason: action.NotAllowed}).Error())
	if r.u.Callback != nil {
		b.answer(ctx, r, msgSupportOnly)
		return nil
	}
	b.replyText(ctx, r, text)
	return nil
}

// access is the session's Plume access for the engine.
func access(s *plumedata.Session) action.Access {
	return action.Access{Actor: s.Actor(), Reader: s.Fresh(), Fingerprint: s.Fingerprint()}
}

// showRebootPicker is /reboot: the location's pods as buttons, and the whole location.
func (b *Bot) showRebootPicker(ctx context.Context, r *request, loc locArgs) error {
	snap, err := b.pods(ctx, r, loc)
	if err != nil {
		return err
	}
	name := "this location"
	if snap.Location != nil && snap.Location.Name != "" {
		name = snap.Location.Name
	}
	text := fmt.Sprintf("🔄 <b>Reboot at %s</b>\nChoose a pod, or every pod at once. Nothing restarts before you confirm.", render.Escape(name))
	rows := rebootRows(loc, snap.Nodes, "🔄 ", "picker")
	rows = append(rows, []btnSpec{{"🏠 Every pod (the whole location)", payload{Action: actReboot, Customer: loc.cid, Location: loc.lid, View: "picker"}}})
	kb, err := b.keyboard(ctx, r, rows...)
	if err != nil {
		return err
	}
	return b.sendPages(ctx, r, []string{text}, kb)
}

// maxPodButtons bounds the pod buttons of one keyboard (a keyboard holds at most 62 buttons).
const maxPodButtons = 40

// rebootRows are a button per pod, two to a row, for the first maxPodButtons pods with an ID
// Plume would take back (a pod listed without one gets none).
func rebootRows(loc locArgs, nodes []plume.Node, prefix, view string) [][]btnSpec {
	var rows [][]btnSpec
	buttons := 0
	for _, n := range nodes {
		if buttons == maxPodButtons {
			break
		}
		if plume.ValidateSerial(n.ID) != nil {
			continue
		}
		buttons++
		label := n.Name()
		if n.IsGateway() {
			label += " (gateway)"
		}
		btn := btnSpec{prefix + buttonLabel(label), payload{Action: actReboot, Customer: loc.cid, Location: loc.lid, Extra: n.ID, View: view}}
		if len(rows) > 0 && len(rows[len(rows)-1]) < 2 {
			rows[len(rows)-1] = append(rows[len(rows)-1], btn)
			continue
		}
		rows = append(rows, []btnSpec{btn})
	}
	return rows
}

// actionRows are the action buttons a support user sees under a view (nil for others).
func (b *Bot) actionRows(r *request, loc locArgs, view string, nodes []plume.Node) [][]btnSpec {
	if !b.canAct(r) {
		return nil
	}
	switch view {
	case actNodes:
		return rebootRows(loc, nodes, "🔄 Reboot ", "")
	case actInternet:
		return [][]btnSpec{{{"⚡ Speed test", payload{Action: actSpeedTest, Customer: loc.cid, Location: loc.lid}},
			{"🛠 Optimize", payload{Action: actOptimize, Customer: loc.cid, Location: loc.lid}}}}
	}
	return nil
}

// requestAt makes the /speedtest and /optimize commands.
func requestAt(kind action.Kind) func(b *Bot, ctx context.Context, r *request, loc locArgs) error {
	return func(b *Bot, ctx context.Context, r *request, loc locArgs) error {
		b.begin(ctx, r, loc)
		b.remember(ctx, r, loc)
		return b.requestAction(ctx, r, kind, action.Target{CustomerID: loc.cid, LocationID: loc.lid}, 0)
	}
}

// onActionButton runs a pressed action button: answered at once, then the confirmation.
func (b *Bot) onActionButton(ctx context.Context, r *request, p payload) error {
	if !b.canAct(r) {
		return b.refuseRole(ctx, r)
	}
	b.answer(ctx, r, "Preparing the confirmation…")
	t := action.Target{CustomerID: p.Customer, LocationID: p.Location}
	kind := action.SpeedTest
	switch p.Action {
	case actReboot:
		kind, t.NodeID = action.RebootLocation, p.Extra
		if p.Extra != "" {
			kind = action.RebootPod
		}
	case actOptimize:
		kind = action.Optimize
	}
	var edit int64
	if p.View == "picker" && p.UserID == r.u.UserID {
		edit = r.u.MessageID // the picker becomes the confirmation; someone else's stays theirs
	}
	return b.requestAction(ctx, r, kind, t, edit)
}

// requestAction asks the engine for a confirmation and shows it, editing message edit when
// it is not 0 (the picker), with ✅ Confirm and ✖ Cancel; unanswered, it expires in place.
func (b *Bot) requestAction(ctx context.Context, r *request, kind action.Kind, t action.Target, edit int64) error {
	if !b.canAct(r) {
		return b.refuseRole(ctx, r)
	}
	r.customer, r.location = t.CustomerID, t.LocationID
	p, err := b.actions.Request(ctx, access(r.sess), action.Request{Kind: kind, UserID: r.u.UserID, ChatID: r.u.ChatID, Target: t})
	var ref *action.Refusal
	if errors.As(err, &ref) {
		r.outcome = "refused:" + ref.Reason.String()
		b.showAction(ctx, r, edit, refusalText(ref), nil)
		return nil
	}
	if err != nil {
		return err
	}
	header := actionHeader(kind, p.Summary)
	text := fmt.Sprintf("%s\n%s\n\nConfirm within %d s.", header, render.Escape(p.Effect), int(p.Expires.Sub(b.now()).Round(time.Second)/time.Second))
	kb := Keyboard{{{Text: "✅ Confirm", Data: confirmData(p.Key, true)}, {Text: "✖ Cancel", Data: confirmData(p.Key, false)}}}
	id := b.showAction(ctx, r, edit, text, kb)
	if id == 0 {
		return nil
	}
	chat := r.u.ChatID
	b.background(func(bg context.Context) {
		b.actions.ExpireAfter(bg, p, func(string) {
			b.editAction(bg, chat, id, header+"\n⌛ Not confirmed within a minute: nothing was done.")
		})
	})
	return nil
}

// showAction edits message edit (when not 0) or sends a new one, and returns its ID (0 when
// neither worked).
func (b *Bot) showAction(ctx context.Context, r *request, edit int64, html string, kb Keyboard) int64 {
	r.settle()
	b.answer(ctx, r, "")
	if edit != 0 {
		if err := b.chat.Edit(ctx, r.u.ChatID, edit, html, kb); err == nil {
			return edit
		}
	}
	if r.placeholder != 0 {
		id := r.placeholder
		r.placeholder = 0
		if err := b.chat.Edit(ctx, r.u.ChatID, id, html, kb); err == nil {
			return id
		}
	}
	id, err := b.chat.Send(ctx, r.u.ChatID, html, kb)
	if err != nil {
		b.log.Warn("send failed", "chat", r.u.ChatID, "err", err)
		return 0
	}
	return id
}

func actionHeader(kind action.Kind, summary string) string {
	return kindEmoji[kind] + " <b>" + render.Escape(summary) + "</b>"
}

func refusalText(ref *action.Refusal) string {
	emoji := "⛔"
	switch ref.Reason {
	case action.Cooldown, action.Limit, action.Expired:
		emoji = "⏳"
	case action.UnknownPod:
		emoji = "⚠️"
	}
	return emoji + " " + render.Escape(ref.Error())
}

// preanswer answers a confirmation button at once, before the user's lock and any Plume work,
// with what the press will do (unless the adapter answered it at intake already). ok is false
// when there is nothing more to do (a used confirmation, someone else's).
func (b *Bot) preanswer(ctx context.Context, r *request) (ok bool) {
	key, yes, valid := parseConfirm(r.u.Callback.Data)
	if !valid {
		return true // not a confirmation button: the router answers it
	}
	toast, ref := b.confirmToast(ctx, r.u, key, yes, b.actions.Check)
	b.answer(ctx, r, toast)
	if ref != nil {
		r.command, r.outcome = "confirm", "refused:"+ref.Reason.String()
		return false
	}
	return true
}

// confirmToast is the toast for a press of ✅ Confirm or ✖ Cancel, from the confirmation's
// record as look (the engine's Peek, or Check for the look that decides the press) reads it,
// with no Plume work; refused is set when the press can do nothing (used, someone else's). An
// expired one is used up by the handler, which says so in the message.
func (b *Bot) confirmToast(ctx context.Context, u Update, key string, yes bool,
	look func(ctx context.Context, key string, user, chat int64) (action.Kind, error)) (toast string, refused *action.Refusal) {
	kind, err := look(ctx, key, u.UserID, u.ChatID)
	var ref *action.Refusal
	switch {
	case errors.As(err, &ref) && ref.Reason != action.Expired:
		return ref.Error(), ref
	case err != nil && ref == nil:
		return "", nil // the store failed: the handler says so
	case ref != nil:
		return "This confirmation expired: nothing was done.", nil
	case !yes:
		return "Cancelling…", nil
	case kind == action.SpeedTest:
		return "Starting the speed test…", nil
	case kind == action.Optimize:
		return "Asking Plume to optimize…", nil
	}
	return "Rebooting…", nil
}

// onConfirmation runs a pressed ✅ Confirm or ✖ Cancel.
func (b *Bot) onConfirmation(ctx context.Context, r *request, key string, yes bool) error {
	r.command = "confirm"
	msg, chat := r.u.MessageID, r.u.ChatID
	b.answer(ctx, r, "")
	if !yes {
		r.command = "cancel"
		summary, err := b.actions.Cancel(ctx, key, r.u.UserID, chat)
		if err != nil {
			return b.actionFailed(ctx, r, err)
		}
		b.editAction(ctx, chat, msg, "✖ <b>"+render.Escape(summary)+"</b>\nCancelled: nothing was done.")
		return nil
	}
	s, err := b.session(ctx, r.u.UserID)
	if err != nil {
		return err
	}
	acc := access(s)
	c, err := b.actions.Confirm(ctx, acc, key, r.u.UserID, chat)
	if err != nil {
		return b.actionFailed(ctx, r, err)
	}
	r.customer, r.location = c.Target.CustomerID, c.Target.LocationID
	who := r.u.FirstName
	if who == "" {
		who = fmt.Sprint(r.u.UserID)
	}
	head := actionHeader(c.Kind, c.Summary) + "\n" + fmt.Sprintf("Confirmed by %s at %s UTC.", render.Escape(who), c.ActedAt.UTC().Format("15:04"))
	b.background(func(bg context.Context) {
		b.actions.Follow(bg, acc, c, func(st action.Status) {
			b.editAction(bg, chat, msg, head+"\n"+render.Escape(st.Text))
		})
	})
	return nil
}

// actionFailed shows why a pressed confirmation did nothing, in place of its buttons.
func (b *Bot) actionFailed(ctx context.Context, r *request, err error) error {
	var ref *action.Refusal
	var pe *plume.Error
	switch {
	case errors.As(err, &ref):
		r.outcome = "refused:" + ref.Reason.String()
		if ref.Reason == action.Gone || ref.Reason == action.NotYours {
			return nil // the toast said it; the message belongs to someone else's press
		}
		b.editAction(ctx, r.u.ChatID, r.u.MessageID, refusalText(ref))
		return nil
	case errors.As(err, &pe):
		r.outcome = "error:" + pe.Kind.String()
		b.editAction(ctx, r.u.ChatID, r.u.MessageID, "⚠️ "+render.Escape(pe.UserMessage())+chatAdvice(err))
		return nil
	}
	return err
}

// editAction replaces an action's message (its buttons go); a failure is logged, not shown.
func (b *Bot) editAction(ctx context.Context, chat, msg int64, html string) {
	if err := b.chat.Edit(ctx, chat, msg, html, nil); err != nil {
		b.log.Warn("edit failed", "chat", chat, "err", err)
	}
}

// background runs f outside the update (an expiry, a follow-through) until Close.
func (b *Bot) background(f func(ctx context.Context)) {
	b.bgWG.Go(func() { f(b.bgCtx) })
}

// Close stops the follow-throughs and expiries in progress and waits for them; serve calls it
// when it shuts down, after the last update was handled.
func (b *Bot) Close() {
	b.bgStop()
	b.bgWG.Wait()
}

// actionAudit is the engine's Observer: its events go to the bot's audit log, its outcomes to
// the metrics.
type actionAudit struct{ b *Bot }

func (a actionAudit) Audit(e action.Event) {
	a.b.log.Info("action", "stage", string(e.Stage), "action", string(e.Kind), "user", e.UserID, "chat", e.ChatID,
		"customer", e.Target.CustomerID, "location", e.Target.LocationID, "node", e.Target.NodeID,
		"result", e.Result, "plume_status", e.PlumeStatus)
}

func (a actionAudit) Outcome(kind action.Kind, outcome string) {
	a.b.metrics.Action(string(kind), outcome)
}
