package plume

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The write operations support staff may trigger (plume-api.md §6.4–6.5): reboot a pod,
// reboot a location, start the gateway's ISP speed test, start an optimization. They are
// sent once and never retried: after a timeout or a 503 nobody knows whether Plume acted,
// and a second reboot would cut the subscriber's WiFi again. A 401 is still retried once
// with a fresh token, because Plume refused the request before acting on it.

// Logical endpoint names of the actions (Error.Endpoint, metrics labels).
const (
	EndpointRebootNode     = "rebootNode"
	EndpointRebootLocation = "rebootLocation"
	EndpointISPSpeedTest   = "ispSpeedTest"
	EndpointOptimize       = "optimize"
)

// MaxRebootDelay is the largest reboot delay Plume accepts: form field delay, 0–100000
// seconds; Plume answers 422 beyond it (plume-api.md §6.5).
const MaxRebootDelay = 100000 * time.Second

// Each action returns the HTTP status Plume answered (0 when none came, as for an input refused
// before sending) for the audit log, with the error.

// RebootNode asks Plume to restart one pod: PUT /Customers/{c}/locations/{l}/nodes/{nodeId}/reboot
// with form delay (whole seconds, 0 to MaxRebootDelay); Plume answers 204 (§6.5). Errors: a
// KindInvalidInput before any request for a bad ID, serial or delay; then KindNotFound (the pod
// is not in this location), KindForbidden (these credentials may not do this),
// KindInvalidInput with Status 422 (Plume refused the parameters), KindRateLimited (WAF, with
// RetryAfter), KindTimeout (Plume may or may not have acted).
func (c *Client) RebootNode(ctx context.Context, customerID, locationID, nodeID string, delay time.Duration) (status int, err error) {
	if err := ValidateSerial(nodeID); err != nil {
		return 0, err
	}
	r, err := actionRequest(EndpointRebootNode, http.MethodPut, customerID, locationID, "nodes", nodeID, "reboot")
	if err != nil {
		return 0, err
	}
	if r.form, err = delayForm(delay); err != nil {
		return 0, err
	}
	return c.write(ctx, r)
}

// RebootLocation asks Plume to restart every pod of a location:
// PUT /Customers/{c}/locations/{l}/reboot with form delay (as RebootNode); 204 (§6.5). The
// errors are RebootNode's, KindNotFound meaning the customer or location is unknown.
func (c *Client) RebootLocation(ctx context.Context, customerID, locationID string, delay time.Duration) (status int, err error) {
	r, err := actionRequest(EndpointRebootLocation, http.MethodPut, customerID, locationID, "reboot")
	if err != nil {
		return 0, err
	}
	if r.form, err = delayForm(delay); err != nil {
		return 0, err
	}
	return c.write(ctx, r)
}

// StartISPSpeedTest asks the location's gateway to run an ISP speed test:
// POST /Customers/{c}/locations/{l}/ispSpeedTest, no form fields (requestId, serverId and
// uplinkType are optional, §6.4). Plume publishes no response body; any 2xx is success and the
// body is ignored. The result appears later as the gateway's nodes[].speedTest with a newer
// startedAt (§5.1). Errors as RebootLocation's.
func (c *Client) StartISPSpeedTest(ctx context.Context, customerID, locationID string) (status int, err error) {
	r, err := actionRequest(EndpointISPSpeedTest, http.MethodPost, customerID, locationID, "ispSpeedTest")
	if err != nil {
		return 0, err
	}
	return c.write(ctx, r)
}

// Optimize asks Plume to re-plan the location's channels and topology:
// POST /Customers/{c}/locations/{l}/optimize (§6.5; Plume's schema types the 200 body as a
// string, which is ignored). Errors as RebootLocation's.
func (c *Client) Optimize(ctx context.Context, customerID, locationID string) (status int, err error) {
	r, err := actionRequest(EndpointOptimize, http.MethodPost, customerID, locationID, "optimize")
	if err != nil {
		return 0, err
	}
	return c.write(ctx, r)
}

