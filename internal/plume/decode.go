package plume

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Plume's payloads are only partly documented, so decoding is lenient where real data varies:
// null or missing fields become zero values, timestamps may be "", null, RFC 3339 or epoch
// milliseconds, numbers may arrive as strings and the other way round, and a field of an
// unexpected type is dropped rather than failing the whole response. Malformed JSON still fails.

// lenient ignores type mismatches (the field keeps its zero value) but not syntax errors.
func lenient(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return nil
	}
	return err
}

func decodeJSON(data []byte, v any) error { return lenient(json.Unmarshal(data, v)) }

func isNull(b []byte) bool { return len(b) == 0 || string(b) == "null" }

// jsonString returns the string a JSON string literal holds, and whether b is one.
func jsonString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b) && bytes.IndexByte(b[1:len(b)-1], '"') < 0 && b[len(b)-1] == '"' {
		return string(b[1 : len(b)-1]), true // no escapes: the common case, without reflection
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return "", false
	}
	return s, true
}

// flexTime accepts "", null, RFC 3339 with or without fractions, and epoch milliseconds (as a
// number or a digit string). Anything else is the zero time.
type flexTime struct{ time.Time }

func (t *flexTime) UnmarshalJSON(b []byte) error {
	t.Time = time.Time{}
	b = bytes.TrimSpace(b)
	if isNull(b) {
		return nil
	}
	if s, ok := jsonString(b); ok {
		t.Time = parseTime(strings.TrimSpace(s))
		return nil
	}
	if f, err := strconv.ParseFloat(string(b), 64); err == nil {
		t.Time = epochMillis(f)
	}
	return nil
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return epochMillis(f)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// epochMillis converts milliseconds since 1970; out-of-range values (beyond year ~33658) are zero.
func epochMillis(f float64) time.Time {
	if math.IsNaN(f) || f <= 0 || f > 1e15 {
		return time.Time{}
	}
	return time.UnixMilli(int64(f)).UTC()
}

// flexString accepts a string, a number (kept as written), a bool, or null.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*s = ""
	switch {
	case isNull(b):
	case b[0] == '"':
		v, _ := jsonString(b)
		*s = flexString(v)
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9') || string(b) == "true" || string(b) == "false":
		*s = flexString(b)
	}
	return nil
}

// flexFloat accepts a number or a numeric string; OK is false for null, missing or garbage.
type flexFloat struct {
	V  float64
	OK bool
}

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	*f = flexFloat{}
	b = bytes.TrimSpace(b)
	if isNull(b) {
		return nil
	}
	s := string(b)
	if v, ok := jsonString(b); ok {
		s = strings.TrimSpace(v)
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
		*f = flexFloat{V: v, OK: true}
	}
	return nil
}

// flexInt accepts an integer, a float (truncated) or a numeric string.
type flexInt int

func (i *flexInt) UnmarshalJSON(b []byte) error {
	var f flexFloat
	_ = f.UnmarshalJSON(b)
	*i = 0
	if f.OK && math.Abs(f.V) < math.MaxInt32 {
		*i = flexInt(f.V)
	}
	return nil
}

// UnmarshalJSON decodes a Location leniently.
func (l *Location) UnmarshalJSON(b []byte) error {
	type plain Location
	w := struct {
		*plain
		AccountID flexString `json:"accountId"`
		ServiceID flexString `json:"serviceId"`
		CreatedAt flexTime   `json:"createdAt"`
		UpdatedAt flexTime   `json:"updatedAt"`
	}{plain: (*plain)(l)}
	if err := decodeJSON(b, &w); err != nil {
		return err
	}
	l.AccountID, l.ServiceID = string(w.AccountID), string(w.ServiceID)
	l.CreatedAt, l.UpdatedAt = w.CreatedAt.Time, w.UpdatedAt.Time
	return nil
}

