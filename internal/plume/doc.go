// Package plume is plumebot's client for the Plume Cloud partner API: token source, typed
// endpoints, defensive decoding, error kinds, retries and per-host rate limits.
package plume
