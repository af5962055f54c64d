// Package render turns health reports and Plume lists into Telegram HTML messages that Telegram
// accepts: every string escaped, length counted as Telegram counts, long output split into pages.
package render

import (
	"strings"
	"time"
)

// Options are what every view needs besides its data.
type Options struct {
	Now     time.Time
	DataAge time.Duration // > 0: data came from a cache this long ago → say "data from 25 s ago"
}

// pages splits parts at pageLimit so the bot can add PageFooter to any page.
func pages(parts []string) Pages {
	p := Split(parts, pageLimit)
	if len(p) == 0 {
		return Pages{"⚪ Nothing to show."}
	}
	return p
}

// blankLines turns an empty part into a blank line before the next part (Split skips empties).
func blankLines(parts []string) []string {
	out := parts[:0:0]
	pending := false
	for _, p := range parts {
		if p == "" {
			pending = true
			continue
		}
		if pending && !strings.HasPrefix(p, "\n") {
			p = "\n" + p
		}
		pending = false
		out = append(out, p)
	}
	return out
}
