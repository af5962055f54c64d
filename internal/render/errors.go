package render

import (
	"context"
	"errors"

	"plumebot/internal/plume"
)

// Error is the friendly text for err: a *plume.Error's user message with an emoji by kind
// (🔒 credentials/access, ⏳ wait, ⚠️ other). Other errors get a generic text, because their
// text may hold URLs or secrets.
func Error(err error) string {
	if err == nil {
		return "⚠️ Something went wrong. Please try again."
	}
	var pe *plume.Error
	if errors.As(err, &pe) {
		e := "⚠️"
		switch pe.Kind {
		case plume.KindUnauthorized, plume.KindForbidden, plume.KindTokenFailed:
			e = "🔒"
		case plume.KindRateLimited, plume.KindTimeout:
			e = "⏳"
		}
		what := ""
		if pe.Endpoint != "" && pe.Kind != plume.KindInvalidInput {
			what = " (" + esc(pe.Endpoint) + ")"
		}
		return e + " " + esc(pe.UserMessage()) + what
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "⏳ That took too long. Please try again."
	}
	return "⚠️ Something went wrong. Please try again."
}
