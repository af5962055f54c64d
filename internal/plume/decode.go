package plume

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Model decoding: each model's lenient UnmarshalJSON (lenient.go has the scalar types they
// use) and the list shapes Plume may send. AppQoE, whose shape is unpublished, is in qoe.go.

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

// decodeObject decodes a body that must be a single JSON object.
func decodeObject[T any](data []byte) (*T, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return nil, errShape
	}
	v := new(T)
	if err := decodeJSON(data, v); err != nil {
		return nil, err
	}
	return v, nil
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
