package telegram

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/PaulSonOfLars/gotgbot/v2"
)

// Telegram's updates are small (a 4096-character message with its entities and a replied-to
// message is tens of KiB); anything much larger is not an update.
const maxWebhookBody = 256 << 10

// A webhook delivery waits this long for room in a full queue before it gets 503 (Telegram
// then redelivers it later).
const webhookWait = 5 * time.Second

// Seen remembers which updates were taken on, so that an update delivered twice (Telegram
// retrying a slow webhook, a delivery to each of two replicas, updates refetched after a
// restart) is handled once. The adapter takes an update by acquiring a lease named after it
// for a holder unique to the delivery, which only the first delivery gets, and releases it
// when it gives the update back unhandled. *store.Store implements it (its leases live in
// Redis with several replicas; in this process with the embedded store).
type Seen interface {
	// AcquireLease makes holder the holder of key for ttl if nobody else holds it.
	AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease frees key if holder holds it.
	ReleaseLease(ctx context.Context, key, holder string) error
}

// localSeen is the Seen of a process on its own: what a single instance needs for webhook
// retries.
type localSeen struct {
	mu        sync.Mutex
	m         map[string]localLease
	lastSweep time.Time
}

type localLease struct {
	holder  string
	expires time.Time
}

func (s *localSeen) AcquireLease(_ context.Context, key, holder string, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.m == nil {
		s.m = map[string]localLease{}
	}
	if now.Sub(s.lastSweep) > time.Minute {
		s.lastSweep = now
		for k, l := range s.m {
			if !now.Before(l.expires) {
				delete(s.m, k)
			}
		}
	}
	if l, ok := s.m[key]; ok && now.Before(l.expires) && l.holder != holder {
		return false, nil
	}
	s.m[key] = localLease{holder: holder, expires: now.Add(ttl)}
	return true, nil
}

func (s *localSeen) ReleaseLease(_ context.Context, key, holder string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.m[key]; ok && l.holder == holder {
		delete(s.m, key)
	}
	return nil
}

// Seen is asked at intake, which receives every user's updates one after the other: a store
// that stops answering (Redis paused or overloaded) must not hold them all up for the seconds
// each of its commands may wait. An update whose check has not answered within seenWait, or
// failed, is taken without it; for seenPause after that the store is not asked at all, so an
// outage costs the intake one such wait every seenPause rather than one per update.
const (
	seenWait  = 250 * time.Millisecond
	seenPause = 5 * time.Second
)

// take records the update as taken on and returns the function that gives it back; taken is
// false for an update taken before. If Seen fails or is slow (the store is down or paused),
// the update is taken: a rare duplicate is better than a command lost, or than every user's
// updates waiting for the store.
func (a *Adapter) take(ctx context.Context, updateID int64) (giveBack func(), taken bool) {
	if time.Now().UnixNano() < a.seenDownUntil.Load() {
		return func() {}, true
	}
	var h [16]byte
	_, _ = rand.Read(h[:])
	holder := hex.EncodeToString(h[:])
	// The bot's numeric ID (the token's public half) keeps two bots on one store apart.
	botID, _, _ := strings.Cut(a.token, ":")
	key := "telegram:update:" + botID + ":" + strconv.FormatInt(updateID, 10)
	type answer struct {
		ok  bool
		err error
	}
	done := make(chan answer, 1)
	go func() {
		// Not ctx: the check may outlive this wait, and its lease must then be known.
		ok, err := a.opts.Seen.AcquireLease(context.WithoutCancel(ctx), key, holder, a.opts.DedupTTL)
		done <- answer{ok, err}
	}()
	release := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.opts.Seen.ReleaseLease(ctx, key, holder); err != nil {
			a.log.Warn("telegram: cannot give an update back; a redelivery will be skipped", "update_id", updateID, "err", err)
		}
	}
	t := time.NewTimer(seenWait)
	defer t.Stop()
	var err error
	// Given back, the update must not stay taken by a check that answers late.
	giveBack = func() {
		if r := <-done; r.err == nil && r.ok {
			release()
		}
	}
	select {
	case r := <-done:
		switch {
		case r.err == nil && !r.ok:
			return nil, false
		case r.err == nil:
			return release, true
		}
		err, giveBack = r.err, func() {}
	case <-t.C:
		err = errors.New("no answer within " + seenWait.String())
	case <-ctx.Done():
		err = ctx.Err()
	}
	a.seenDownUntil.Store(time.Now().Add(seenPause).UnixNano())
	a.log.Warn("telegram: cannot check whether an update was delivered before; handling it, and the next ones for a few seconds",
		"update_id", updateID, "err", err)
	return giveBack, true
}

// errUndecodable is an update the library cannot decode; Path names the part at fault.
type errUndecodable struct {
	UpdateID int64
	Path     string
}

func (e *errUndecodable) Error() string {
	return "telegram: update " + strconv.FormatInt(e.UpdateID, 10) + " does not decode at " + e.Path
}

