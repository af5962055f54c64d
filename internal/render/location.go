package render

import (
	"fmt"

	"plumebot/internal/health"
	"plumebot/internal/plume"
)

// Status renders the location's state and configuration.
func Status(loc *plume.Location, o Options) Pages {
	if loc == nil {
		return Pages{"⚪ No location data."}
	}
	parts := []string{"🏠 " + bold(or(loc.Name, "Location")),
		"Location " + code(loc.ID) + "\nCustomer " + code(loc.CustomerID)}
	if loc.AccountID != "" {
		parts = append(parts, "Account "+code(loc.AccountID))
	}
	if loc.ServiceID != "" {
		parts = append(parts, "Service ID "+code(loc.ServiceID))
	}
	parts = append(parts, ageLine(o), "")
	ns := loc.NetworkStatus
	if ns.Status == "" {
		parts = append(parts, "⚪ Network status unknown")
	} else {
		parts = append(parts, stateEmoji(ns.Status)+" "+bold(ns.Status)+" since "+when(ns.StatusChangedAt, o.Now))
	}
	parts = append(parts, serviceEmoji(loc.ServiceLevel.Status)+" Service level: "+esc(or(loc.ServiceLevel.Status, "unknown")))
	if loc.Profile != "" {
		parts = append(parts, "Profile: "+profileName(loc.Profile))
	}
	if loc.NetworkMode != "" {
		parts = append(parts, "Network mode: "+esc(loc.NetworkMode))
	}
	g := loc.GeoIP
	if place := joinNonEmpty(", ", g.City, g.State, g.Country); place != "" || g.IP != "" {
		parts = append(parts, "", "<b>ISP / geo</b>")
		if place != "" {
			parts = append(parts, "📍 "+esc(place))
		}
		if g.IP != "" {
			parts = append(parts, "Public IP "+code(g.IP))
		}
		if g.Timezone != "" {
			parts = append(parts, "Time zone "+esc(g.Timezone))
		}
	}
	if !loc.CreatedAt.IsZero() {
		parts = append(parts, "", "<i>Created "+absTime(loc.CreatedAt)+"</i>")
	}
	return pages(blankLines(parts))
}

// Internet renders the location's internet link: status, IPs, uplink and last speed test.
func Internet(loc *plume.Location, nodes []plume.Node, o Options) Pages {
	parts := []string{"🌐 <b>Internet</b>"}
	if loc != nil && loc.Name != "" {
		parts[0] += " · " + esc(loc.Name)
	}
	parts = append(parts, ageLine(o))
	if loc == nil {
		parts = append(parts, "⚪ Network status unknown")
	} else if ns := loc.NetworkStatus; ns.Status == "" {
		parts = append(parts, "⚪ Network status unknown")
	} else {
		parts = append(parts, stateEmoji(ns.Status)+" "+bold(ns.Status)+" since "+when(ns.StatusChangedAt, o.Now))
	}
	gwi := health.GatewayIndex(nodes)
	if gwi < 0 {
		parts = append(parts, "⚪ No gateway pod found.")
	} else {
		gw := nodes[gwi]
		parts = append(parts, "Gateway "+bold(gw.Name())+" "+stateEmoji(gw.ConnectionState))
		if gw.WanIP != "" {
			parts = append(parts, "WAN IP "+code(gw.WanIP))
		}
		pub := gw.PublicIP
		if pub == "" && loc != nil {
			pub = loc.GeoIP.IP
		}
		if pub != "" {
			parts = append(parts, "Public IP "+code(pub))
		}
		for _, l := range gw.LinkStates {
			if !l.IsUplink {
				continue
			}
			line := "🔌 Uplink " + esc(or(l.IfName, "port"))
			if l.LinkSpeed > 0 {
				line += fmt.Sprintf(" · %d Mbit/s", l.LinkSpeed)
			}
			if l.Duplex != "" {
				line += " " + esc(l.Duplex) + " duplex"
			}
			parts = append(parts, line)
		}
		if st := gw.SpeedTest; st != nil {
			e := "🟢"
			if st.Status != "" && st.Status != "succeeded" {
				e = "🔴"
			}
			parts = append(parts, "\n<b>Last speed test</b>", e+" "+when(st.StartedAt, o.Now), speedLine(st.Download, st.Upload, st.RTT))
			if info := joinNonEmpty(" · ", st.ISP, st.ServerName, st.Trigger, st.Status); info != "" {
				parts = append(parts, esc(info))
			}
		} else {
			parts = append(parts, "\n⚪ No speed test result.")
		}
	}
	if loc != nil && loc.GeoIP.IP == "" && gwi < 0 {
		parts = append(parts, "⚪ No IP information.")
	}
	return pages(parts)
}

