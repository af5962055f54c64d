package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"

	"plumebot/internal/plume"
	"plumebot/internal/store"
)

// The chat index: the watches of one chat, listed in one sealed record watch-chat:<chatID>
// (sealed: it names customers), so that what a chat asks (the 🔔/🔕 button of every /health,
// /watches, /unwatch, an alert's buttons) reads that record and the chat's own watches,
// nothing else. Listing the chat's key prefix instead is, on Redis, a SCAN that walks the
// whole keyspace (MATCH filters after the walk): 10–15 ms per /health with 20,000 keys
// (BENCHMARKS.md, "Looking up a chat's watches"), growing with every key of every user.
//
// The invariant: every watch of a chat has its entry in the chat's index. So an entry is
// written before its watch and removed after it; an entry whose watch is gone (a crash in
// between) is skipped by readers and dropped by the next Add or Remove in that chat. An
// index that does not open (store.Absent: sealed with a dropped key, damaged) is rebuilt
// from the chat's watches, as is every index once, by the first replica that needs one, in
// a store written before the index existed (indexedKey marks it done).

const (
	indexPrefix = "watch-chat:" // + chat ID: the chat's index (not under keyPrefix: not a watch)
	indexedKey  = "watch-index" // present once every chat's index was built
)

func indexKey(chatID int64) string { return indexPrefix + strconv.FormatInt(chatID, 10) }

// ref is a watch's entry in its chat's index: enough to find its record and to answer
// "is this location watched in this topic?" without opening it.
type ref struct {
	ID         string `json:"id"`
	UserID     int64  `json:"user"`
	ThreadID   int64  `json:"thread,omitempty"`
	CustomerID string `json:"customer"`
	LocationID string `json:"location"`
}

func refOf(w Watch) ref {
	return ref{ID: w.ID, UserID: w.UserID, ThreadID: w.ThreadID, CustomerID: w.CustomerID, LocationID: w.LocationID}
}

func (r ref) is(thread int64, customerID, locationID string) bool {
	return r.ThreadID == thread && plume.CanonicalID(r.CustomerID) == plume.CanonicalID(customerID) &&
		plume.CanonicalID(r.LocationID) == plume.CanonicalID(locationID)
}

type chatIndex struct {
	Watches []ref `json:"watches"`
}

// indexState is whether this process saw the indexes built (indexedKey present).
type indexState struct{ built atomic.Bool }

// ensureIndexed builds every chat's index from the watches once per store: a store written
// before the index existed has watches and no index. It costs one read per process until it
// has seen the mark. Call it before taking the registry lock (it takes it).
func (e *Engine) ensureIndexed(ctx context.Context) error {
	if e.index.built.Load() {
		return nil
	}
	_, err := e.st.GetRecord(ctx, indexedKey)
	if err == nil {
		e.index.built.Store(true)
		return nil
	}
	if !store.Absent(err) {
		return err
	}
	unlock, err := e.st.Lock(ctx, registryLock, lockTTL)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := e.st.GetRecord(ctx, indexedKey); err == nil {
		e.index.built.Store(true)
		return nil
	}
	keys, err := e.keys(ctx, Selector{})
	if err != nil {
		return err
	}
	var chats []int64
	for _, k := range keys {
		if c, _, _, _ := parseKey(k); !slices.Contains(chats, c) {
			chats = append(chats, c)
		}
	}
	for _, c := range chats {
		if err := e.editIndex(ctx, c, func(refs []ref) []ref { return refs }); err != nil {
			return err
		}
	}
	if err := e.st.PutRecord(ctx, indexedKey, []byte("1"), 0); err != nil {
		return err
	}
	e.index.built.Store(true)
	if len(chats) > 0 {
		e.log.Info("watch: indexed the watches of every chat", "chats", len(chats), "watches", len(keys))
	}
	return nil
}

