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
		case plume.KindUnauthorized, plume.KindForbidden, plume.KindTokenFailed, plume.KindTLS:
			e = "🔒"
		case plume.KindRateLimited, plume.KindTimeout:
			e = "⏳"
		}
		what := ""
		// Input refused before any request has no endpoint; Plume refusing a request's
		// parameters (400, 422) names the part like any other failure.
		if w := endpointWords[pe.Endpoint]; w != "" {
			what = w + ": "
		}
		return e + " " + what + esc(pe.UserMessage())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "⏳ That took too long. Please try again."
	}
	return "⚠️ Something went wrong. Please try again."
}

// endpointWords name what an agent asked for when a Plume endpoint failed, in their words, not
// the API's ("wifiNetworks"). An endpoint not listed is not named: the token endpoint's
// messages say "SSO" themselves.
var endpointWords = map[string]string{
	"location":     "Location details",
	"locations":    "The customer's locations",
	"nodes":        "Pods",
	"devices":      "Devices",
	"wifiNetworks": "WiFi networks",
	"appqoe":       "QoE",
	"nodeLookup":   "Pod lookup",
	"search":       "Customer search",
	"wanStats":     "WAN statistics",
	"onlineStats":  "Online history",
}