// UnmarshalJSON decodes a NetworkStatus; a bare string is taken as its status.
func (n *NetworkStatus) UnmarshalJSON(b []byte) error {
	if s, ok := jsonString(bytes.TrimSpace(b)); ok {
		*n = NetworkStatus{Status: s}
		return nil
	}
	type plain NetworkStatus
	w := struct {
		*plain
		StatusChangedAt          flexTime  `json:"statusChangedAt"`
		DurationOfPreviousStatus flexFloat `json:"durationOfPreviousStatus"`
	}{plain: (*plain)(n)}
	if err := decodeJSON(b, &w); err != nil {
		return err
	}
	n.StatusChangedAt, n.DurationOfPreviousStatus = w.StatusChangedAt.Time, w.DurationOfPreviousStatus.V
	return nil
}

// UnmarshalJSON decodes a ServiceLevel; a bare string is taken as its status.
func (s *ServiceLevel) UnmarshalJSON(b []byte) error {
	if v, ok := jsonString(bytes.TrimSpace(b)); ok {
		*s = ServiceLevel{Status: v}
		return nil
	}
	type plain ServiceLevel
	w := struct {
		*plain
		Created   flexTime `json:"created"`
		UpdatedAt flexTime `json:"updatedAt"`
	}{plain: (*plain)(s)}
	if err := decodeJSON(b, &w); err != nil {
		return err
	}
	s.Created, s.UpdatedAt = w.Created.Time, w.UpdatedAt.Time
	return nil
}

// UnmarshalJSON decodes a Health object; a bare string is taken as its status.
func (h *Health) UnmarshalJSON(b []byte) error {
	if v, ok := jsonString(bytes.TrimSpace(b)); ok {
		*h = Health{Status: v}
		return nil
	}
	type plain Health
	w := struct {
		*plain
		Score   flexFloat  `json:"score"`
		Details flexString `json:"details"`
	}{plain: (*plain)(h)}
	if err := decodeJSON(b, &w); err != nil {
		return err
	}
	h.Score, h.Details = w.Score.V, string(w.Details)
	return nil
}

// UnmarshalJSON decodes a SpeedTest leniently.
func (s *SpeedTest) UnmarshalJSON(b []byte) error {
	type plain SpeedTest
	w := struct {
		*plain
		StartedAt flexTime  `json:"startedAt"`
		Download  flexFloat `json:"download"`
		Upload    flexFloat `json:"upload"`
		RTT       flexFloat `json:"rtt"`
	}{plain: (*plain)(s)}
	if err := decodeJSON(b, &w); err != nil {
		return err
	}
	s.StartedAt, s.Download, s.Upload, s.RTT = w.StartedAt.Time, w.Download.V, w.Upload.V, w.RTT.V
	return nil
}

// UnmarshalJSON decodes a LinkState leniently.
func (l *LinkState) UnmarshalJSON(b []byte) error {
	type plain LinkState
	w := struct {
		*plain
		LinkSpeed flexInt `json:"linkSpeed"`
	}{plain: (*plain)(l)}
	if err := decodeJSON(b, &w); err != nil {
		return err
	}
	l.LinkSpeed = int(w.LinkSpeed)
	return nil
}

// Node and Device lists can be long, so they decode in one pass through wire types (embedding
// the model, shadowing the lenient fields) instead of a re-parsing UnmarshalJSON per element.
type plainNode Node

type nodeWire struct {
	plainNode
	ConnectionStateChangeAt flexTime   `json:"connectionStateChangeAt"`
	BootAt                  flexTime   `json:"bootAt"`
	ConnectedDeviceCount    flexInt    `json:"connectedDeviceCount"`
	Channel2G               flexString `json:"2gChannel"`
	Channel5G               flexString `json:"5gChannel"`
	Channel6G               flexString `json:"6gChannel"`
}

