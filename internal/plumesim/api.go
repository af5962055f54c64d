package plumesim

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Logical endpoint names, used by Requests and SetFault.
const (
	EndpointToken        = "token"
	EndpointLocation     = "location"
	EndpointLocations    = "locations"
	EndpointNodes        = "nodes"
	EndpointDevices      = "devices"
	EndpointWiFiNetworks = "wifiNetworks"
	EndpointServiceLevel = "serviceLevel"
	EndpointBackhaul     = "backhaul"
	EndpointAppQoE       = "appqoe"
	EndpointNodeLookup   = "nodeLookup"
	EndpointSearch       = "search"
	EndpointHealth       = "health"
	EndpointWANStats     = "wanStats"
	EndpointOnlineStats  = "onlineStats"
)

type handler func(s *Server, w http.ResponseWriter, r *http.Request, p []string)

type route struct {
	name, method string
	pattern      []string // literal segments (lower case) and "*" for parameters
	handle       handler
}

const loc = "api/customers/*/locations/*/"

func rt(name, method, pattern string, h handler) route {
	return route{name, method, strings.Split(pattern, "/"), h}
}

// Routes match case-insensitively, as LoopBack's do. Parameters are passed in order.
var routes = []route{
	rt(EndpointSearch, http.MethodGet, "api/customers/v2/search", handleSearch),
	rt(EndpointHealth, http.MethodGet, "api/checkintegrationhealth", func(_ *Server, w http.ResponseWriter, _ *http.Request, _ []string) {
		w.WriteHeader(http.StatusNoContent)
	}),
	rt(EndpointNodeLookup, http.MethodGet, "api/partners/nodes/*", handleNodeLookup),
	rt(EndpointLocations, http.MethodGet, "api/customers/*/locations", func(s *Server, w http.ResponseWriter, _ *http.Request, p []string) {
		if d := s.resolve(w, p[0], ""); d != nil {
			writeJSON(w, http.StatusOK, []obj{s.live(s.afterActions(d, s.now()), s.now()).location(s.now())})
		}
	}),
	rt(EndpointLocation, http.MethodGet, "api/customers/*/locations/*", locGet(func(d *dataset, now time.Time) any { return d.location(now) })),
	rt(EndpointNodes, http.MethodGet, loc+"nodes", locGet(func(d *dataset, now time.Time) any { return d.nodes(now) })),
	rt(EndpointDevices, http.MethodGet, loc+"devices", locGet(func(d *dataset, now time.Time) any { return d.devices(now) })),
	rt(EndpointWiFiNetworks, http.MethodGet, loc+"wifinetworks", locGet(func(d *dataset, _ time.Time) any { return d.wifiNetworks() })),
	rt(EndpointServiceLevel, http.MethodGet, loc+"servicelevel", locGet(func(d *dataset, now time.Time) any { return d.serviceLevel(now) })),
	rt(EndpointBackhaul, http.MethodGet, loc+"backhaul", locGet(func(d *dataset, now time.Time) any { return d.backhaul(now) })),
	rt(EndpointAppQoE, http.MethodPost, loc+"appqoe/appqoestatsbytrafficclass", handleAppQoE),
	rt(EndpointWANStats, http.MethodGet, "reports/customers/*/locations/*/wanstats", handleWANStats),
	rt(EndpointOnlineStats, http.MethodGet, "reports/customers/*/locations/*/onlinestats", handleOnlineStats),
}

func eq(a, b string) bool { return strings.EqualFold(a, b) }

