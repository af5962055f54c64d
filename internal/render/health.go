package render

import (
	"fmt"
	"strings"

	"plumebot/internal/health"
)

// HealthReport renders a report: verdict first, then what is wrong, then the details.
func HealthReport(r health.Report, o Options) Pages {
	parts := []string{r.Level.Emoji() + " " + bold(r.Summary)}
	head := "🏠 " + bold(or(r.LocationName, "Location"))
	head += "\nLocation " + code(r.LocationID) + "\nCustomer " + code(r.CustomerID)
	parts = append(parts, head)
	if r.NetworkStatus != "" {
		line := stateEmoji(r.NetworkStatus) + " " + esc(r.NetworkStatus)
		if !r.StatusSince.IsZero() {
			line += " since " + ago(r.StatusSince, o.Now)
		}
		parts = append(parts, line)
	}
	if r.ServiceLevel != "" {
		parts = append(parts, serviceEmoji(r.ServiceLevel)+" Service: "+esc(r.ServiceLevel))
	}
	parts = append(parts, ageLine(o))

	if len(r.Issues) > 0 {
		// One colour story: the issues of an offline location are what makes it 🔴.
		mark := health.LevelIssues.Emoji()
		if r.Level == health.LevelOffline {
			mark = r.Level.Emoji()
		}
		parts = append(parts, "\n<b>Issues</b>")
		for _, s := range r.Issues {
			parts = append(parts, mark+" "+esc(s))
		}
	}
	if len(r.Warnings) > 0 {
		parts = append(parts, "\n<b>Warnings</b>")
		for _, s := range r.Warnings {
			parts = append(parts, "🟡 "+esc(s))
		}
	}

	if len(r.Pods) > 0 {
		parts = append(parts, fmt.Sprintf("\n<b>Pods</b> · %d/%d connected", r.Counts.PodsConnected, r.Counts.PodsTotal))
		for _, p := range r.Pods {
			parts = append(parts, podLine(p, o))
		}
	}

	if st := r.SpeedTest; st != nil {
		parts = append(parts, "\n<b>Speed test</b> · "+ago(st.StartedAt, o.Now), speedLine(st.Download, st.Upload, st.RTT))
		if st.ISP != "" {
			parts = append(parts, "ISP "+esc(st.ISP))
		}
	}

	if r.Counts.DevicesTotal > 0 || len(r.Devices) > 0 {
		parts = append(parts, fmt.Sprintf("\n<b>Devices</b> · %d/%d connected", r.Counts.DevicesConnected, r.Counts.DevicesTotal))
		if b := bandLine(r.Counts.ByBand); b != "" {
			parts = append(parts, b)
		}
		// The devices worth a word are in Warnings (poor health, just left) and Info (long
		// offline) already: listing them here again would say each twice.
	}

	if len(r.Info) > 0 {
		parts = append(parts, "")
		for _, s := range r.Info {
			parts = append(parts, "<i>• "+esc(s)+"</i>")
		}
	}
	if len(r.Unavailable) > 0 {
		parts = append(parts, "\n<b>Unavailable</b>")
		for _, u := range r.Unavailable {
			parts = append(parts, "⚪ "+esc(upperFirst(health.SectionName(u.Section)))+": "+esc(u.Reason))
		}
	}
	checked := r.FetchedAt
	if checked.IsZero() {
		checked = o.Now
	}
	if !checked.IsZero() {
		parts = append(parts, "\n<i>Checked "+absTime(checked)+"</i>")
	}
	return pages(blankLines(parts))
}

func podLine(p health.PodReport, o Options) string {
	var b strings.Builder
	b.WriteString(stateEmoji(p.State) + " " + bold(p.Name))
	if p.Gateway {
		b.WriteString(" · gateway")
	}
	b.WriteString("\n    " + code(p.Serial))
	if p.Model != "" {
		b.WriteString(" · " + esc(p.Model))
	}
	if !p.Connected() {
		b.WriteString("\n    " + esc(or(p.State, "state unknown")))
		if !p.Since.IsZero() {
			b.WriteString(" " + ago(p.Since, o.Now))
		}
	}
	b.WriteString("\n    " + backhaul(p.Backhaul, p.ParentName))
	if p.Health != "" && p.Connected() { // a disconnected pod's health is stale
		b.WriteString(" · " + healthEmoji(p.Health) + " " + esc(p.Health))
	}
	if len(p.Alerts) > 0 {
		b.WriteString("\n    ⚠️ alert: " + esc(strings.Join(p.Alerts, ", ")))
	}
	return b.String()
}

func bandLine(by map[string]int) string {
	var s []string
	for _, b := range []string{"2.4G", "5G", "6G"} {
		if by[b] > 0 {
			s = append(s, fmt.Sprintf("%s %d", b, by[b]))
		}
	}
	out := ""
	if len(s) > 0 {
		out = "📶 " + strings.Join(s, " · ")
	}
	if n := by["ethernet"]; n > 0 {
		out = joinNonEmpty(" · ", out, fmt.Sprintf("🔌 %d", n))
	}
	if n := by["other"]; n > 0 {
		out = joinNonEmpty(" · ", out, fmt.Sprintf("🔗 other %d", n))
	}
	return out
}
