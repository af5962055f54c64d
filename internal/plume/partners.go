package plume

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"unicode"
)

// searchEntities are the fields a customer search covers; locationId and customerId need
// exact IDs, which callers look up directly.
const searchEntities = "email,accountId,name,nodeId,serviceId"

// maxSearchLen bounds the search text (Plume matches emails, names and account IDs).
const maxSearchLen = 100

// NodeLookup finds where a pod is claimed: GET /partners/nodes/{serial}.
func (c *Client) NodeLookup(ctx context.Context, serial string) (*NodeLookup, error) {
	if err := ValidateSerial(serial); err != nil {
		return nil, err
	}
	r := &request{endpoint: "nodeLookup", method: http.MethodGet, segments: []string{"partners", "nodes", serial}}
	return get(ctx, c, r, decodeObject[NodeLookup])
}

// SearchCustomers searches the partner's customers by email, account ID, name, node ID or
// service ID: GET /Customers/v2/search.
func (c *Client) SearchCustomers(ctx context.Context, text string) ([]CustomerMatch, error) {
	text = strings.TrimSpace(text)
	if text == "" || len([]rune(text)) > maxSearchLen {
		return nil, invalidInput("The search text must be 1 to 100 characters.")
	}
	if strings.IndexFunc(text, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return nil, invalidInput("The search text contains control characters.")
	}
	r := &request{endpoint: "search", method: http.MethodGet, segments: []string{"Customers", "v2", "search"},
		query: url.Values{"searchString": {text}, "searchEntities": {searchEntities}}}
	return get(ctx, c, r, decodeSearch)
}
