package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"plumebot/internal/health"
	"plumebot/internal/plume"
	"plumebot/internal/render"
)

// locArgs are the customer and location a command is about; saved is set when they came
// from the user's settings (nothing to remember then).
type locArgs struct {
	cid, lid string
	saved    bool
}

const maxChoiceButtons = 20 // location buttons under /locations and /find; the text lists all

// locationArgs reads "[customerId locationId]", falling back to the user's last location.
func (b *Bot) locationArgs(ctx context.Context, r *request, args []string) (locArgs, error) {
	usage := fmt.Sprintf("Usage: /%s &lt;customerId&gt; &lt;locationId&gt;\nBoth IDs are 24 hex characters; "+
		"once used, /%s alone reuses them.", r.command, r.command)
	switch len(args) {
	case 0:
		s, err := b.loadSettings(ctx, r.u.UserID)
		if err != nil {
			return locArgs{}, err
		}
		if s.CustomerID == "" || s.LocationID == "" {
			return locArgs{}, usageError("No location yet. " + usage)
		}
		r.customer, r.location = s.CustomerID, s.LocationID
		return locArgs{cid: s.CustomerID, lid: s.LocationID, saved: true}, nil
	case 2:
		if err := validateLocation(args[0], args[1]); err != nil {
			return locArgs{}, usageError(invalidText(err) + "\n" + usage)
		}
		r.customer, r.location = args[0], args[1]
		return locArgs{cid: args[0], lid: args[1]}, nil
	}
	return locArgs{}, usageError(usage)
}

// invalidText is the escaped reason of a validation error.
func invalidText(err error) string {
	var pe *plume.Error
	if errors.As(err, &pe) {
		return "⚠️ " + render.Escape(pe.UserMessage())
	}
	return "⚠️ Invalid input."
}

func (b *Bot) opts(age time.Duration) render.Options {
	return render.Options{Now: b.now(), DataAge: age}
}

// ageOf is how old a cached result is; 0 when it was fetched for this request.
func (b *Bot) ageOf(hit bool, at time.Time) time.Duration {
	if !hit {
		return 0
	}
	return b.now().Sub(at)
}

// remember saves the user's last location. Most commands are about the location already
// saved: a read (µs) spares a sealed write (an fsync in the embedded store, ~1 ms).
func (b *Bot) remember(ctx context.Context, r *request, loc locArgs) {
	if loc.saved {
		return
	}
	s := settings{CustomerID: loc.cid, LocationID: loc.lid}
	if old, err := b.loadSettings(ctx, r.u.UserID); err == nil && old == s {
		return
	}
	b.saveSettings(ctx, r.u.UserID, s)
}

// atLocation makes a command taking "[customerId locationId]" out of a view of a location.
func atLocation(run func(b *Bot, ctx context.Context, r *request, loc locArgs) error) func(*Bot, context.Context, *request, []string) error {
	return func(b *Bot, ctx context.Context, r *request, args []string) error {
		loc, err := b.locationArgs(ctx, r, args)
		if err != nil {
			return err
		}
		return run(b, ctx, r, loc)
	}
}

// The first view of each paged or multi-mode command; buttons call the run* functions.
func (b *Bot) showHealth(ctx context.Context, r *request, l locArgs) error {
	return b.runHealth(ctx, r, l, false)
}
func (b *Bot) showNodes(ctx context.Context, r *request, l locArgs) error {
	return b.runNodes(ctx, r, l, 0, 0)
}
func (b *Bot) showDevices(ctx context.Context, r *request, l locArgs) error {
	return b.runDevices(ctx, r, l, 0, 0)
}
func (b *Bot) showWiFi(ctx context.Context, r *request, l locArgs) error {
	return b.runWiFi(ctx, r, l, 0, 0)
}
func (b *Bot) showStats(ctx context.Context, r *request, l locArgs) error {
	return b.runStats(ctx, r, l, statsWindows[1], 0)
}

// sendView remembers the location and sends its view with the follow-up buttons.
func (b *Bot) sendView(ctx context.Context, r *request, loc locArgs, pages render.Pages) error {
	b.remember(ctx, r, loc)
	kb, err := b.keyboard(ctx, r, followUps(loc.cid, loc.lid)...)
	if err != nil {
		return err
	}
	return b.sendPages(ctx, r, pages, kb)
}

func (b *Bot) runHealth(ctx context.Context, r *request, loc locArgs, fresh bool) error {
	r.customer, r.location = loc.cid, loc.lid
	b.progress(ctx, r)
	snap, age := b.snapshot(ctx, r.sess, loc.cid, loc.lid, fresh)
	if snap.LocationErr != nil && snap.NodesErr != nil && snap.DevicesErr != nil {
		return snap.LocationErr // nothing to report: say why once
	}
	if snap.LocationErr == nil {
		b.remember(ctx, r, loc)
	}
	rep := health.Analyze(snap, b.now())
	kb, err := b.keyboard(ctx, r, followUps(loc.cid, loc.lid)...)
	if err != nil {
		return err
	}
	return b.sendPages(ctx, r, render.HealthReport(rep, b.opts(age)), kb)
}