func (w *nodeWire) node() Node {
	n := Node(w.plainNode)
	n.ConnectionStateChangeAt, n.BootAt = w.ConnectionStateChangeAt.Time, w.BootAt.Time
	n.ConnectedDeviceCount = int(w.ConnectedDeviceCount)
	n.Channel2G, n.Channel5G, n.Channel6G = string(w.Channel2G), string(w.Channel5G), string(w.Channel6G)
	return n
}

type plainDevice Device

type deviceWire struct {
	plainDevice
	Channel                 flexInt  `json:"channel"`
	ConnectionStateChangeAt flexTime `json:"connectionStateChangeAt"`
}

func (w *deviceWire) device() Device {
	d := Device(w.plainDevice)
	d.Channel, d.ConnectionStateChangeAt = int(w.Channel), w.ConnectionStateChangeAt.Time
	return d
}

// UnmarshalJSON decodes the backhaul config. The wpaKey has no field anywhere, so the key is
// skipped by the decoder and never held in memory beyond the response buffer.
func (bh *Backhaul) UnmarshalJSON(b []byte) error {
	type plain Backhaul
	w := struct {
		*plain
		UpdatedAt flexTime `json:"updatedAt"`
	}{plain: (*plain)(bh)}
	if err := decodeJSON(b, &w); err != nil {
		return err
	}
	bh.UpdatedAt = w.UpdatedAt.Time
	return nil
}

// UnmarshalJSON decodes a node lookup; IDs may arrive as numbers.
func (n *NodeLookup) UnmarshalJSON(b []byte) error {
	var w struct {
		SerialNumber flexString `json:"serialNumber"`
		CustomerID   flexString `json:"customerId"`
		LocationID   flexString `json:"locationId"`
		PackID       flexString `json:"packId"`
		PartnerID    flexString `json:"partnerId"`
		Model        flexString `json:"model"`
	}
	if err := decodeJSON(b, &w); err != nil {
		return err
	}
	*n = NodeLookup{SerialNumber: string(w.SerialNumber), CustomerID: string(w.CustomerID),
		LocationID: string(w.LocationID), PackID: string(w.PackID), PartnerID: string(w.PartnerID), Model: string(w.Model)}
	return nil
}

// UnmarshalJSON decodes a search result; accountId may be a number.
func (m *CustomerMatch) UnmarshalJSON(b []byte) error {
	type plain CustomerMatch
	w := struct {
		*plain
		AccountID    flexString `json:"accountId"`
		MatchedValue flexString `json:"matchedValue"`
	}{plain: (*plain)(m)}
	if err := decodeJSON(b, &w); err != nil {
		return err
	}
	m.AccountID, m.MatchedValue = string(w.AccountID), string(w.MatchedValue)
	return nil
}

// errShape reports a body whose JSON is valid but not any shape we know.
var errShape = errors.New("unexpected JSON shape")

// decodeObject decodes a single JSON object into v.
func decodeObject(data []byte, v any) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return errShape
	}
	return decodeJSON(data, v)
}

// decodeList decodes a list that Plume may send bare ([…]), wrapped ({"nodes":[…]}) or
// double-wrapped ({"nodes":{"nodes":[…]}}); keys are the wrapper names to accept. null
// elements are skipped. An empty object or null is an empty list.
func decodeList[T any](data []byte, keys ...string) ([]T, error) {
	raw := bytes.TrimSpace(data)
	for depth := 0; depth < 4; depth++ {
		if isNull(raw) {
			return []T{}, nil
		}
		switch raw[0] {
		case '[':
			var ptrs []*T
			if err := decodeJSON(raw, &ptrs); err != nil {
				return nil, err
			}
			out := make([]T, 0, len(ptrs))
			for _, p := range ptrs {
				if p != nil {
					out = append(out, *p)
				}
			}
			return out, nil
		case '{':
			var m map[string]json.RawMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, err
			}
			if len(m) == 0 {
				return []T{}, nil
			}
			next, found := json.RawMessage(nil), false
			for _, k := range keys {
				if v, ok := m[k]; ok {
					next, found = v, true
					break
				}
			}
			if !found {
				return nil, fmt.Errorf("%w: object without %s", errShape, strings.Join(keys, "/"))
			}
			raw = bytes.TrimSpace(next)
		default:
			return nil, errShape
		}
	}
	return nil, fmt.Errorf("%w: nested too deep", errShape)
}

