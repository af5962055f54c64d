package bot

import "plumebot/internal/render"

// Thin seams to the renderer, so the core's own texts go through the same escaping and
// splitting as Plume data.

func escape(s string) string { return render.Escape(s) }

func split(parts []string) render.Pages { return render.Split(parts, render.MaxMessageLen) }

func legend() string { return render.Legend() }

// renderError is the friendly text of an error; unknown errors never show their text.
func renderError(err error) string { return render.Error(err) }
