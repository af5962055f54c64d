package bot

import (
	"context"
	"encoding/json"
	"fmt"

	"plumebot/internal/plume"
	"plumebot/internal/plumedata"
	"plumebot/internal/secret"
)

// Record kinds in the store.
const (
	kindCreds    = "creds"    // the user's own Plume credentials (sealed)
	kindSettings = "settings" // the user's last location
)

// storedCreds is the at-rest form of plume.Credentials: secret.String redacts itself when
// marshalled, so the header needs a plain field here (the store seals the record).
type storedCreds struct {
	TokenURL    string `json:"token_url"`
	AuthHeader  string `json:"auth_header"`
	PartnerID   string `json:"partner_id"`
	APIBase     string `json:"api_base"`
	ReportsBase string `json:"reports_base,omitempty"`
}

func toStored(c plume.Credentials) storedCreds {
	return storedCreds{TokenURL: c.TokenURL, AuthHeader: c.AuthHeader.Reveal(), PartnerID: c.PartnerID,
		APIBase: c.APIBase, ReportsBase: c.ReportsBase}
}

func (s storedCreds) creds() plume.Credentials {
	return plume.Credentials{TokenURL: s.TokenURL, AuthHeader: secret.String(s.AuthHeader), PartnerID: s.PartnerID,
		APIBase: s.APIBase, ReportsBase: s.ReportsBase}
}

// settings is what the bot remembers between commands for a user.
type settings struct {
	CustomerID string `json:"customer_id"`
	LocationID string `json:"location_id"`
}

// credentials returns the user's own credentials, else the operator's; ok is false with none.
// Own credentials that cannot be opened (sealed with a key this bot no longer holds, or
// damaged) are errCredsUnreadable: the user must sign in again, and is told so rather than
// silently switched to the operator's.
func (b *Bot) credentials(ctx context.Context, userID int64) (creds plume.Credentials, own, ok bool, err error) {
	raw, err := b.st.GetUser(ctx, userID, kindCreds)
	switch {
	case unreadable(err):
		b.log.Warn("stored credentials cannot be opened; the user must sign in again", "user", userID, "err", err)
		return creds, false, false, errCredsUnreadable
	case err == nil:
		var sc storedCreds
		if err := json.Unmarshal(raw, &sc); err != nil {
			return creds, false, false, fmt.Errorf("decode stored credentials: %w", err)
		}
		return sc.creds(), true, true, nil
	case !isNotFound(err):
		return creds, false, false, fmt.Errorf("load credentials: %w", err)
	}
	if b.cfg.Operator != nil {
		return *b.cfg.Operator, false, true, nil
	}
	return creds, false, false, nil
}

const msgNotSignedIn = "🔒 You are not signed in to Plume. Send /auth in a private chat with me to add your credentials."

// errCredsUnreadable is the reply to a user whose saved credentials no longer open.
const errCredsUnreadable = usageError("🔒 I can no longer read your saved Plume credentials (the bot's " +
	"encryption key changed). Send /auth in a private chat with me to add them again, or /logout to forget them.")

// session resolves the update's credentials into their Plume access.
func (b *Bot) session(ctx context.Context, userID int64) (*plumedata.Session, error) {
	creds, _, ok, err := b.credentials(ctx, userID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, usageError(msgNotSignedIn)
	}
	return b.data.Session(creds)
}

// loadSettings returns the user's last location (zero when none).
func (b *Bot) loadSettings(ctx context.Context, userID int64) (settings, error) {
	var s settings
	raw, err := b.st.GetUser(ctx, userID, kindSettings)
	if err != nil {
		if isNotFound(err) {
			return s, nil
		}
		return s, fmt.Errorf("load settings: %w", err)
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return settings{}, nil // a corrupt record is as good as none
	}
	return s, nil
}

func (b *Bot) saveSettings(ctx context.Context, userID int64, s settings) {
	raw, _ := json.Marshal(s)
	if err := b.st.PutUser(ctx, userID, kindSettings, raw); err != nil {
		b.log.Warn("save settings failed", "user", userID, "err", err)
	}
}
