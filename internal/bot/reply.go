package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"plumebot/internal/render"
)

// Replying: every answer goes out through these, so a button press is answered exactly once,
// a "⏳ Checking…" placeholder becomes the answer, and long answers keep their order.

// answer answers the update's callback exactly once.
func (b *Bot) answer(ctx context.Context, r *request, text string) {
	if r.u.Callback == nil || r.answered {
		return
	}
	r.answered = true
	if err := b.chat.AnswerCallback(ctx, r.u.Callback.ID, text); err != nil {
		b.log.Warn("answer callback failed", "chat", r.u.ChatID, "err", err)
	}
}

// replyText sends a short text (an error or usage line). For a command with a placeholder the
// placeholder is edited; for a button press the toast carries nothing and a message follows.
func (b *Bot) replyText(ctx context.Context, r *request, html string) {
	if err := b.sendPages(ctx, r, []string{html}, nil); err != nil {
		b.sendFailed(r.u.ChatID, err)
	}
}

// sendPages sends a multi-message result in order, editing the placeholder into the first
// page; the keyboard goes on the last message. A placeholder that cannot be edited (deleted by
// the user, an edit refused) never stays behind saying "Checking…": the page goes out as a new
// message and the placeholder is deleted.
func (b *Bot) sendPages(ctx context.Context, r *request, pages []string, kb Keyboard) error {
	r.settle()
	b.answer(ctx, r, "")
	stale := int64(0)
	defer func() {
		if stale != 0 {
			if err := b.chat.Delete(ctx, r.u.ChatID, stale); err != nil {
				b.sendFailed(r.u.ChatID, err)
			}
		}
	}()
	for i, p := range pages {
		var k Keyboard
		if i == len(pages)-1 {
			k = kb
		}
		if i == 0 && r.placeholder != 0 {
			id := r.placeholder
			r.placeholder = 0
			err := b.chat.Edit(ctx, r.u.ChatID, id, p, k)
			if err == nil {
				continue
			}
			if errors.Is(err, ErrChatUnreachable) {
				return err
			}
			stale = id
		}
		if _, err := b.chat.Send(ctx, r.u.ChatID, p, k); err != nil {
			return fmt.Errorf("send page %d/%d: %w", i+1, len(pages), err)
		}
	}
	return nil
}

// progress shows that a command is taking a while: the typing indicator after typingDelay (a
// cached answer, ~1 ms, needs none), and a "⏳ Checking…" placeholder, later edited into the
// result, only if the answer is not ready within the progress delay, so fast answers cost one
// message, not two, under Telegram's ~30 messages/s.
func (b *Bot) progress(ctx context.Context, r *request) {
	typing := func() {
		// Fire and forget: the answer arriving must not cancel the indicator mid-request.
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = b.chat.Typing(tctx, r.u.ChatID)
	}
	show := func() {
		r.phMu.Lock()
		defer r.phMu.Unlock()
		if r.phDone || r.placeholder != 0 {
			return
		}
		if id, err := b.chat.Send(ctx, r.u.ChatID, "⏳ Checking…", nil); err == nil {
			r.placeholder = id
		}
	}
	r.phMu.Lock()
	r.typingTimer = time.AfterFunc(typingDelay, typing)
	r.phMu.Unlock()
	switch {
	case r.u.Callback != nil:
		// A button press edits or adds a message; typing is enough.
	case b.cfg.ProgressDelay < 0:
		show()
	default:
		r.phMu.Lock()
		r.phTimer = time.AfterFunc(b.cfg.ProgressDelay, show)
		r.phMu.Unlock()
	}
}

// typingDelay: answers faster than this show no typing indicator (one API call saved).
const typingDelay = 150 * time.Millisecond

// settle cancels a placeholder that has not been shown yet, or waits for one being sent;
// after it r.placeholder no longer changes.
func (r *request) settle() {
	r.phMu.Lock()
	defer r.phMu.Unlock()
	r.phDone = true
	for _, t := range []*time.Timer{r.phTimer, r.typingTimer} {
		if t != nil {
			t.Stop()
		}
	}
}

// sendPaged shows one page of a paginated view with ◀ ▶ buttons and the page footer; edit != 0
// edits that message in place (a ◀ ▶ press).
func (b *Bot) sendPaged(ctx context.Context, r *request, pages render.Pages, page int, nav payload,
	extra [][]btnSpec, edit int64) error {
	n := len(pages)
	if n == 0 {
		return errors.New("renderer returned no page")
	}
	page = min(max(page, 0), n-1)
	text := pages[page]
	var rows [][]btnSpec
	if n > 1 {
		if page > 0 {
			text = b.pageHeader(ctx, r, nav, page, n) + text
		}
		text += render.PageFooter(page+1, n)
		var navRow []btnSpec
		if page > 0 {
			p := nav
			p.Action, p.Page = actPage, page-1
			navRow = append(navRow, btnSpec{"◀", p})
		}
		if page < n-1 {
			p := nav
			p.Action, p.Page = actPage, page+1
			navRow = append(navRow, btnSpec{"▶", p})
		}
		rows = append(rows, navRow)
	}
	rows = append(rows, extra...)
	kb, err := b.keyboard(ctx, r, rows...)
	if err != nil {
		return err
	}
	if edit != 0 {
		b.answer(ctx, r, "")
		if err := b.chat.Edit(ctx, r.u.ChatID, edit, text, kb); err == nil {
			return nil
		}
	}
	return b.sendPages(ctx, r, []string{text}, kb)
}

// pageSections name the lists the bot pages through, by payload view.
var pageSections = map[string]string{actNodes: "📡 Pods", actDevices: "💻 Devices", actWiFi: "📶 WiFi networks",
	"locations": "🏠 Locations", "find": "🔎 Search"}

// pageHeader is the first line of page (0-based) of a list: what it is, where, which page.
func (b *Bot) pageHeader(ctx context.Context, r *request, nav payload, page, total int) string {
	place := ""
	switch nav.View {
	case "locations":
		place = "customer " + nav.Customer
	case "find":
		place = "“" + nav.Extra + "”"
	default:
		place = nav.Location
		// The name an agent knows the location by, from the cache the list came with.
		if f, err := r.sess.Location(ctx, nav.Customer, nav.Location, false); err == nil && f.Value != nil && f.Value.Name != "" {
			place = f.Value.Name
		}
	}
	return render.PageHeader(pageSections[nav.View], place, page+1, total)
}
