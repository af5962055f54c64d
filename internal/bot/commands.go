package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"plumebot/internal/health"
	"plumebot/internal/plume"
	"plumebot/internal/plumedata"
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
		if err := plumedata.ValidateLocation(args[0], args[1]); err != nil {
			return locArgs{}, usageError(invalidText(err) + "\n" + usage)
		}
		cid, lid := plume.CanonicalID(args[0]), plume.CanonicalID(args[1])
		r.customer, r.location = cid, lid
		return locArgs{cid: cid, lid: lid}, nil
	case 1:
		return locArgs{}, usageError("⚠️ The location ID is missing: a command about a location takes the customer ID, then the location ID.\n" + usage)
	}
	return locArgs{}, usageError(extraArgs(args[2:]) + "\n" + usage)
}

// invalidText is the escaped reason of a validation error.
func invalidText(err error) string {
	var pe *plume.Error
	if errors.As(err, &pe) {
		return "⚠️ " + render.Escape(pe.UserMessage())
	}
	return "⚠️ Invalid input."
}

// opts are the render options of a view whose data is meta's (its age, when cached).
func (b *Bot) opts(m plumedata.Meta) render.Options {
	now := b.now()
	return render.Options{Now: now, DataAge: m.Age(now)}
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

// begin is the preamble of every view, run before it reads Plume: the audit names the
// location, and a slow answer shows progress (typing; for a command also a placeholder).
func (b *Bot) begin(ctx context.Context, r *request, loc locArgs) {
	if loc.cid != "" {
		r.customer, r.location = loc.cid, loc.lid
	}
	b.progress(ctx, r)
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
	return b.runStats(ctx, r, l, plumedata.DefaultWindow(), 0)
}

// sendView remembers the location and sends its view with the follow-up buttons, after the
// rows given first.
func (b *Bot) sendView(ctx context.Context, r *request, loc locArgs, pages render.Pages, first ...[]btnSpec) error {
	b.remember(ctx, r, loc)
	kb, err := b.keyboard(ctx, r, append(first, followUps(loc.cid, loc.lid)...)...)
	if err != nil {
		return err
	}
	return b.sendPages(ctx, r, pages, kb)
}

func (b *Bot) runHealth(ctx context.Context, r *request, loc locArgs, fresh bool) error {
	b.begin(ctx, r, loc)
	snap, err := r.sess.Snapshot(ctx, loc.cid, loc.lid, plumedata.AllParts, fresh)
	if err != nil {
		return err
	}
	if snap.LocationErr != nil && snap.NodesErr != nil && snap.DevicesErr != nil {
		return snap.LocationErr // nothing to report: say why once
	}
	if snap.LocationErr == nil {
		b.remember(ctx, r, loc)
	}
	now := b.now()
	rep := health.Analyze(snap.Snapshot, now)
	rows := followUps(loc.cid, loc.lid)
	rows[len(rows)-1] = append(rows[len(rows)-1], b.watchButton(ctx, r, loc)...)
	kb, err := b.keyboard(ctx, r, rows...)
	if err != nil {
		return err
	}
	return b.sendPages(ctx, r, render.HealthReport(rep, render.Options{Now: now, DataAge: snap.Age(now)}), kb)
}

func (b *Bot) runStatus(ctx context.Context, r *request, loc locArgs) error {
	b.begin(ctx, r, loc)
	f, err := r.sess.Location(ctx, loc.cid, loc.lid, false)
	if err != nil {
		return err
	}
	return b.sendView(ctx, r, loc, render.Status(f.Value, b.opts(f.Meta)))
}

// pods reads a location's pods, and its record when it can (names, the gateway's WAN details):
// the pods view and the reboot picker.
func (b *Bot) pods(ctx context.Context, r *request, loc locArgs) (plumedata.Snapshot, error) {
	b.begin(ctx, r, loc)
	snap, err := r.sess.Snapshot(ctx, loc.cid, loc.lid, plumedata.PartLocation|plumedata.PartNodes, false)
	if err != nil {
		return snap, err
	}
	if snap.NodesErr != nil {
		return snap, snap.NodesErr
	}
	b.remember(ctx, r, loc)
	return snap, nil
}

// runNodes lists the pods; the location (for the gateway's WAN details) is optional.
func (b *Bot) runNodes(ctx context.Context, r *request, loc locArgs, page int, edit int64) error {
	snap, err := b.pods(ctx, r, loc)
	if err != nil {
		return err
	}
	pages := render.Nodes(snap.Location, snap.Nodes, b.opts(snap.Part(plumedata.PartNodes)))
	nav := payload{View: actNodes, Customer: loc.cid, Location: loc.lid}
	rows := append(b.actionRows(r, loc, actNodes, snap.Nodes), followUps(loc.cid, loc.lid)...)
	return b.sendPaged(ctx, r, pages, page, nav, rows, edit)
}

// runDevices lists the devices; the nodes only name their pods, so the list works without.
func (b *Bot) runDevices(ctx context.Context, r *request, loc locArgs, page int, edit int64) error {
	b.begin(ctx, r, loc)
	snap, err := r.sess.Snapshot(ctx, loc.cid, loc.lid, plumedata.PartDevices|plumedata.PartNodes, false)
	if err != nil {
		return err
	}
	if snap.DevicesErr != nil {
		return snap.DevicesErr
	}
	b.remember(ctx, r, loc)
	pages := render.Devices(snap.Devices, snap.Nodes, b.opts(snap.Part(plumedata.PartDevices)))
	nav := payload{View: actDevices, Customer: loc.cid, Location: loc.lid}
	return b.sendPaged(ctx, r, pages, page, nav, followUps(loc.cid, loc.lid), edit)
}

func (b *Bot) runWiFi(ctx context.Context, r *request, loc locArgs, page int, edit int64) error {
	b.begin(ctx, r, loc)
	f, err := r.sess.WiFiNetworks(ctx, loc.cid, loc.lid, false)
	if err != nil {
		return err
	}
	b.remember(ctx, r, loc)
	pages := render.WiFi(f.Value, b.opts(f.Meta))
	nav := payload{View: actWiFi, Customer: loc.cid, Location: loc.lid}
	return b.sendPaged(ctx, r, pages, page, nav, followUps(loc.cid, loc.lid), edit)
}

// runInternet shows the WAN link; the nodes (the gateway's speed test) are optional.
func (b *Bot) runInternet(ctx context.Context, r *request, loc locArgs) error {
	b.begin(ctx, r, loc)
	snap, err := r.sess.Snapshot(ctx, loc.cid, loc.lid, plumedata.PartLocation|plumedata.PartNodes, false)
	if err != nil {
		return err
	}
	if snap.LocationErr != nil {
		return snap.LocationErr
	}
	return b.sendView(ctx, r, loc, render.Internet(snap.Location, snap.Nodes, b.opts(snap.Part(plumedata.PartLocation))),
		b.actionRows(r, loc, actInternet, nil)...)
}

func (b *Bot) runWAN(ctx context.Context, r *request, loc locArgs) error {
	b.begin(ctx, r, loc)
	f, err := r.sess.WANStats(ctx, loc.cid, loc.lid, false)
	if err != nil {
		return err
	}
	return b.sendView(ctx, r, loc, render.WAN(f.Value, b.opts(f.Meta)))
}

// runStats shows the online history of one window with buttons for the others; edit != 0
// replaces that message (switching windows).
func (b *Bot) runStats(ctx context.Context, r *request, loc locArgs, w plumedata.Window, edit int64) error {
	b.begin(ctx, r, loc)
	f, err := r.sess.OnlineStats(ctx, loc.cid, loc.lid, w, false)
	if err != nil {
		return err
	}
	b.remember(ctx, r, loc)
	var row []btnSpec
	for _, o := range plumedata.Windows() {
		label := o.Name
		if o.Name == w.Name {
			label = "• " + label + " •"
		}
		row = append(row, btnSpec{label, payload{Action: actHistory, Customer: loc.cid, Location: loc.lid, Extra: o.Name}})
	}
	kb, err := b.keyboard(ctx, r, row)
	if err != nil {
		return err
	}
	pages := render.OnlineHistory(f.Value, w.Name, b.opts(f.Meta))
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
	switch {
	case len(args) == 0:
		return usageError("⚠️ The serial number is missing.\n" + usage)
	case len(args) > 1:
		return usageError(extraArgs(args[1:]) + "\n" + usage)
	}
	if err := plume.ValidateSerial(args[0]); err != nil {
		return usageError(invalidText(err) + "\n" + usage)
	}
	b.begin(ctx, r, locArgs{})
	f, err := r.sess.NodeLookup(ctx, args[0], false)
	if err != nil {
		return err
	}
	n := f.Value
	var rows [][]btnSpec
	if n != nil && n.Claimed() && plumedata.ValidateLocation(n.CustomerID, n.LocationID) == nil {
		r.customer, r.location = n.CustomerID, n.LocationID
		rows = append(rows, []btnSpec{{"🩺 Health of this location",
			payload{Action: actHealth, Customer: n.CustomerID, Location: n.LocationID}}})
	}
	kb, err := b.keyboard(ctx, r, rows...)
	if err != nil {
		return err
	}
	return b.sendPages(ctx, r, render.NodeLookup(n, b.opts(f.Meta)), kb)
}

func (b *Bot) cmdLocations(ctx context.Context, r *request, args []string) error {
	const usage = "Usage: /locations &lt;customerId&gt; (24 hex characters)"
	switch {
	case len(args) == 0:
		return usageError("⚠️ The customer ID is missing.\n" + usage)
	case len(args) > 1:
		return usageError(extraArgs(args[1:]) + "\n" + usage)
	}
	if err := plume.ValidateID("customer", args[0]); err != nil {
		return usageError(invalidText(err) + "\n" + usage)
	}
	return b.runLocations(ctx, r, plume.CanonicalID(args[0]), 0, 0)
}

func (b *Bot) runLocations(ctx context.Context, r *request, cid string, page int, edit int64) error {
	b.begin(ctx, r, locArgs{cid: cid})
	f, err := r.sess.Locations(ctx, cid, false)
	if err != nil {
		return err
	}
	var rows [][]btnSpec
	for _, l := range f.Value {
		if len(rows) == maxChoiceButtons {
			break
		}
		if plumedata.ValidateLocation(cid, l.ID) != nil {
			continue
		}
		name := l.Name
		if name == "" {
			name = l.ID
		}
		rows = append(rows, []btnSpec{{"🏠 " + buttonLabel(name), payload{Action: actHealth, Customer: cid, Location: l.ID}}})
	}
	pages := render.Locations(cid, f.Value, b.opts(f.Meta))
	return b.sendPaged(ctx, r, pages, page, payload{View: "locations", Customer: cid}, rows, edit)
}

func (b *Bot) cmdFind(ctx context.Context, r *request, args []string) error {
	const usage = "Usage: /find &lt;text&gt; (an email, account ID, name, pod serial or service ID)"
	text := strings.Join(args, " ")
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return usageError("⚠️ The text to search for is missing.\n" + usage)
	case n > 100:
		return usageError(fmt.Sprintf("⚠️ The search text is %d characters long; at most 100 are allowed.\n", n) + usage)
	}
	return b.runFind(ctx, r, text, 0, 0)
}

func (b *Bot) runFind(ctx context.Context, r *request, text string, page int, edit int64) error {
	b.begin(ctx, r, locArgs{})
	f, err := r.sess.SearchCustomers(ctx, text, false)
	if err != nil {
		return err
	}
	var rows [][]btnSpec
outer:
	for _, m := range f.Value {
		for _, l := range m.Locations {
			if len(rows) == maxChoiceButtons {
				break outer
			}
			if plumedata.ValidateLocation(m.CustomerID, l.ID) != nil {
				continue
			}
			label := m.Name
			if l.Name != "" {
				label += " · " + l.Name
			}
			rows = append(rows, []btnSpec{{"🏠 " + buttonLabel(label), payload{Action: actHealth, Customer: m.CustomerID, Location: l.ID}}})
		}
	}
	pages := render.SearchResults(text, f.Value, b.opts(f.Meta))
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
