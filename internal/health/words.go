package health

import (
	"fmt"
	"strings"
	"time"
)

// Ago formats how long ago t was, relative to now: "just now", "5 min ago", "2 h ago", "3 d ago";
// "unknown" for a zero time.
func Ago(t, now time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	d := now.Sub(t)
	if d < 0 {
		if d > -time.Minute {
			return "just now"
		}
		return "in " + Duration(-d)
	}
	if d < time.Minute {
		return "just now"
	}
	return Duration(d) + " ago"
}

// Duration formats d coarsely for people: "25 s", "5 min", "2 h", "2 h 30 min", "3 d".
func Duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 10*time.Hour && d%time.Hour >= time.Minute:
		return fmt.Sprintf("%d h %d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	}
	return fmt.Sprintf("%d d", int(d/(24*time.Hour)))
}

// ClassLabel turns a traffic class name into words: "video_conferencing" → "video conferencing",
// "av_streaming" → "streaming".
func ClassLabel(name string) string {
	switch name {
	case "av_streaming":
		return "streaming"
	case "":
		return "unnamed class"
	}
	return strings.ReplaceAll(name, "_", " ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func lowerFirst(s string) string {
	if s != "" && s[0] >= 'A' && s[0] <= 'Z' {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}

// SectionName is an Unavailable section in an agent's words: "location" is "location
// details", "nodes" "pods", "qoe" "QoE".
func SectionName(section string) string {
	switch section {
	case "location":
		return "location details"
	case "nodes":
		return "pods"
	case "qoe":
		return "QoE"
	}
	return section
}
