// Package secret holds values that must never be printed: the Plume Authorization header, the
// bot token, the webhook secret, the sealing keys. Formatting, logging and marshalling redact them.
package secret

import (
	"fmt"
	"log/slog"
	"strconv"
)

// Redacted is what a String shows instead of its value.
const Redacted = "[REDACTED]"

// String is a secret text. fmt (every verb), log/slog, encoding/json and any other
// encoding.TextMarshaler user see Redacted; Reveal is the one way to read the value.
type String string

func (s String) String() string   { return Redacted }
func (s String) GoString() string { return Redacted }

// Format redacts under every verb: without it, a verb fmt has no Stringer rule for (%d) would
// print the value inside its error text.
func (s String) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = f.Write([]byte(strconv.Quote(Redacted)))
		return
	}
	_, _ = f.Write([]byte(Redacted))
}

// LogValue keeps the value out of slog output.
func (s String) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalText keeps the value out of JSON and other text encodings.
func (s String) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// Reveal returns the value, for the one place that must use it (a request header, a key).
func (s String) Reveal() string { return string(s) }