// Locations renders a customer's locations.
func Locations(customerID string, locs []plume.Location, o Options) Pages {
	parts := []string{fmt.Sprintf("🏠 <b>Locations</b> (%d)\nCustomer %s", len(locs), code(customerID)), ageLine(o)}
	if len(locs) == 0 {
		parts = append(parts, "⚪ No locations for this customer.")
	}
	for _, l := range locs {
		b := "\n" + stateEmoji(l.NetworkStatus.Status) + " " + bold(or(l.Name, "(unnamed)")) + "\n" + code(l.ID)
		if info := joinNonEmpty(" · ", l.NetworkStatus.Status, l.ServiceLevel.Status); info != "" {
			b += "\n" + esc(info)
		}
		if l.Profile != "" {
			b += " · " + profileName(l.Profile)
		}
		parts = append(parts, b)
	}
	return pages(parts)
}

// SearchResults renders customer search matches.
func SearchResults(query string, matches []plume.CustomerMatch, o Options) Pages {
	q := "“" + esc(query) + "”"
	if len(matches) == 0 {
		return pages([]string{"🔎 No customer matches " + q + ".", ageLine(o)})
	}
	noun := "matches"
	if len(matches) == 1 {
		noun = "match"
	}
	parts := []string{fmt.Sprintf("🔎 <b>%d %s</b> for %s", len(matches), noun, q), ageLine(o)}
	for _, m := range matches {
		b := "\n👤 " + bold(or(m.Name, "(no name)"))
		if m.Email != "" {
			b += "\n" + esc(m.Email)
		}
		b += "\nCustomer " + code(m.CustomerID)
		if m.AccountID != "" {
			b += "\nAccount " + code(m.AccountID)
		}
		if m.MatchingString != "" {
			b += "\n<i>matched " + esc(m.MatchingString)
			if m.MatchedValue != "" {
				b += ": " + esc(m.MatchedValue)
			}
			b += "</i>"
		}
		for _, l := range m.Locations {
			b += "\n🏠 " + esc(or(l.Name, "(unnamed)")) + " " + code(l.ID)
		}
		if len(m.Locations) == 0 && m.LocationID != "" {
			b += "\n🏠 " + code(m.LocationID)
		}
		parts = append(parts, b)
	}
	return pages(parts)
}

// NodeLookup renders where a pod serial is claimed.
func NodeLookup(n *plume.NodeLookup, o Options) Pages {
	if n == nil {
		return Pages{"⚪ No result for this serial."}
	}
	parts := []string{"🔎 <b>Pod</b> " + code(n.SerialNumber), ageLine(o)}
	if n.Claimed() {
		parts = append(parts, "🟢 Claimed", "Customer "+code(n.CustomerID), "Location "+code(n.LocationID))
	} else {
		parts = append(parts, "⚪ In inventory only: not claimed by a customer location.")
	}
	if n.Model != "" {
		parts = append(parts, "Model "+esc(n.Model))
	}
	if n.PackID != "" {
		parts = append(parts, "Pack "+code(n.PackID))
	}
	if n.PartnerID != "" {
		parts = append(parts, "Partner "+code(n.PartnerID))
	}
	return pages(parts)
}
