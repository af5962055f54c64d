package plume

import (
	"context"
	"net/http"
)

// Location returns one location's combined state and config:
// GET /Customers/{customerId}/locations/{locationId}.
func (c *Client) Location(ctx context.Context, customerID, locationID string) (*Location, error) {
	r, err := locationRequest("location", customerID, locationID)
	if err != nil {
		return nil, err
	}
	return get(ctx, c, r, decodeObject[Location])
}

// Locations returns a customer's locations: GET /Customers/{customerId}/locations.
func (c *Client) Locations(ctx context.Context, customerID string) ([]Location, error) {
	if err := ValidateID("customer", customerID); err != nil {
		return nil, err
	}
	r := &request{endpoint: "locations", method: http.MethodGet, segments: []string{"Customers", customerID, "locations"}}
	return get(ctx, c, r, decodeLocations)
}

// WiFiNetworks returns the location's networks (SSIDs); PSKs are never decoded:
// GET …/wifiNetworks.
func (c *Client) WiFiNetworks(ctx context.Context, customerID, locationID string) ([]WiFiNetwork, error) {
	r, err := locationRequest("wifiNetworks", customerID, locationID, "wifiNetworks")
	if err != nil {
		return nil, err
	}
	return get(ctx, c, r, decodeWiFiNetworks)
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