func (b *Bot) runStatus(ctx context.Context, r *request, loc locArgs) error {
	r.customer, r.location = loc.cid, loc.lid
	b.progress(ctx, r)
	f, err := b.location(ctx, r.sess, loc.cid, loc.lid, false)
	if err != nil {
		return err
	}
	return b.sendView(ctx, r, loc, render.Status(f.val, b.opts(b.ageOf(f.hit, f.fetchedAt))))
}

// both runs two fetches in parallel.
func both(f1, f2 func()) {
	var wg sync.WaitGroup
	wg.Go(f1)
	wg.Go(f2)
	wg.Wait()
}

func (b *Bot) runNodes(ctx context.Context, r *request, loc locArgs, page int, edit int64) error {
	r.customer, r.location = loc.cid, loc.lid
	if edit == 0 {
		b.progress(ctx, r)
	}
	var (
		lf       fetched[*plume.Location]
		nf       fetched[[]plume.Node]
		lerr, ne error
	)
	both(func() { lf, lerr = b.location(ctx, r.sess, loc.cid, loc.lid, false) },
		func() { nf, ne = b.nodes(ctx, r.sess, loc.cid, loc.lid, false) })
	if ne != nil {
		return ne
	}
	age := b.ageOf(nf.hit, nf.fetchedAt)
	var l *plume.Location
	if lerr == nil {
		l = lf.val
	}
	b.remember(ctx, r, loc)
	pages := render.Nodes(l, nf.val, b.opts(age))
	nav := payload{View: actNodes, Customer: loc.cid, Location: loc.lid}
	return b.sendPaged(ctx, r, pages, page, nav, followUps(loc.cid, loc.lid), edit)
}

func (b *Bot) runDevices(ctx context.Context, r *request, loc locArgs, page int, edit int64) error {
	r.customer, r.location = loc.cid, loc.lid
	if edit == 0 {
		b.progress(ctx, r)
	}
	var (
		df       fetched[[]plume.Device]
		nf       fetched[[]plume.Node]
		de, nerr error
	)
	both(func() { df, de = b.devices(ctx, r.sess, loc.cid, loc.lid, false) },
		func() { nf, nerr = b.nodes(ctx, r.sess, loc.cid, loc.lid, false) })
	if de != nil {
		return de
	}
	var nodes []plume.Node
	if nerr == nil {
		nodes = nf.val // pod names only; the list still works without them
	}
	b.remember(ctx, r, loc)
	pages := render.Devices(df.val, nodes, b.opts(b.ageOf(df.hit, df.fetchedAt)))
	nav := payload{View: actDevices, Customer: loc.cid, Location: loc.lid}
	return b.sendPaged(ctx, r, pages, page, nav, followUps(loc.cid, loc.lid), edit)
}

func (b *Bot) runWiFi(ctx context.Context, r *request, loc locArgs, page int, edit int64) error {
	r.customer, r.location = loc.cid, loc.lid
	if edit == 0 {
		b.progress(ctx, r)
	}
	f, err := b.wifi(ctx, r.sess, loc.cid, loc.lid, false)
	if err != nil {
		return err
	}
	b.remember(ctx, r, loc)
	pages := render.WiFi(f.val, b.opts(b.ageOf(f.hit, f.fetchedAt)))
	nav := payload{View: actWiFi, Customer: loc.cid, Location: loc.lid}
	return b.sendPaged(ctx, r, pages, page, nav, followUps(loc.cid, loc.lid), edit)
}

func (b *Bot) runInternet(ctx context.Context, r *request, loc locArgs) error {
	r.customer, r.location = loc.cid, loc.lid
	b.progress(ctx, r)
	var (
		lf       fetched[*plume.Location]
		nf       fetched[[]plume.Node]
		le, nerr error
	)
	both(func() { lf, le = b.location(ctx, r.sess, loc.cid, loc.lid, false) },
		func() { nf, nerr = b.nodes(ctx, r.sess, loc.cid, loc.lid, false) })
	if le != nil {
		return le
	}
	var nodes []plume.Node
	if nerr == nil {
		nodes = nf.val
	}
	return b.sendView(ctx, r, loc, render.Internet(lf.val, nodes, b.opts(b.ageOf(lf.hit, lf.fetchedAt))))
}

func (b *Bot) runWAN(ctx context.Context, r *request, loc locArgs) error {
	r.customer, r.location = loc.cid, loc.lid
	b.progress(ctx, r)
	f, err := b.wan(ctx, r.sess, loc.cid, loc.lid, false)
	if err != nil {
		return err
	}
	return b.sendView(ctx, r, loc, render.WAN(f.val, b.opts(b.ageOf(f.hit, f.fetchedAt))))
}

