package plume

import (
	"context"
	"net/http"
)

// Location returns one location's combined state and config:
// GET /Customers/{customerId}/locations/{locationId}.
func (c *Client) Location(ctx context.Context, customerID, locationID string) (*Location, error) {
	var l Location
	if err := c.getObject(ctx, "location", customerID, locationID, nil, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// Locations returns a customer's locations: GET /Customers/{customerId}/locations.
func (c *Client) Locations(ctx context.Context, customerID string) ([]Location, error) {
	if err := ValidateID("customer", customerID); err != nil {
		return nil, err
	}
	r := &request{endpoint: "locations", method: http.MethodGet, segments: []string{"Customers", customerID, "locations"}}
	return getList(ctx, c, r, decodeLocations)
}

// WiFiNetworks returns the location's networks (SSIDs); PSKs are never decoded:
// GET …/wifiNetworks.
func (c *Client) WiFiNetworks(ctx context.Context, customerID, locationID string) ([]WiFiNetwork, error) {
	r, err := locationRequest("wifiNetworks", customerID, locationID, "wifiNetworks")
	if err != nil {
		return nil, err
	}
	return getList(ctx, c, r, decodeWiFiNetworks)
}

// locationRequest validates the IDs and builds a GET under /Customers/{c}/locations/{l}.
func locationRequest(endpoint, customerID, locationID string, rest ...string) (*request, error) {
	if err := ValidateID("customer", customerID); err != nil {
		return nil, err
	}
	if err := ValidateID("location", locationID); err != nil {
		return nil, err
	}
	segs := append([]string{"Customers", customerID, "locations", locationID}, rest...)
	return &request{endpoint: endpoint, method: http.MethodGet, segments: segs}, nil
}

// getObject GETs one JSON object under a location into v.
func (c *Client) getObject(ctx context.Context, endpoint, customerID, locationID string, rest []string, v any) error {
	r, err := locationRequest(endpoint, customerID, locationID, rest...)
	if err != nil {
		return err
	}
	body, status, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	if err := decodeObject(body, v); err != nil {
		return invalidResponse(endpoint, status, err)
	}
	return nil
}

// getList performs r and decodes the body with decode.
func getList[T any](ctx context.Context, c *Client, r *request, decode func([]byte) ([]T, error)) ([]T, error) {
	body, status, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	out, err := decode(body)
	if err != nil {
		return nil, invalidResponse(r.endpoint, status, err)
	}
	return out, nil
}