// decodeUpdate is the one decoder of both intakes, the webhook and long polling. An update
// that does not decode (a field or a kind newer than the library) is an *errUndecodable with
// its update_id and the path of the part at fault: enough to log, and no content.
func decodeUpdate(raw []byte) (*gotgbot.Update, error) {
	var up gotgbot.Update
	err := json.Unmarshal(raw, &up)
	if err == nil {
		return &up, nil
	}
	var id struct {
		UpdateID int64 `json:"update_id"`
	}
	_ = json.Unmarshal(raw, &id)
	return nil, &errUndecodable{UpdateID: id.UpdateID, Path: faultPath(raw)}
}

// faultPath finds the part of an update that keeps it from decoding: the deepest member or
// element whose removal lets the rest decode ("message.forward_origin"). It is only called
// on failure, and bounded.
func faultPath(raw []byte) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return "(not JSON)"
	}
	budget := 256
	decodes := func() bool {
		budget--
		b, err := json.Marshal(root)
		var up gotgbot.Update
		return err == nil && json.Unmarshal(b, &up) == nil
	}
	var find func(node any) []string
	find = func(node any) []string {
		switch n := node.(type) {
		case map[string]any:
			keys := make([]string, 0, len(n))
			for k := range n {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				if budget <= 0 {
					return nil
				}
				v := n[k]
				delete(n, k)
				ok := decodes()
				n[k] = v
				if ok {
					return append([]string{k}, find(v)...)
				}
			}
		case []any:
			for i, v := range n {
				if budget <= 0 {
					return nil
				}
				n[i] = nil
				ok := decodes()
				n[i] = v
				if ok {
					return append([]string{"[" + strconv.Itoa(i) + "]"}, find(v)...)
				}
			}
		}
		return nil
	}
	path := strings.ReplaceAll(strings.Join(find(root), "."), ".[", "[")
	if path == "" {
		return "(unknown)"
	}
	return path
}

// accept takes one update: undecodable ones and duplicates are dropped, kinds the bot
// ignores are counted (a stray button press is answered so its spinner stops), and the rest
// dispatched. An error means the update was not taken and should be delivered again.
func (a *Adapter) accept(ctx context.Context, raw []byte, h Handler) error {
	up, err := decodeUpdate(raw)
	if err != nil {
		var ue *errUndecodable
		errors.As(err, &ue)
		a.metrics.UpdateDropped(DropUndecodable)
		a.log.Warn("telegram: skipping an update the library cannot decode", "update_id", ue.UpdateID, "path", ue.Path)
		return nil
	}
	u, kind, ok := a.convert(up)
	if !ok {
		a.metrics.UpdateReceived("other")
		if up.CallbackQuery != nil {
			id := up.CallbackQuery.Id
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
				defer cancel()
				_ = a.Chat().AnswerCallback(ctx, id, "")
			}()
		}
		return nil
	}
	a.metrics.UpdateReceived(kind)
	giveBack, taken := a.take(ctx, up.UpdateId)
	if !taken {
		a.metrics.UpdateDropped(DropDuplicate)
		a.log.Info("telegram: skipping an update delivered before", "update_id", up.UpdateId)
		return nil
	}
	// A press is answered at intake by the core (Acknowledger), unless it is to be dropped:
	// then the flood's toast answers it.
	if !a.queue.full(u.UserID) {
		acknowledge(ctx, &u, h)
	}
	if err := a.queue.dispatch(ctx, job{u: u, h: h, giveBack: giveBack}); err != nil {
		giveBack()
		return err
	}
	return nil
}

// WebhookHandler serves Telegram's webhook deliveries: 401 without the right secret, 200 for
// every delivery with it, whatever its shape (an update that does not decode is logged and
// skipped: any other answer makes Telegram redeliver it forever), 503 while stopping or when
// the queue stays full (Telegram redelivers those later). Updates are handled after the reply.
func (a *Adapter) WebhookHandler(secret string, h Handler) http.Handler {
	valid := ValidWebhookSecret(secret)
	want := sha256.Sum256([]byte(secret))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		// Hashing first makes the comparison constant-time in the length as well.
		got := sha256.Sum256([]byte(r.Header.Get("X-Telegram-Bot-Api-Secret-Token")))
		if !valid || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			a.metrics.UpdateDropped(DropUndecodable)
			a.log.Warn("telegram: skipping a webhook delivery over the size limit", "limit_bytes", maxWebhookBody)
			w.WriteHeader(http.StatusOK)
			return
		case err != nil:
			// Cut off (PLUMEBOT_HTTP_TIMEOUT) or broken: not an update, and nobody may be listening.
			http.Error(w, "request body unreadable", http.StatusBadRequest)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), webhookWait)
		defer cancel()
		if err := a.accept(ctx, body, h); err != nil {
			// Not taken (stopping, or the queue stayed full): Telegram redelivers it.
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