func splitPath(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func match(path string) (*route, []string) {
	segs := splitPath(path)
	for i := range routes {
		r := &routes[i]
		if len(r.pattern) != len(segs) {
			continue
		}
		var params []string
		ok := true
		for j, lit := range r.pattern {
			if lit == "*" {
				params = append(params, segs[j])
			} else if !eq(lit, segs[j]) {
				ok = false
				break
			}
		}
		if ok {
			return r, params
		}
	}
	return nil, nil
}

func isHex24(s string) bool {
	if len(s) != 24 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// resolve finds the dataset of a customer (and location, when lid != ""), answering 404 for
// unknown or malformed IDs (LoopBack answers 404 for an ID it cannot find, whatever its form)
// and 403 for the foreign partner's customer. nil means the answer was written.
func (s *Server) resolve(w http.ResponseWriter, cid, lid string) *dataset {
	d := byCustomer[strings.ToLower(cid)]
	if !isHex24(cid) || d == nil {
		writeLoopBack(w, http.StatusNotFound, fmt.Sprintf("Unknown \"Customer\" id %q.", cid), "MODEL_NOT_FOUND")
		return nil
	}
	if d.Foreign {
		writeLoopBack(w, http.StatusForbidden, "Partner does not own this customer", "FORBIDDEN")
		return nil
	}
	if lid != "" && (!isHex24(lid) || !strings.EqualFold(lid, d.LocationID)) {
		writeLoopBack(w, http.StatusNotFound, fmt.Sprintf("Unknown \"Location\" id %q.", lid), "MODEL_NOT_FOUND")
		return nil
	}
	return d
}

func locGet(body func(*dataset, time.Time) any) handler {
	return func(s *Server, w http.ResponseWriter, r *http.Request, p []string) {
		if d := s.resolve(w, p[0], p[1]); d != nil {
			// The actions' effects, then what the control set (control.go).
			s.writeCached(w, strings.ToLower(r.URL.Path)+"|"+d.Name+s.actionsKey(d)+s.liveKey(),
				s.actionBody(d, func(d *dataset, now time.Time) any { return body(s.live(d, now), now) }))
		}
	}
}

var qoePeriods = map[string]bool{"lastHour": true, "last24Hours": true, "last7Days": true, "last30Days": true}

// handleAppQoE takes timePeriod from a urlencoded form or a JSON body (LoopBack accepts both).
func handleAppQoE(s *Server, w http.ResponseWriter, r *http.Request, p []string) {
	d := s.resolve(w, p[0], p[1])
	if d == nil {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	var period string
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var body struct {
			TimePeriod string `json:"timePeriod"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeLoopBack(w, http.StatusBadRequest, "Malformed JSON body", "BAD_REQUEST")
			return
		}
		period = body.TimePeriod
	} else {
		if err := r.ParseForm(); err != nil {
			writeLoopBack(w, http.StatusBadRequest, "Malformed form body", "BAD_REQUEST")
			return
		}
		period = r.PostForm.Get("timePeriod")
	}
	if !qoePeriods[period] {
		writeLoopBack(w, http.StatusUnprocessableEntity, "timePeriod is required: lastHour, last24Hours, last7Days or last30Days", "INVALID_PARAMETER")
		return
	}
	writeJSON(w, http.StatusOK, d.appQoE(period))
}

func isSerial(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func handleNodeLookup(_ *Server, w http.ResponseWriter, _ *http.Request, p []string) {
	serial := strings.ToUpper(p[0])
	if serial == UnclaimedSerial {
		writeJSON(w, http.StatusOK, obj{"serialNumber": UnclaimedSerial, "packId": "PKUNCL01", "partnerId": PartnerID, "model": unclaimedModel})
		return
	}
	ref, ok := bySerial[serial]
	if !isSerial(p[0]) || !ok {
		writeLoopBack(w, http.StatusNotFound, fmt.Sprintf("Node %q not found", p[0]), "NODE_NOT_FOUND")
		return
	}
	if ref.ds.Foreign {
		writeLoopBack(w, http.StatusForbidden, "No right to access the node", "FORBIDDEN")
		return
	}
	writeJSON(w, http.StatusOK, ref.ds.nodeLookup(ref.pod))
}

var searchEntities = map[string]bool{"email": true, "accountId": true, "name": true, "nodeId": true,
	"serviceId": true, "customerId": true, "locationId": true}

// handleSearch is /Customers/v2/search: substring (case-insensitive) on name and email,
// exact on the IDs; at most 10 customers, never another partner's.
func handleSearch(_ *Server, w http.ResponseWriter, r *http.Request, _ []string) {
	q := r.URL.Query()
	str := strings.TrimSpace(q.Get("searchString"))
	ents := strings.Split(q.Get("searchEntities"), ",")
	if str == "" || q.Get("searchEntities") == "" {
		writeLoopBack(w, http.StatusBadRequest, "searchString and searchEntities are required", "BAD_REQUEST")
		return
	}
	for i, e := range ents {
		ents[i] = strings.TrimSpace(e)
		if !searchEntities[ents[i]] {
			writeLoopBack(w, http.StatusBadRequest, fmt.Sprintf("Invalid searchEntities value %q", ents[i]), "BAD_REQUEST")
			return
		}
	}
	exact := q.Get("exactMatch") == "true"
	lower := strings.ToLower(str)
	fuzzy := func(v string) bool {
		if exact {
			return strings.EqualFold(v, str)
		}
		return strings.Contains(strings.ToLower(v), lower)
	}
	out := []obj{}
	for _, name := range datasetOrder {
		d := datasets[name]
		if d.Foreign || len(out) == 10 {
			continue
		}
		for _, e := range ents {
			var v string
			switch e {
			case "email":
				if fuzzy(d.Email) {
					v = d.Email
				}
			case "name":
				if fuzzy(d.CustomerName) {
					v = d.CustomerName
				}
			case "accountId":
				if strings.EqualFold(d.AccountID, str) && !d.Sparse {
					v = d.AccountID
				}
			case "serviceId":
				if strings.EqualFold(d.ServiceID, str) && !d.Sparse {
					v = d.ServiceID
				}
			case "customerId":
				if strings.EqualFold(d.CustomerID, str) {
					v = d.CustomerID
				}
			case "locationId":
				if strings.EqualFold(d.LocationID, str) {
					v = d.LocationID
				}
			case "nodeId":
				for _, p := range d.Pods {
					if strings.EqualFold(p.Serial, str) {
						v = p.Serial
					}
				}
			}
			if v != "" {
				out = append(out, d.searchResult(e, v))
				break
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (d *dataset) searchResult(entity, value string) obj {
	l := obj{"locationId": d.LocationID, "locationName": d.LocationName, "serviceId": d.ServiceID}
	o := obj{"customerId": d.CustomerID, "customerName": d.CustomerName, "customerEmail": d.Email,
		"accountId": d.AccountID, "matchingString": entity, "matchedValue": value,
		"locationIdToSelect": d.LocationID, "locations": []obj{l}}
	if d.Sparse {
		o["accountId"] = nil
		delete(l, "serviceId")
	}
	return o
}

func handleWANStats(s *Server, w http.ResponseWriter, r *http.Request, p []string) {
	d := s.resolve(w, p[0], p[1])
	if d == nil {
		return
	}
	period := r.URL.Query().Get("period")
	if _, ok := wanPeriods[period]; !ok {
		writeLoopBack(w, http.StatusUnprocessableEntity, "Invalid 'period' value: daily, weekly or monthly", "INVALID_PARAMETER")
		return
	}
	s.writeCached(w, "wan|"+d.Name+"|"+period, func(now time.Time) any { return d.wanStats(period, now) })
}

func handleOnlineStats(s *Server, w http.ResponseWriter, r *http.Request, p []string) {
	d := s.resolve(w, p[0], p[1])
	if d == nil {
		return
	}
	q := r.URL.Query()
	g := q.Get("granularity")
	limit, err := strconv.Atoi(q.Get("limit"))
	if _, ok := granularities[g]; !ok || err != nil || limit < 1 || limit > 1000 {
		writeLoopBack(w, http.StatusUnprocessableEntity, "granularity (minutes, hours, days) and limit (1..1000) are required", "INVALID_PARAMETER")
		return
	}
	s.writeCached(w, fmt.Sprintf("online|%s|%s|%d", d.Name, g, limit), func(now time.Time) any { return d.onlineStats(g, limit, now) })
}