func decodeNodes(data []byte) ([]Node, error) {
	ws, err := decodeList[nodeWire](data, "nodes")
	if err != nil {
		return nil, err
	}
	out := make([]Node, len(ws))
	for i := range ws {
		out[i] = ws[i].node()
	}
	return out, nil
}

func decodeDevices(data []byte) ([]Device, error) {
	ws, err := decodeList[deviceWire](data, "devices")
	if err != nil {
		return nil, err
	}
	out := make([]Device, len(ws))
	for i := range ws {
		out[i] = ws[i].device()
	}
	return out, nil
}

func decodeLocations(data []byte) ([]Location, error) {
	return decodeList[Location](data, "locations", "data")
}

func decodeWiFiNetworks(data []byte) ([]WiFiNetwork, error) {
	raw := bytes.TrimSpace(data)
	// A single {"wifiNetwork":{…}} (the older endpoint's shape) is a list of one.
	var one struct {
		WiFiNetwork *WiFiNetwork `json:"wifiNetwork"`
	}
	if len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, &one) == nil && one.WiFiNetwork != nil {
		return []WiFiNetwork{*one.WiFiNetwork}, nil
	}
	return decodeList[WiFiNetwork](raw, "wifiNetworks", "data")
}

func decodeSearch(data []byte) ([]CustomerMatch, error) {
	return decodeList[CustomerMatch](data, "customers", "data", "results")
}

// qoeWire is one traffic-class object in any of the accepted spellings.
type qoeWire struct {
	Name      flexString      `json:"name"`
	Class     flexString      `json:"trafficClass"`
	ClassName flexString      `json:"trafficClassName"`
	QoEScore  flexFloat       `json:"qoeScore"`
	Score     flexFloat       `json:"score"`
	QoE       flexFloat       `json:"qoe"`
	Devices   json.RawMessage `json:"devices"`
}

func (w qoeWire) class(fallbackName string) (QoEClass, bool) {
	c := QoEClass{Name: string(w.Name)}
	for _, n := range []flexString{w.Class, w.ClassName, flexString(fallbackName)} {
		if c.Name == "" {
			c.Name = string(n)
		}
	}
	for _, s := range []flexFloat{w.QoEScore, w.Score, w.QoE} {
		if s.OK {
			c.Score, c.HasScore = s.V, true
			break
		}
	}
	d := bytes.TrimSpace(w.Devices)
	switch {
	case len(d) > 0 && d[0] == '[':
		var items []json.RawMessage
		if json.Unmarshal(d, &items) == nil {
			c.Devices = len(items)
		}
	case len(d) > 0:
		var n flexInt
		_ = n.UnmarshalJSON(d)
		c.Devices = int(n)
	}
	// A class needs a name; in a keyed object (name from the key) it also needs a metric, or
	// any object would look like QoE data.
	return c, c.Name != "" && (fallbackName == "" || c.HasScore || len(w.Devices) > 0)
}

