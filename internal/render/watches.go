package render

import (
	"fmt"
	"strings"
	"time"

	"plumebot/internal/health"
	"plumebot/internal/watch"
)

// Watches renders a chat's watches (/watches): each location's state as the watcher last
// confirmed it, its last and next check, its snooze, pause and open incident, and the schedule
// the watcher achieves within its Plume budget (st). Relative times are from o.Now.
func Watches(list []watch.Status, st watch.Stats, o Options) Pages {
	if len(list) == 0 {
		return Pages{"🔕 No location is watched in this chat.\nSend /watch &lt;customerId&gt; &lt;locationId&gt; (or /watch after /health) to start."}
	}
	parts := []string{fmt.Sprintf("🔔 <b>Watched here</b> · %d %s", len(list), plural(len(list), "location", "locations"))}
	parts = append(parts, schedule(st, o))
	for _, s := range list {
		parts = append(parts, "", watchEntry(s, o))
	}
	return pages(blankLines(parts))
}

// schedule says how often locations are checked, and whether anything holds the checks.
func schedule(st watch.Stats, o Options) string {
	every := st.Achieved.Round(time.Second) // 4.99 s is "5 s", not "4 s"
	if every <= 0 {
		every = st.Interval
	}
	line := "Each location is checked about every " + health.Duration(every)
	if st.Achieved > 0 && st.Interval > 0 {
		line += " (target " + health.Duration(st.Interval) + ")"
	}
	line += fmt.Sprintf(", within %s Plume requests/s (%s used).", num(st.Budget), num(st.RequestRate))
	switch {
	case st.UpdatedAt.IsZero():
		line += "\n⚪ No replica is checking right now."
	case st.BackoffUntil.After(o.Now):
		line += "\n⏳ Plume asked the bot to slow down: checks resume " + ago(st.BackoffUntil, o.Now) + "."
	}
	return "<i>" + line + "</i>"
}

func watchEntry(s watch.Status, o Options) string {
	var head string
	switch {
	case s.Paused != "":
		head = "⏸ " + bold(or(s.Name, "Location")) + " · paused"
	case !s.Known:
		head = "⚪ " + bold(or(s.Name, "Location")) + " · not checked yet"
	case !s.Online:
		head = "🔴 " + bold(or(s.Name, "Location")) + " · offline"
	default:
		head = s.Level.Emoji() + " " + bold(or(s.Name, "Location")) + " · " + s.Level.String()
	}
	lines := []string{head, "Location " + code(s.LocationID), "Customer " + code(s.CustomerID)}
	if s.Known && s.Online && len(s.PodsDown) > 0 {
		var pods []watch.PodChange
		for _, n := range s.PodsDown {
			pods = append(pods, watch.PodChange{Name: n})
		}
		lines = append(lines, "🟠 Disconnected: "+podNames(pods))
	}
	mode := "offline and pods"
	if s.Mode == watch.ModeLevels {
		mode = "every level change"
	}
	checks := "Alerts: " + mode
	if !s.LastCheck.IsZero() {
		checks += " · checked " + near(s.LastCheck, o.Now)
	}
	if !s.NextCheck.IsZero() {
		checks += " · next " + near(s.NextCheck, o.Now)
	}
	lines = append(lines, checks)
	if s.Paused != "" {
		lines = append(lines, "⏸ "+upperFirst(pauseReason(s.Paused)))
	}
	if s.LastError != "" {
		lines = append(lines, "⚠️ Last check failed: "+esc(s.LastError))
	}
	if s.Flapping {
		lines = append(lines, "🔁 Flapping: alerts held until it is stable")
	}
	if s.Snoozed(o.Now) {
		lines = append(lines, "😴 Snoozed for "+health.Duration(s.SnoozedUntil.Sub(o.Now))+" more")
	}
	if in := s.Incident; in != nil {
		line := "🚨 Incident open for " + health.Duration(o.Now.Sub(in.Opened))
		if ack := Acknowledged(in.AckedBy, s.ChatID); ack != "" {
			line += " · " + ack
		}
		lines = append(lines, line)
	}
	if s.Pending > 0 {
		lines = append(lines, fmt.Sprintf("📨 %d %s waiting to be sent", s.Pending, plural(s.Pending, "alert", "alerts")))
	}
	return strings.Join(lines, "\n")
}

// near is ago with seconds for times within a minute of now ("20 s ago", "in 42 s"): checks
// come every minute or so.
func near(t, now time.Time) string {
	switch d := now.Sub(t); {
	case d >= 0 && d < time.Second:
		return "just now"
	case d < 0 && d > -time.Second:
		return "any moment"
	case d >= 0 && d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d/time.Second))
	case d < 0 && d > -time.Minute:
		return fmt.Sprintf("in %d s", int(-d/time.Second))
	}
	return ago(t, now)
}
