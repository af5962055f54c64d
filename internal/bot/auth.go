package bot

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"plumebot/internal/plume"
	"plumebot/internal/render"
	"plumebot/internal/secret"
)

// /auth conversation steps.
const (
	stepSSO     = "sso"
	stepHeader  = "header"
	stepPartner = "partner"
	stepAPI     = "api"
)

// authConvKey is the sealed temp record holding a conversation (it holds the header mid-flow).
const authConvKey = "auth"

// authState is the /auth conversation, kept in the store so any replica can continue it.
// ExpiresAt is checked against cfg.Now; the store's TTL only garbage-collects the record.
type authState struct {
	Step      string    `json:"step"`
	TokenURL  string    `json:"token_url,omitempty"`
	Header    string    `json:"header,omitempty"`
	PartnerID string    `json:"partner_id,omitempty"`
	APIBase   string    `json:"api_base,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
	// Retry: the credentials were tested and one answer was refused; once it is given again
	// the credentials are tested again at once (the other answers are kept).
	Retry bool `json:"retry,omitempty"`
}

// complete reports whether every answer is there, so the credentials can be tested.
func (st *authState) complete() bool {
	return st.TokenURL != "" && st.Header != "" && st.PartnerID != "" && st.APIBase != ""
}

// authMarkerKey outlives the conversation so a late reply can be told "timed out" instead of
// "I only understand commands".
func authMarkerKey(userID int64) string { return "authmark:" + strconv.FormatInt(userID, 10) }

const authMarkerGrace = time.Hour

func (b *Bot) loadAuth(ctx context.Context, userID int64) (*authState, error) {
	raw, err := b.st.GetSealedTemp(ctx, userID, authConvKey)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	var st authState
	if err := json.Unmarshal(raw, &st); err != nil || st.Step == "" {
		return nil, nil
	}
	return &st, nil
}

func (b *Bot) saveAuth(ctx context.Context, userID int64, st *authState) error {
	st.ExpiresAt = b.now().Add(b.cfg.AuthTimeout)
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := b.st.PutSealedTemp(ctx, userID, authConvKey, raw, b.cfg.AuthTimeout); err != nil {
		return err
	}
	b.trackConversation(userID, st.ExpiresAt)
	return b.st.PutTemp(ctx, authMarkerKey(userID), []byte{1}, b.cfg.AuthTimeout+authMarkerGrace)
}

// endAuth removes the conversation and its marker.
func (b *Bot) endAuth(ctx context.Context, userID int64) {
	if err := b.st.DeleteSealedTemp(ctx, userID, authConvKey); err != nil && !isNotFound(err) {
		b.log.Warn("delete auth conversation failed", "user", userID, "err", err)
	}
	if err := b.st.DeleteTemp(ctx, authMarkerKey(userID)); err != nil && !isNotFound(err) {
		b.log.Warn("delete auth marker failed", "user", userID, "err", err)
	}
	b.trackConversation(userID, time.Time{})
}

const msgAuthTimedOut = "⌛ Your /auth timed out (no answer for a while). Send /auth to start again."

// authInput feeds plain text or /skip to an active /auth conversation. handled is false when
// there is none (the caller routes the message normally).
func (b *Bot) authInput(ctx context.Context, r *request, isSkip bool) (handled bool, err error) {
	if r.u.ChatType != ChatPrivate && r.u.ChatType != "" {
		return false, nil
	}
	st, err := b.loadAuth(ctx, r.u.UserID)
	if err != nil {
		return true, err
	}
	if st == nil {
		if _, err := b.st.GetTemp(ctx, authMarkerKey(r.u.UserID)); err == nil {
			r.command = "auth:expired"
			b.endAuth(ctx, r.u.UserID)
			return true, usageError(msgAuthTimedOut)
		}
		return false, nil
	}
	r.command = "auth:" + st.Step
	if !b.now().Before(st.ExpiresAt) {
		r.command = "auth:expired"
		if st.Step == stepHeader && !isSkip {
			b.deleteSecretMessage(ctx, r)
		}
		b.endAuth(ctx, r.u.UserID)
		return true, usageError(msgAuthTimedOut)
	}
	text := strings.TrimSpace(r.u.Text)
	if st.Step != stepHeader && looksLikeHeader(written(r.u)) {
		// Pasted at the wrong step: the secret must not stay in the chat either.
		return true, b.reask(ctx, r, st, b.wrongPlaceForHeader(ctx, r))
	}
	switch st.Step {
	case stepSSO:
		if isSkip {
			if b.cfg.DefaultSSOURL == "" {
				return true, b.reask(ctx, r, st, "There is no default token URL here; please send it.")
			}
			text = b.cfg.DefaultSSOURL
		}
		if err := plume.ValidateURL(text, b.cfg.AllowedHosts); err != nil {
			return true, b.reask(ctx, r, st, invalidText(err))
		}
		st.TokenURL, st.Step = text, stepHeader
	case stepHeader:
		if isSkip {
			return true, b.reask(ctx, r, st, "The Authorization header cannot be skipped.")
		}
		deleted := b.deleteSecretMessage(ctx, r)
		if err := plume.ValidateAuthHeader(text); err != nil {
			reason := invalidText(err)
			if !deleted {
				reason += "\n❗ I could not delete your message: please delete it yourself."
			}
			return true, b.reask(ctx, r, st, reason)
		}
		st.Header, st.Step = text, stepPartner
		if !deleted {
			if _, err := b.chat.Send(ctx, r.u.ChatID, "❗ I could not delete the message with your header: please delete it yourself.", nil); err != nil {
				b.sendFailed(r.u.ChatID, err)
			}
		}
	case stepPartner:
		if isSkip {
			return true, b.reask(ctx, r, st, "The partner ID cannot be skipped.")
		}
		if err := plume.ValidatePartnerID(text); err != nil {
			return true, b.reask(ctx, r, st, invalidText(err))
		}
		st.PartnerID, st.Step = text, stepAPI
	case stepAPI:
		if isSkip {
			text = b.cfg.DefaultAPIBase
		}
		if err := plume.ValidateURL(text, b.cfg.AllowedHosts); err != nil {
			return true, b.reask(ctx, r, st, invalidText(err))
		}
		return true, b.finishAuth(ctx, r, st, strings.TrimRight(text, "/"))
	default:
		b.endAuth(ctx, r.u.UserID)
		return true, usageError(msgAuthTimedOut)
	}
	if st.Retry && st.complete() {
		return true, b.finishAuth(ctx, r, st, st.APIBase)
	}
	if err := b.saveAuth(ctx, r.u.UserID, st); err != nil {
		return true, err
	}
	_, err = b.chat.Send(ctx, r.u.ChatID, b.prompt(st.Step), nil)
	return true, err
}

// deleteSecretMessage deletes the message that carried (or may have carried) the header, once
// per update (Handle tries first, before the store), and reports whether it is gone.
func (b *Bot) deleteSecretMessage(ctx context.Context, r *request) bool {
	if r.secretTried {
		return r.secretDeleted
	}
	r.secretTried = true
	if r.u.MessageID == 0 {
		return false
	}
	if err := b.chat.Delete(ctx, r.u.ChatID, r.u.MessageID); err != nil {
		if !errors.Is(err, ErrChatUnreachable) { // logged once, as such
			b.log.Warn("delete header message failed", "chat", r.u.ChatID, "err", err)
		}
		return false
	}
	r.secretDeleted = true
	return true
}

// reask explains why the input was refused and asks the same step again; the state is only
// refreshed (its expiry), never changed.
func (b *Bot) reask(ctx context.Context, r *request, st *authState, why string) error {
	r.outcome = "usage"
	if err := b.saveAuth(ctx, r.u.UserID, st); err != nil {
		return err
	}
	_, err := b.chat.Send(ctx, r.u.ChatID, why+"\n\n"+b.prompt(st.Step), nil)
	return err
}

func (b *Bot) prompt(step string) string {
	switch step {
	case stepSSO:
		s := "<b>Step 1/4</b>: send the SSO token URL Plume gave you, like\n" +
			"<code>https://external.sso.plume.com/oauth2/&lt;id&gt;/v1/token</code>"
		if b.cfg.DefaultSSOURL != "" {
			s += "\nor /skip to use <code>" + render.Escape(b.cfg.DefaultSSOURL) + "</code>"
		}
		return s + "\n/cancel stops."
	case stepHeader:
		return "<b>Step 2/4</b>: send the Authorization header, <code>Basic …</code>.\n" +
			"I delete your message right away and never show it again."
	case stepPartner:
		return "<b>Step 3/4</b>: send your Plume partner ID (letters and digits)."
	case stepAPI:
		return "<b>Step 4/4</b>: send the API base URL, or /skip for\n<code>" + render.Escape(b.cfg.DefaultAPIBase) + "</code>"
	}
	return ""
}

// validHeader reports whether h is a well-formed Authorization header.
func validHeader(h string) bool { return plume.ValidateAuthHeader(h) == nil }

// wrongPlaceForHeader deletes a message that carries a header outside the header step and
// says so.
func (b *Bot) wrongPlaceForHeader(ctx context.Context, r *request) string {
	msg := "🔒 That looks like an Authorization header, so I deleted it."
	if !b.deleteSecretMessage(ctx, r) {
		msg = "🔒 That looks like an Authorization header. ❗ I could not delete it: please delete it yourself."
	}
	return msg + " It belongs in step 2 of /auth."
}

func (b *Bot) cmdAuth(ctx context.Context, r *request, args []string) error {
	if r.u.ChatType != ChatPrivate && r.u.ChatType != "" {
		return usageError("🔒 Use /auth in a private chat with me: credentials must not be posted in a group.")
	}
	st := &authState{Step: stepSSO}
	if err := b.saveAuth(ctx, r.u.UserID, st); err != nil {
		return err
	}
	intro := "🔑 Let's add your Plume partner credentials. I test them with Plume before saving them, encrypted.\n\n"
	_, err := b.chat.Send(ctx, r.u.ChatID, intro+b.prompt(stepSSO), nil)
	return err
}

func (b *Bot) cmdCancel(ctx context.Context, r *request, args []string) error {
	st, err := b.loadAuth(ctx, r.u.UserID)
	if err != nil {
		return err
	}
	if st == nil {
		_ = b.st.DeleteTemp(ctx, authMarkerKey(r.u.UserID))
		_, err = b.chat.Send(ctx, r.u.ChatID, "Nothing to cancel.", nil)
		return err
	}
	b.endAuth(ctx, r.u.UserID)
	_, err = b.chat.Send(ctx, r.u.ChatID, "❎ /auth cancelled. Nothing was saved.", nil)
	return err
}

// cmdSkip is reached only outside a conversation (authInput takes /skip inside one).
func (b *Bot) cmdSkip(ctx context.Context, r *request, args []string) error {
	return usageError("Nothing to skip: /skip works during /auth.")
}

// failedStep is the /auth step whose answer a failed credential test points at: the header
// when the SSO refused the client, the partner ID when it refused the scope, else the token URL
// (unreachable, not a token endpoint, a certificate not trusted).
func failedStep(err error) string {
	var pe *plume.Error
	if errors.As(err, &pe) && pe.Kind == plume.KindTokenFailed {
		switch pe.Cause {
		case plume.CauseCredentialsRejected:
			return stepHeader
		case plume.CauseScope:
			return stepPartner
		}
	}
	return stepSSO
}

// finishAuth tests the credentials with a live token request and saves them on success only.
func (b *Bot) finishAuth(ctx context.Context, r *request, st *authState, apiBase string) error {
	creds := plume.Credentials{
		TokenURL:    st.TokenURL,
		AuthHeader:  secret.String(st.Header),
		PartnerID:   st.PartnerID,
		APIBase:     apiBase,
		ReportsBase: plume.DefaultReportsBase(apiBase),
	}
	if _, err := b.chat.Send(ctx, r.u.ChatID, "⏳ Testing credentials…", nil); err != nil {
		b.sendFailed(r.u.ChatID, err)
	}
	if err := b.data.Verify(ctx, creds); err != nil {
		r.outcome = "error:auth"
		var pe *plume.Error
		if errors.As(err, &pe) {
			r.outcome = "error:" + pe.Kind.String()
		} else {
			b.log.Warn("credential test failed", "user", r.u.UserID, "err", err)
		}
		text := "❌ These credentials did not work: nothing was saved.\n" + render.Error(err)
		// Only the answer that failed is asked again; the others are kept.
		st.Step, st.Retry, st.APIBase = failedStep(err), true, apiBase
		switch st.Step {
		case stepSSO:
			st.TokenURL = ""
		case stepHeader:
			st.Header = ""
		case stepPartner:
			st.PartnerID = ""
		}
		if err := b.saveAuth(ctx, r.u.UserID, st); err != nil {
			b.endAuth(ctx, r.u.UserID)
			_, serr := b.chat.Send(ctx, r.u.ChatID, text+"\n\nSend /auth to try again.", nil)
			return errors.Join(serr, err)
		}
		_, serr := b.chat.Send(ctx, r.u.ChatID, text+"\n\nYour other answers are kept; /cancel stops.\n"+b.prompt(st.Step), nil)
		return serr
	}
	raw, err := json.Marshal(toStored(creds))
	if err != nil {
		return err
	}
	// Saved before the conversation ends: a store that fails here leaves the conversation
	// as it was, so the same last answer, sent again, saves them ("try again in a moment").
	if err := b.st.PutUser(ctx, r.u.UserID, kindCreds, raw); err != nil {
		return err
	}
	// Confirmations asked for before signing in again do nothing, as after /logout, even
	// with the same credentials.
	if err := b.actions.Forget(ctx, r.u.UserID); err != nil {
		return err
	}
	b.endAuth(ctx, r.u.UserID)
	_, err = b.chat.Send(ctx, r.u.ChatID, "✅ Credentials work and are saved (encrypted).\n"+
		"Try /health &lt;customerId&gt; &lt;locationId&gt;, /find &lt;email&gt; or /help."+b.resumedOnAuth(ctx, r), nil)
	return err
}