// decodeAppQoE maps the plausible shapes of the unpublished AppQoE body; anything else is
// Recognized=false without an error, so callers can say "unavailable" instead of guessing.
func decodeAppQoE(data []byte) (*AppQoE, error) {
	raw := bytes.TrimSpace(data)
	if !json.Valid(raw) {
		return nil, errors.New("invalid JSON")
	}
	q := &AppQoE{}
	defer func() {
		if len(q.Classes) == 0 {
			q.Classes = nil
		}
	}()
	for depth := 0; depth < 3 && len(raw) > 0; depth++ {
		switch raw[0] {
		case '[':
			q.Classes = qoeArray(raw)
			q.Recognized = len(q.Classes) > 0
			return q, nil
		case '{':
			var m map[string]json.RawMessage
			if json.Unmarshal(raw, &m) != nil {
				return q, nil
			}
			if v, ok := m["trafficClasses"]; ok {
				raw = bytes.TrimSpace(v)
				continue
			}
			if v, ok := m["data"]; ok {
				raw = bytes.TrimSpace(v)
				continue
			}
			q.Classes = qoeKeyed(m)
			q.Recognized = len(q.Classes) > 0
			return q, nil
		default:
			return q, nil
		}
	}
	return q, nil
}

func qoeArray(raw []byte) []QoEClass {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil
	}
	var out []QoEClass
	for _, it := range items {
		it = bytes.TrimSpace(it)
		if len(it) == 0 || it[0] != '{' {
			return nil
		}
		var w qoeWire
		if decodeJSON(it, &w) != nil {
			return nil
		}
		if c, ok := w.class(""); ok {
			out = append(out, c)
		}
	}
	return out
}

// qoeKeyed decodes {"gaming":{"qoeScore":4.2}} or {"gaming":4.2}; every value must fit.
func qoeKeyed(m map[string]json.RawMessage) []QoEClass {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	out := make([]QoEClass, 0, len(names))
	for _, k := range names {
		v := bytes.TrimSpace(m[k])
		if len(v) == 0 || k == "" {
			return nil
		}
		switch {
		case v[0] == '{':
			var w qoeWire
			if decodeJSON(v, &w) != nil {
				return nil
			}
			c, ok := w.class(k)
			if !ok {
				return nil
			}
			out = append(out, c)
		default:
			var f flexFloat
			_ = f.UnmarshalJSON(v)
			if !f.OK {
				return nil
			}
			out = append(out, QoEClass{Name: k, Score: f.V, HasScore: true})
		}
	}
	return out
}

type wanPointWire struct {
	Timestamp flexTime  `json:"timestamp"`
	RxMbytes  flexFloat `json:"rxMbytes"`
	TxMbytes  flexFloat `json:"txMbytes"`
	RxMaxMbps flexFloat `json:"rxMaxMbps"`
	TxMaxMbps flexFloat `json:"txMaxMbps"`
}

func decodeWANStats(data []byte, period string) (*WANStats, error) {
	pts, err := decodeList[wanPointWire](data, "fifteenMins", "data")
	if err != nil {
		return nil, err
	}
	ws := &WANStats{Period: period, Points: make([]WANPoint, len(pts))}
	for i, p := range pts {
		ws.Points[i] = WANPoint{
			Time:      p.Timestamp.Time,
			Valid:     !p.Timestamp.IsZero() && p.RxMbytes.OK && p.TxMbytes.OK && p.RxMaxMbps.OK && p.TxMaxMbps.OK,
			RxMbytes:  p.RxMbytes.V,
			TxMbytes:  p.TxMbytes.V,
			RxMaxMbps: p.RxMaxMbps.V,
			TxMaxMbps: p.TxMaxMbps.V,
		}
	}
	return ws, nil
}

type onlinePointWire struct {
	Timestamp flexTime  `json:"timestamp"`
	Value     flexFloat `json:"value"`
}

func decodeOnlineStats(data []byte, granularity string) (*OnlineStats, error) {
	pts, err := decodeList[onlinePointWire](data, "onlineStats", "online", "data")
	if err != nil {
		return nil, err
	}
	os := &OnlineStats{Granularity: granularity, Points: make([]OnlinePoint, len(pts))}
	for i, p := range pts {
		os.Points[i] = OnlinePoint{Time: p.Timestamp.Time, Valid: p.Value.OK && !p.Timestamp.IsZero(), Percent: p.Value.V}
	}
	return os, nil
}
