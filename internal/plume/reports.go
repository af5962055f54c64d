package plume

import (
	"context"
	"net/url"
	"strconv"
)

// WANStats returns 15-minute WAN consumption points from the Reports API:
// GET /reports/Customers/{c}/locations/{l}/wanStats?period=daily|weekly|monthly.
func (c *Client) WANStats(ctx context.Context, customerID, locationID, period string) (*WANStats, error) {
	switch period {
	case "daily", "weekly", "monthly":
	default:
		return nil, invalidInput("The WAN statistics period must be daily, weekly or monthly.")
	}
	r, err := locationRequest("wanStats", customerID, locationID, "wanStats")
	if err != nil {
		return nil, err
	}
	r.reports, r.query = true, url.Values{"period": {period}}
	return get(ctx, c, r, func(body []byte) (*WANStats, error) { return decodeWANStats(body, period) })
}

// OnlineStats returns the share of each bucket the location was online:
// GET /reports/…/onlineStats?granularity=minutes|hours|days&limit=1..1000.
func (c *Client) OnlineStats(ctx context.Context, customerID, locationID, granularity string, limit int) (*OnlineStats, error) {
	switch granularity {
	case "minutes", "hours", "days":
	default:
		return nil, invalidInput("The granularity must be minutes, hours or days.")
	}
	if limit < 1 || limit > 1000 {
		return nil, invalidInput("The number of buckets must be between 1 and 1000.")
	}
	r, err := locationRequest("onlineStats", customerID, locationID, "onlineStats")
	if err != nil {
		return nil, err
	}
	r.reports, r.query = true, url.Values{"granularity": {granularity}, "limit": {strconv.Itoa(limit)}}
	return get(ctx, c, r, func(body []byte) (*OnlineStats, error) { return decodeOnlineStats(body, granularity) })
}