// refs returns the entries of chatID's index (nil: no watch).
func (e *Engine) refs(ctx context.Context, chatID int64) ([]ref, error) {
	if err := e.ensureIndexed(ctx); err != nil {
		return nil, err
	}
	refs, err := e.readIndex(ctx, chatID)
	switch {
	case err == nil:
		return refs, nil
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case !store.Absent(err):
		return nil, err
	}
	// It does not open: rebuilt (under the chat's lock) from the chat's watches.
	if err := e.editIndex(ctx, chatID, func(refs []ref) []ref { return refs }); err != nil {
		return nil, err
	}
	refs, err = e.readIndex(ctx, chatID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return refs, err
}

// readIndex reads chatID's index: nil and ErrNotFound when there is none, the store's error
// (store.Absent) when it does not open.
func (e *Engine) readIndex(ctx context.Context, chatID int64) ([]ref, error) {
	raw, err := e.st.GetRecord(ctx, indexKey(chatID))
	if err != nil {
		return nil, err
	}
	var ix chatIndex
	if err := json.Unmarshal(raw, &ix); err != nil {
		return nil, fmt.Errorf("watch: decode a chat's index: %w", store.ErrCorrupt)
	}
	return ix.Watches, nil
}

// editIndex replaces chatID's index with fn of it, holding the chat's lock; an index that
// does not open is first rebuilt from the chat's watches. An empty index is deleted.
func (e *Engine) editIndex(ctx context.Context, chatID int64, fn func(refs []ref) []ref) error {
	unlock, err := e.st.Lock(ctx, indexKey(chatID), lockTTL)
	if err != nil {
		return err
	}
	defer unlock()
	refs, err := e.readIndex(ctx, chatID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		refs, err = nil, nil
		if !e.index.built.Load() {
			refs, err = e.scanChat(ctx, chatID)
		}
	case store.Absent(err):
		e.log.Warn("watch: a chat's index cannot be read (secret key changed?); rebuilt from its watches", "chat", chatID, "err", err)
		refs, err = e.scanChat(ctx, chatID)
	}
	if err != nil {
		return err
	}
	refs = fn(refs)
	if len(refs) == 0 {
		return e.st.DeleteRecord(ctx, indexKey(chatID))
	}
	raw, err := json.Marshal(chatIndex{Watches: refs})
	if err != nil {
		return fmt.Errorf("watch: encode a chat's index: %w", err)
	}
	return e.st.PutRecord(ctx, indexKey(chatID), raw, 0)
}

// scanChat lists chatID's watches the slow way (a key-prefix listing), for a rebuild. A
// watch that does not open is left out: it is absent for every reader (see drop).
func (e *Engine) scanChat(ctx context.Context, chatID int64) ([]ref, error) {
	keys, err := e.st.RecordKeys(ctx, chatPrefix(chatID))
	if err != nil {
		return nil, err
	}
	var refs []ref
	for _, k := range keys {
		if _, _, _, ok := parseKey(k); !ok {
			continue
		}
		r, err := e.load(ctx, k)
		switch {
		case errors.Is(err, ErrNotFound):
			continue
		case err != nil:
			return nil, err
		}
		refs = append(refs, refOf(r.Watch))
	}
	return refs, nil
}

// indexAdd enters w in its chat's index and drops the entries named in gone.
func (e *Engine) indexAdd(ctx context.Context, w Watch, gone ...string) error {
	return e.editIndex(ctx, w.ChatID, func(refs []ref) []ref {
		refs = slices.DeleteFunc(refs, func(r ref) bool { return r.ID == w.ID || slices.Contains(gone, r.ID) })
		return append(refs, refOf(w))
	})
}

// indexRemove drops watch id from chatID's index.
func (e *Engine) indexRemove(ctx context.Context, chatID int64, id string) error {
	return e.editIndex(ctx, chatID, func(refs []ref) []ref {
		return slices.DeleteFunc(refs, func(r ref) bool { return r.ID == id })
	})
}

// Find returns the ID of the watch of customerID/locationID in chatID's topic threadID,
// from the chat's index alone (no watch is opened): what the 🔔/🔕 button of every /health
// asks. ErrNotFound when the location is not watched there.
func (e *Engine) Find(ctx context.Context, chatID, threadID int64, customerID, locationID string) (string, error) {
	refs, err := e.refs(ctx, chatID)
	if err != nil {
		return "", err
	}
	for _, r := range refs {
		if r.is(threadID, customerID, locationID) {
			return r.ID, nil
		}
	}
	return "", ErrNotFound
}

// drop deletes watch key that does not open (sealed with a key no longer held, or damaged:
// see unopenable) and its index entry. Like every record that does not open it is absent for
// its readers, and the chat can /watch the location again; kept, it would hold a place in
// the schedule and count against the limits for ever. Only the checking loop drops.
func (e *Engine) drop(ctx context.Context, key string, why error) {
	chatID, _, id, ok := parseKey(key)
	if !ok {
		return
	}
	err := e.withLock(ctx, id, func() error {
		if _, err := e.load(ctx, key); !unopenable(err) {
			return errNoChange // it opens after all, or is gone
		}
		return e.st.DeleteRecord(ctx, key)
	})
	if err == nil {
		err = e.indexRemove(ctx, chatID, id)
	}
	switch {
	case errors.Is(err, errNoChange):
	case err != nil:
		e.log.Warn("watch: drop a watch that cannot be read", "chat", chatID, "watch", id, "err", err)
	default:
		e.log.Warn("watch: dropped a watch that cannot be read (secret key changed without plumebot rekey?); "+
			"its chat no longer lists it and can /watch the location again", "chat", chatID, "watch", id, "err", why)
	}
}
