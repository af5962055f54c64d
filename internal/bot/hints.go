package bot

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"plumebot/internal/plume"
	"plumebot/internal/plumedata"
	"plumebot/internal/render"
)

// Words for input that is not quite a command: IDs pasted alone, arguments missing or extra.

// guess answers plain text in a private chat: pasted IDs get the command they probably meant,
// with a button that runs it; anything else is told that only commands are understood.
func (b *Bot) guess(ctx context.Context, r *request) error {
	// Split as a command's arguments are (at any space), and at the punctuation of a list.
	ids := strings.FieldsFunc(r.u.Text, func(c rune) bool { return c == ',' || c == '/' || c == ';' || unicode.IsSpace(c) })
	for i := range ids {
		ids[i] = plume.CanonicalID(ids[i]) // only valid IDs are used below
	}
	switch {
	case len(ids) == 2 && plumedata.ValidateLocation(ids[0], ids[1]) == nil:
		r.outcome = "usage"
		kb, err := b.keyboard(ctx, r, []btnSpec{{"🩺 /health", payload{Action: actHealth, Customer: ids[0], Location: ids[1]}}})
		if err != nil {
			return err
		}
		_, err = b.chat.Send(ctx, r.u.ChatID, fmt.Sprintf("Did you mean <code>/health %s %s</code>?", ids[0], ids[1]), kb)
		return err
	case len(ids) == 1 && plume.ValidateID("customer", ids[0]) == nil:
		r.outcome = "usage"
		kb, err := b.keyboard(ctx, r, []btnSpec{{"🏠 /locations", payload{Action: actPage, View: "locations", Customer: ids[0]}}})
		if err != nil {
			return err
		}
		_, err = b.chat.Send(ctx, r.u.ChatID, fmt.Sprintf("Did you mean <code>/locations %s</code>?", ids[0]), kb)
		return err
	}
	return usageError("I only understand commands. Send /help to see them.")
}

// extraArgs names arguments a command does not take: "⚠️ One argument too many: <code>x</code>."
func extraArgs(extra []string) string {
	const show = 3
	quoted := make([]string, 0, show)
	for i, a := range extra {
		if i == show {
			quoted = append(quoted, "…")
			break
		}
		quoted = append(quoted, "<code>"+render.Escape(cut(a, 30))+"</code>")
	}
	if len(extra) == 1 {
		return "⚠️ One argument too many: " + quoted[0] + "."
	}
	return fmt.Sprintf("⚠️ %d arguments too many: %s.", len(extra), strings.Join(quoted, " "))
}

// cut shortens s to at most n characters, marking the cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
