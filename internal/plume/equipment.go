package plume

import (
	"context"
	"net/http"
	"net/url"
)

// Nodes returns the location's pods and gateway: GET …/nodes.
func (c *Client) Nodes(ctx context.Context, customerID, locationID string) ([]Node, error) {
	r, err := locationRequest("nodes", customerID, locationID, "nodes")
	if err != nil {
		return nil, err
	}
	return get(ctx, c, r, decodeNodes)
}

// Devices returns the location's client devices: GET …/devices.
func (c *Client) Devices(ctx context.Context, customerID, locationID string) ([]Device, error) {
	r, err := locationRequest("devices", customerID, locationID, "devices")
	if err != nil {
		return nil, err
	}
	return get(ctx, c, r, decodeDevices)
}

// AppQoE returns app quality of experience by traffic class:
// POST …/appqoe/AppQoeStatsByTrafficClass with form timePeriod (a read, so it is retried).
func (c *Client) AppQoE(ctx context.Context, customerID, locationID string, period QoEPeriod) (*AppQoE, error) {
	switch period {
	case QoELastHour, QoELast24Hours, QoELast7Days, QoELast30Days:
	default:
		return nil, invalidInput("The QoE period must be lastHour, last24Hours, last7Days or last30Days.")
	}
	r, err := locationRequest("appqoe", customerID, locationID, "appqoe", "AppQoeStatsByTrafficClass")
	if err != nil {
		return nil, err
	}
	r.method = http.MethodPost
	r.form = url.Values{"timePeriod": {string(period)}}
	return get(ctx, c, r, decodeAppQoE)
}
