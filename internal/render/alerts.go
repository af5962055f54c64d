package render

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // alerts show times in the location's zone, also where the system has no zoneinfo

	"plumebot/internal/health"
	"plumebot/internal/watch"
)

// Alert renders one watch alert as one message: what changed and when, in the location's time
// zone when Plume gave one (named), else in UTC; the location and customer IDs; who
// acknowledged the incident (by name in a group). Plume's names and the acknowledger's name
// are escaped; a long list of pods is cut with "and N more", so the message always fits.
func Alert(a watch.Alert) string {
	var b strings.Builder
	name := bold(or(a.Name, "Location"))
	t := func(at time.Time) string { return alertTime(at, a.Confirmed, a.TimeZone) }
	switch a.Kind {
	case watch.KindOffline:
		fmt.Fprintf(&b, "🔴 %s went offline at %s", name, t(a.At))
	case watch.KindOnline:
		fmt.Fprintf(&b, "🟢 %s is back online", name)
		if a.Duration > 0 {
			b.WriteString(" after " + health.Duration(a.Duration) + ",")
		}
		b.WriteString(" at " + t(a.At))
		if len(a.Pods) > 0 {
			b.WriteString("\n🟠 Still disconnected: " + podNames(a.Pods))
		}
	case watch.KindPodDown, watch.KindPodUp:
		emoji, what := "🟠", "disconnected"
		if a.Kind == watch.KindPodUp {
			emoji, what = "🟢", "reconnected"
		}
		if len(a.Pods) == 1 {
			fmt.Fprintf(&b, "%s %s: pod %s %s at %s", emoji, name, podNames(a.Pods), what, t(a.At))
		} else {
			fmt.Fprintf(&b, "%s %s: %d pods %s at %s\n%s", emoji, name, len(a.Pods), what, t(a.At), podNames(a.Pods))
		}
	case watch.KindLevelWorse, watch.KindLevelBetter:
		what := "got worse"
		if a.Kind == watch.KindLevelBetter {
			what = "got better"
		}
		fmt.Fprintf(&b, "%s %s %s at %s: %s → %s", a.Level.Emoji(), name, what, t(a.At), level(a.PrevLevel), level(a.Level))
	case watch.KindFlapping:
		fmt.Fprintf(&b, "🔁 %s is flapping: %d outages within the hour, since %s\n"+
			"No more alerts about it until it is stable; then one says how it is.", name, a.Flaps, t(a.At))
	case watch.KindStable:
		fmt.Fprintf(&b, "✅ %s is stable again after flapping for %s", name, health.Duration(a.Duration))
		if a.Online {
			b.WriteString(": " + level(a.Level))
		} else {
			b.WriteString(", but 🔴 offline")
		}
		if len(a.Pods) > 0 && a.Online {
			b.WriteString("\n🟠 Still disconnected: " + podNames(a.Pods))
		}
	case watch.KindPaused:
		b.WriteString("⏸ Watching " + name)
		if a.Affected > 1 {
			fmt.Fprintf(&b, " and %d other %s in this chat", a.Affected-1, plural(a.Affected-1, "location", "locations"))
		}
		b.WriteString(" is paused: " + pauseReason(a.Reason))
	default:
		fmt.Fprintf(&b, "%s %s changed at %s", a.Level.Emoji(), name, t(a.At))
	}
	b.WriteString("\nLocation " + code(a.LocationID) + "\nCustomer " + code(a.CustomerID))
	if ack := Acknowledged(a.AckedBy, a.ChatID); ack != "" {
		b.WriteString("\n" + ack)
	}
	if a.Redelivery {
		b.WriteString("\n<i>Sent again: an earlier copy may have reached this chat.</i>")
	}
	return b.String()
}

// Acknowledged is the line that says who took charge of an incident: by name in a group
// (chatID < 0), without in a private chat; "" when nobody did.
func Acknowledged(by *watch.Actor, chatID int64) string {
	switch {
	case by == nil:
		return ""
	case chatID < 0:
		return "✅ Acknowledged by " + bold(or(by.Name, "someone"))
	}
	return "✅ Acknowledged"
}

// maxPodList bounds the pod names in one alert (UTF-16 units of text): a hotel's 14 pods with
// long names stay far below Telegram's 4096.
const maxPodList = 1500

// podNames lists pods in bold, the gateway marked, cut with "and N more" past maxPodList.
func podNames(pods []watch.PodChange) string {
	var out []string
	n := 0
	for i, p := range pods {
		s := bold(or(p.Name, p.Serial))
		if p.Gateway {
			s += " (gateway)"
		}
		if n += textLen(s) + 2; n > maxPodList && i > 0 {
			out = append(out, fmt.Sprintf("and %d more", len(pods)-i))
			break
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

func level(l health.Level) string { return l.Emoji() + " " + l.String() }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// pauseReason says why the watcher paused a watch and what brings it back.
func pauseReason(r watch.PauseReason) string {
	switch r {
	case watch.ReasonCredentials:
		return "Plume refused the credentials of the agent who set it up. It resumes when they sign in again with /auth."
	case watch.ReasonLoggedOut:
		return "the agent who set it up has no Plume credentials any more. It resumes when they sign in with /auth."
	case watch.ReasonAccessRevoked:
		return "the agent who set it up may no longer use this bot."
	case watch.ReasonForbidden:
		return "Plume says these credentials may not see this location."
	case watch.ReasonNotFound:
		return "Plume no longer knows this customer or location. /unwatch removes it."
	case watch.ReasonChatUnreachable:
		return "this chat could not be reached."
	}
	return "it cannot be checked now."
}

// alertTime is t in zone (an IANA name from Plume; UTC when empty or unknown), named, with
// the date when it is not the day of ref (when the alert was decided).
func alertTime(t, ref time.Time, zone string) string {
	loc, suffix := time.UTC, " UTC"
	if zone != "" {
		if l, err := time.LoadLocation(zone); err == nil {
			loc, suffix = l, " ("+esc(zone)+")"
		}
	}
	t, ref = t.In(loc), ref.In(loc)
	layout := "15:04"
	if y, m, d := t.Date(); ref.IsZero() || y != ref.Year() || m != ref.Month() || d != ref.Day() {
		layout = "Mon 2 Jan 15:04"
	}
	return t.Format(layout) + suffix
}
