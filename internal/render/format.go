package render

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"plumebot/internal/health"
)

// clean makes a Plume or user string fit on one line: control characters (newlines, tabs) and
// bidi embedding/override/isolate controls (which could make a name render reversed or spill
// over the rest of the line) become spaces; invalid UTF-8 becomes U+FFFD. Nothing is cut.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexFunc(s, isCtl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isCtl(r) {
			return ' '
		}
		return r
	}, s)
}

func isCtl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' ||
		r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069'
}

// esc is clean + Escape: the way every Plume or user string enters a message. Right-to-left
// text (Arabic, Hebrew) is wrapped in a Unicode bidi isolate so it cannot reorder the
// punctuation and numbers around it on the line.
func esc(s string) string {
	s = Escape(clean(s))
	if strings.IndexFunc(s, isRTL) >= 0 {
		s = "\u2068" + s + "\u2069"
	}
	return s
}

func isRTL(r rune) bool {
	return r >= 0x0590 && r <= 0x08FF || r >= 0xFB1D && r <= 0xFDFF || r >= 0xFE70 && r <= 0xFEFF
}

func bold(s string) string { return "<b>" + esc(s) + "</b>" }

// code shows an ID, MAC, serial or IP in monospace (tap to copy), or "—" when empty.
func code(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return "<code>" + esc(s) + "</code>"
}

// or returns s, or def when s is empty.
func or(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// absTime is the absolute UTC form used in detail views.
func absTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// ago is the relative form ("2 h ago").
func ago(t, now time.Time) string {
	if now.IsZero() {
		now = time.Now() // a caller that forgot Options.Now still gets sensible times
	}
	return health.Ago(t, now)
}

// when is relative plus absolute, for detail views: "2 h ago (2026-11-25 14:03 UTC)".
func when(t, now time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return ago(t, now) + " (" + absTime(t) + ")"
}

// ageLine says how old cached data is, or "" for fresh data.
func ageLine(o Options) string {
	if o.DataAge <= 0 {
		return ""
	}
	return "<i>⏱ data from " + health.Duration(o.DataAge) + " ago</i>"
}

// stateEmoji maps a connectionState to the legend.
func stateEmoji(state string) string {
	switch strings.ToLower(state) {
	case "connected", "online":
		return "🟢"
	case "disconnected", "offline":
		return "🔴"
	}
	return "⚪"
}

// healthEmoji maps a health word to the legend.
func healthEmoji(h string) string {
	switch strings.ToLower(h) {
	case "excellent", "good", "healthy":
		return "🟢"
	case "fair", "degraded":
		return "🟡"
	case "poor":
		return "🔴"
	}
	return "⚪"
}

func mediumEmoji(m string) string {
	switch strings.ToLower(m) {
	case "wifi":
		return "📶"
	case "ethernet":
		return "🔌"
	}
	return "🔗"
}

// num formats a float without useless decimals: 500, 38.9.
func num(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	return strings.TrimSuffix(s, ".0")
}

func serviceEmoji(s string) string {
	switch s {
	case "fullService":
		return "🟢"
	case "basicService":
		return "🟡"
	case "noService":
		return "🔴"
	}
	return "⚪"
}

// profileName explains Plume's profile codes.
func profileName(p string) string {
	switch p {
	case "auto":
		return "HomePass (auto)"
	case "smallbusiness":
		return "WorkPass (smallbusiness)"
	}
	return esc(p)
}

// Legend is the one emoji legend every view uses (shown by /help).
func Legend() string {
	return "<b>Legend</b>\n" +
		"🟢 connected · good · healthy\n" +
		"🟡 fair · degraded (warnings)\n" +
		"🟠 issue (a pod is down)\n" +
		"🔴 disconnected · offline · poor\n" +
		"⚪ unknown · no data\n" +
		"📶 WiFi · 🔌 ethernet"
}

// backhaul is "🔌 ethernet" or "📶 wifi 5G via <b>Parent</b>".
func backhaul(kind, parent string) string {
	medium := kind
	if i := strings.IndexByte(kind, ' '); i > 0 {
		medium = kind[:i]
	}
	s := mediumEmoji(medium) + " " + esc(or(kind, "backhaul unknown"))
	if parent != "" {
		s += " via " + bold(parent)
	}
	return s
}

func speedLine(down, up, rtt float64) string {
	return fmt.Sprintf("⬇ %s Mbps · ⬆ %s Mbps · %s ms", num(down), num(up), num(rtt))
}

func joinNonEmpty(sep string, s ...string) string {
	var out []string
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			out = append(out, x)
		}
	}
	return strings.Join(out, sep)
}

func prefixed(p, v string) string {
	if v == "" {
		return ""
	}
	return p + v
}

// upperFirst capitalises the first letter of a plain word ("pods" → "Pods").
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
