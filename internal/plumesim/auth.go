package plumesim

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"math"
	"mime"
	"net/http"
	"sort"
	"strings"
)

func writeOkta(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, obj{"error": code, "error_description": desc})
}

// serveToken is Okta's client-credentials token endpoint: POST /oauth2/{authServerId}/v1/token.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, segs []string) {
	if len(segs) != 4 || segs[1] != AuthServerID || !eq(segs[2], "v1") || !eq(segs[3], "token") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"errorCode":"E0000022","errorSummary":"The endpoint does not support the provided HTTP method"}`))
		return
	}
	if r.Method != http.MethodPost {
		writeOkta(w, http.StatusMethodNotAllowed, "invalid_request", "The token endpoint only accepts POST.")
		return
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		writeOkta(w, http.StatusBadRequest, "invalid_request", "The request body must be application/x-www-form-urlencoded.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeOkta(w, http.StatusBadRequest, "invalid_request", "The request body could not be parsed.")
		return
	}
	auth := r.Header.Get("Authorization")
	if auth != "" && !wellFormedBasic(auth) {
		writeOkta(w, http.StatusBadRequest, "invalid_request", "The Authorization header is malformed.")
		return
	}
	if r.PostForm.Has("client_secret") {
		writeOkta(w, http.StatusBadRequest, "invalid_request", "Cannot supply multiple client credentials.")
		return
	}
	if auth != AuthHeader {
		writeOkta(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed. Either the client or the client credentials are invalid.")
		return
	}
	if g := r.PostForm.Get("grant_type"); g != "client_credentials" {
		writeOkta(w, http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
		return
	}
	want := "partnerId:" + PartnerID + " role:partnerIdAdmin"
	if !sameScopes(r.PostForm.Get("scope"), want) {
		writeOkta(w, http.StatusBadRequest, "invalid_scope", "One or more scopes are not configured for the authorization server resource.")
		return
	}
	tok := newToken()
	s.mu.Lock()
	ttl := s.tokenTTL
	now := s.now()
	if len(s.tokens) > 4096 { // keep long load tests bounded
		for k, exp := range s.tokens {
			if !now.Before(exp) {
				delete(s.tokens, k)
			}
		}
	}
	s.tokens[tok] = now.Add(ttl)
	s.tokenFetches++
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, obj{
		"token_type": "Bearer", "expires_in": int(math.Ceil(ttl.Seconds())),
		"access_token": tok, "scope": want,
	})
}

// wellFormedBasic reports whether h is "Basic base64(id:secret)", whatever the credentials.
func wellFormedBasic(h string) bool {
	scheme, v, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	return err == nil && strings.Contains(string(raw), ":")
}

// sameScopes compares space-separated scope sets (Okta does not care about order).
func sameScopes(got, want string) bool {
	a, b := strings.Fields(got), strings.Fields(want)
	if len(a) != len(b) {
		return false
	}
	sort.Strings(a)
	sort.Strings(b)
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return "simAT." + base64.RawURLEncoding.EncodeToString(b)
}

// authorized checks the Bearer token against issued, unrevoked, unexpired tokens.
func (s *Server) authorized(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	if !ok {
		return false
	}
	if !s.now().Before(exp) {
		delete(s.tokens, tok)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only our own values are encoded: a failure is a bug here
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// loopBackNames are LoopBack's error names for the statuses the simulator answers.
var loopBackNames = map[int]string{422: "ValidationError"}

func writeLoopBack(w http.ResponseWriter, status int, msg, code string) {
	name := loopBackNames[status]
	if name == "" {
		name = "Error"
	}
	writeJSON(w, status, obj{"error": obj{"statusCode": status, "name": name, "message": msg, "code": code, "status": status}})
}
