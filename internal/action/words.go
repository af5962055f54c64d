package action

import (
	"fmt"
	"strings"
	"time"

	"plumebot/internal/plume"
)

// The engine's words: plain text (the front end escapes it), with Plume's names as they are.

// rebootOutage is what a reboot costs the subscriber, as Plume's pods take it.
const rebootOutage = "about 2–3 minutes"

func podLabel(n plume.Node) string {
	return fmt.Sprintf("%s (serial %s)", n.Name(), n.ID)
}

func podWords(nodes []plume.Node, i int, now time.Time) (summary, effect string) {
	n := nodes[i]
	what := "pod"
	if n.IsGateway() {
		what = "gateway"
	}
	summary = fmt.Sprintf("Reboot %s %s", what, podLabel(n))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s restarts; devices on it lose WiFi for %s.", capital(what), podLabel(n), rebootOutage)
	if c := n.ConnectedDeviceCount; c > 0 {
		fmt.Fprintf(&b, " %s connected to it now.", plural(c, "device is", "devices are"))
	}
	if n.IsGateway() {
		fmt.Fprintf(&b, " It is the gateway: the whole home loses internet for %s.", rebootOutage)
	}
	if behind := behind(nodes, n.ID); len(behind) > 0 {
		fmt.Fprintf(&b, " Pods behind it lose their link too: %s.", nameList(behind))
	}
	if !n.Connected() {
		fmt.Fprintf(&b, " It is disconnected now%s: Plume may not reach it.", since(n.ConnectionStateChangeAt, now))
	}
	return summary, b.String()
}

// since is " (for 2 h 4 min)", the time since t, or "" when Plume gave no time.
func since(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	return " (for " + span(now.Sub(t).Truncate(time.Minute)) + ")"
}

// unreachable is what a confirmation says about a location Plume cannot reach now (it, for a
// location's action; its pods, for a reboot), or "": the location is offline, or some of the
// pods are disconnected.
func unreachable(l *plume.Location, nodes []plume.Node, it string, now time.Time) string {
	if l != nil && strings.EqualFold(l.NetworkStatus.Status, "offline") {
		return fmt.Sprintf(" The location is offline now%s: Plume may not reach %s.", since(l.NetworkStatus.StatusChangedAt, now), it)
	}
	var off []string
	for _, n := range nodes {
		if !n.Connected() {
			off = append(off, n.Name())
		}
	}
	switch len(off) {
	case 0:
		return ""
	case 1:
		return " " + off[0] + " is disconnected now: Plume may not reach it."
	}
	return " " + nameList(off) + " are disconnected now: Plume may not reach them."
}

// behind names the pods whose path to the cloud goes through the pod id.
func behind(nodes []plume.Node, id string) []string {
	var out []string
	for _, n := range nodes {
		for _, h := range n.LeafToRoot {
			if strings.EqualFold(h.ID, id) && !strings.EqualFold(n.ID, id) {
				out = append(out, n.Name())
				break
			}
		}
	}
	return out
}

func locationName(l *plume.Location) string {
	if l != nil && l.Name != "" {
		return l.Name
	}
	return "this location"
}

func locationWords(l *plume.Location, nodes []plume.Node, now time.Time) (summary, effect string) {
	name := locationName(l)
	devices := 0
	for _, n := range nodes {
		devices += n.ConnectedDeviceCount
	}
	summary = "Reboot every pod at " + name
	effect = fmt.Sprintf("Every pod at %s (%s) restarts; the whole home loses WiFi and internet for %s.",
		name, plural(len(nodes), "pod", "pods"), rebootOutage)
	if devices > 0 {
		effect += fmt.Sprintf(" %s connected now.", plural(devices, "device is", "devices are"))
	}
	return summary, effect + unreachable(l, nodes, "its pods", now)
}

func speedTestWords(nodes []plume.Node, gw int) (summary, effect string) {
	if gw < 0 {
		return "ISP speed test", "The gateway runs a speed test to the internet for about a minute. " +
			"Plume lists no gateway here: the test may not run."
	}
	g := nodes[gw]
	summary = "ISP speed test on the gateway " + podLabel(g)
	effect = fmt.Sprintf("The gateway %s runs a speed test to the internet for about a minute; the internet may be slower meanwhile.", g.Name())
	if !g.Connected() {
		effect += " The gateway is disconnected now: the test will probably not run."
	}
	return summary, effect
}

func optimizeWords(l *plume.Location, now time.Time) (summary, effect string) {
	name := locationName(l)
	return "Optimization of " + name, fmt.Sprintf("Plume re-plans the WiFi channels and the mesh of %s; "+
		"devices may reconnect briefly over the next minutes.", name) + unreachable(l, nil, "it", now)
}

// span is a duration in words, to the second under an hour: "45 s", "2 min 14 s", "10 min".
func span(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		s := fmt.Sprintf("%d min", int(d/time.Minute))
		if sec := int(d % time.Minute / time.Second); sec > 0 {
			s += fmt.Sprintf(" %d s", sec)
		}
		return s
	}
	s := fmt.Sprintf("%d h", int(d/time.Hour))
	if m := int(d % time.Hour / time.Minute); m > 0 {
		s += fmt.Sprintf(" %d min", m)
	}
	return s
}

// maxNames bounds a list of pod names in a message: a hotel has dozens of pods, each name up to
// a few hundred characters, and a message must stay under Telegram's 4096.
const maxNames = 8

// nameList joins names with commas, the first maxNames of them and how many more.
func nameList(names []string) string {
	if len(names) <= maxNames {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:maxNames], ", ") + fmt.Sprintf(" and %d more", len(names)-maxNames)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// num formats a speed-test figure as the reports do: 500, 38.9.
func num(f float64) string {
	return strings.TrimSuffix(fmt.Sprintf("%.1f", f), ".0")
}