func actionRequest(endpoint, method, customerID, locationID string, rest ...string) (*request, error) {
	r, err := locationRequest(endpoint, customerID, locationID, rest...)
	if err != nil {
		return nil, err
	}
	r.method, r.once = method, true
	return r, nil
}

func delayForm(delay time.Duration) (url.Values, error) {
	if delay < 0 || delay > MaxRebootDelay || delay%time.Second != 0 {
		return nil, invalidInput(fmt.Sprintf("The reboot delay must be whole seconds from 0 to %d.", int(MaxRebootDelay/time.Second)))
	}
	return url.Values{"delay": {strconv.Itoa(int(delay / time.Second))}}, nil
}

// write sends an action and discards its 2xx body. status is Plume's answer (204, 200; the
// error's status when Plume refused), 0 when no response came.
func (c *Client) write(ctx context.Context, r *request) (status int, err error) {
	_, status, err = c.do(ctx, r)
	return status, err
}

// isAction reports whether an endpoint name is one of the write operations above.
func isAction(endpoint string) bool {
	switch endpoint {
	case EndpointRebootNode, EndpointRebootLocation, EndpointISPSpeedTest, EndpointOptimize:
		return true
	}
	return false
}

// actionMessage is the UserMessage of an action's error: what the refusal means for the
// action, in words an agent can act on. ok is false for errors of read endpoints.
func actionMessage(e *Error) (msg string, ok bool) {
	if !isAction(e.Endpoint) {
		return "", false
	}
	switch e.Kind {
	case KindForbidden:
		return "Plume says these credentials may not do this (403).", true
	case KindNotFound:
		if e.Endpoint == EndpointRebootNode {
			return "Plume says this pod is not in this location any more (404).", true
		}
		return "Plume does not know this customer or location (404).", true
	case KindInvalidInput:
		if e.Status == 0 {
			return "", false // refused before sending: the validation text says why
		}
		msg := fmt.Sprintf("Plume refused the request's parameters (%d).", e.Status)
		if d := loopbackDetail(e.Detail); d != "" {
			msg += " " + d
		}
		return msg, true
	case KindRateLimited:
		if e.RetryAfter > 0 {
			return fmt.Sprintf("Plume is rate-limiting requests; try again in %d s.", int(math.Ceil(e.RetryAfter.Seconds()))), true
		}
		return "Plume is rate-limiting requests; try again in a few minutes.", true
	case KindTimeout:
		return "Plume did not confirm the request in time: " + maybeDone, true
	case KindUpstream:
		// A 5xx may come after Plume (or a proxy in front of it) passed the request on.
		return fmt.Sprintf("Plume had an internal error (%d): %s", e.Status, maybeDone), true
	case KindNetwork:
		if neverSent(e) {
			return "Plume could not be reached: nothing was sent. Try again.", true
		}
		return "The connection to Plume broke: " + maybeDone, true
	}
	return "", false
}

// maybeDone ends the words of an action whose fate is unknown: trying again blindly could
// reboot a pod twice.
const maybeDone = "it may or may not have been done. Check before trying again."

// neverSent reports whether a network error happened before a connection existed (the dial):
// then the request never left.
func neverSent(e *Error) bool {
	var op *net.OpError
	return errors.As(e.Err, &op) && op.Op == "dial"
}

// loopbackDetail is Plume's own message inside a 400/422 Detail ("Plume rejected the request:
// <message>"), or "" when Plume sent none.
func loopbackDetail(detail string) string {
	const prefix = "Plume rejected the request: "
	if len(detail) > len(prefix) && detail[:len(prefix)] == prefix {
		d := detail[len(prefix):]
		if d == http.StatusText(http.StatusUnprocessableEntity) || d == http.StatusText(http.StatusBadRequest) {
			return ""
		}
		return d
	}
	return ""
}
