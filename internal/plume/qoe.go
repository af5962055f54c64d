package plume

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
)

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
