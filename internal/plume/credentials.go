package plume

import (
	"crypto/sha256"
	"encoding/hex"

	"plumebot/internal/secret"
)

// Credentials are what Plume hands an ISP for its partner API.
type Credentials struct {
	TokenURL    string        // https://external.sso.plume.com/oauth2/{authServerId}/v1/token
	AuthHeader  secret.String // "Basic base64(clientId:clientSecret)", sent exactly as given
	PartnerID   string
	APIBase     string // …/api
	ReportsBase string // …/reports; empty: derived from APIBase
}

// Fingerprint identifies a set of credentials without revealing them (cache keys, logs):
// data fetched with one fingerprint is never served to another.
func (c Credentials) Fingerprint() string {
	h := sha256.New()
	for _, s := range []string{c.TokenURL, c.AuthHeader.Reveal(), c.PartnerID, c.APIBase, c.ReportsBase} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}