// runStats shows the online history of one window with buttons for the others; edit != 0
// replaces that message (switching windows).
func (b *Bot) runStats(ctx context.Context, r *request, loc locArgs, w statsWindow, edit int64) error {
	r.customer, r.location = loc.cid, loc.lid
	b.progress(ctx, r)
	f, err := b.online(ctx, r.sess, loc.cid, loc.lid, w, false)
	if err != nil {
		return err
	}
	b.remember(ctx, r, loc)
	var row []btnSpec
	for _, o := range statsWindows {
		label := o.name
		if o.name == w.name {
			label = "• " + label + " •"
		}
		row = append(row, btnSpec{label, payload{Action: actHistory, Customer: loc.cid, Location: loc.lid, Extra: o.name}})
	}
	kb, err := b.keyboard(ctx, r, row)
	if err != nil {
		return err
	}
	pages := render.OnlineHistory(f.val, w.name, b.opts(b.ageOf(f.hit, f.fetchedAt)))
	if edit != 0 && len(pages) == 1 {
		b.answer(ctx, r, "")
		if err := b.chat.Edit(ctx, r.u.ChatID, edit, pages[0], kb); err == nil {
			return nil
		}
	}
	return b.sendPages(ctx, r, pages, kb)
}

func (b *Bot) cmdNode(ctx context.Context, r *request, args []string) error {
	const usage = "Usage: /node &lt;serial&gt; (the pod's serial number, letters and digits)"
	if len(args) != 1 {
		return usageError(usage)
	}
	if err := plume.ValidateSerial(args[0]); err != nil {
		return usageError(invalidText(err) + "\n" + usage)
	}
	b.progress(ctx, r)
	f, err := b.nodeLookup(ctx, r.sess, args[0], false)
	if err != nil {
		return err
	}
	n := f.val
	var rows [][]btnSpec
	if n != nil && n.Claimed() && validateLocation(n.CustomerID, n.LocationID) == nil {
		r.customer, r.location = n.CustomerID, n.LocationID
		rows = append(rows, []btnSpec{{"🩺 Health of this location",
			payload{Action: actHealth, Customer: n.CustomerID, Location: n.LocationID}}})
	}
	kb, err := b.keyboard(ctx, r, rows...)
	if err != nil {
		return err
	}
	return b.sendPages(ctx, r, render.NodeLookup(n, b.opts(b.ageOf(f.hit, f.fetchedAt))), kb)
}

func (b *Bot) cmdLocations(ctx context.Context, r *request, args []string) error {
	const usage = "Usage: /locations &lt;customerId&gt; (24 hex characters)"
	if len(args) != 1 {
		return usageError(usage)
	}
	if err := plume.ValidateID("customer", args[0]); err != nil {
		return usageError(invalidText(err) + "\n" + usage)
	}
	return b.runLocations(ctx, r, args[0], 0, 0)
}

func (b *Bot) runLocations(ctx context.Context, r *request, cid string, page int, edit int64) error {
	r.customer = cid
	if edit == 0 {
		b.progress(ctx, r)
	}
	f, err := b.locations(ctx, r.sess, cid, false)
	if err != nil {
		return err
	}
	var rows [][]btnSpec
	for _, l := range f.val {
		if len(rows) == maxChoiceButtons {
			break
		}
		if validateLocation(cid, l.ID) != nil {
			continue
		}
		name := l.Name
		if name == "" {
			name = l.ID
		}
		rows = append(rows, []btnSpec{{"🏠 " + buttonLabel(name), payload{Action: actHealth, Customer: cid, Location: l.ID}}})
	}
	pages := render.Locations(cid, f.val, b.opts(b.ageOf(f.hit, f.fetchedAt)))
	return b.sendPaged(ctx, r, pages, page, payload{View: "locations", Customer: cid}, rows, edit)
}

func (b *Bot) cmdFind(ctx context.Context, r *request, args []string) error {
	const usage = "Usage: /find &lt;text&gt; (an email, account ID, name, pod serial or service ID)"
	text := strings.Join(args, " ")
	if text == "" || utf8.RuneCountInString(text) > 100 {
		return usageError(usage)
	}
	return b.runFind(ctx, r, text, 0, 0)
}

func (b *Bot) runFind(ctx context.Context, r *request, text string, page int, edit int64) error {
	if edit == 0 {
		b.progress(ctx, r)
	}
	f, err := b.search(ctx, r.sess, text, false)
	if err != nil {
		return err
	}
	var rows [][]btnSpec
outer:
	for _, m := range f.val {
		for _, l := range m.Locations {
			if len(rows) == maxChoiceButtons {
				break outer
			}
			if validateLocation(m.CustomerID, l.ID) != nil {
				continue
			}
			label := m.Name
			if l.Name != "" {
				label += " · " + l.Name
			}
			rows = append(rows, []btnSpec{{"🏠 " + buttonLabel(label), payload{Action: actHealth, Customer: m.CustomerID, Location: l.ID}}})
		}
	}
	pages := render.SearchResults(text, f.val, b.opts(b.ageOf(f.hit, f.fetchedAt)))
	return b.sendPaged(ctx, r, pages, page, payload{View: "find", Extra: text}, rows, edit)
}

// buttonLabel keeps button texts short: the full name is in the message above them.
func buttonLabel(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	rs := []rune(s)
	return string(rs[:max-1]) + "…"
}
