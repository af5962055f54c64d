package bot

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"plumebot/internal/store"
)

// outage is the bot's store backend in tests: the real one, which fails every operation with
// store.ErrUnavailable while down is set (Redis stopped or paused, as the bot sees it).
type outage struct {
	store.Backend
	down atomic.Bool
	// paused, while set, holds every operation until it is closed (Redis paused: commands
	// neither fail nor answer).
	paused atomic.Pointer[chan struct{}]
	// refusePuts fails every Put only (Redis gone between a delete and a write).
	refusePuts atomic.Bool
}

func (o *outage) fail() error {
	if p := o.paused.Load(); p != nil {
		<-*p
	}
	if o.down.Load() {
		return fmt.Errorf("store: test backend: %w", store.ErrUnavailable)
	}
	return nil
}

func (o *outage) Get(ctx context.Context, key string) ([]byte, error) {
	if err := o.fail(); err != nil {
		return nil, err
	}
	return o.Backend.Get(ctx, key)
}

func (o *outage) Put(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if err := o.fail(); err != nil {
		return err
	}
	if o.refusePuts.Load() {
		return fmt.Errorf("store: test backend: %w", store.ErrUnavailable)
	}
	return o.Backend.Put(ctx, key, val, ttl)
}

func (o *outage) Delete(ctx context.Context, key string) error {
	if err := o.fail(); err != nil {
		return err
	}
	return o.Backend.Delete(ctx, key)
}

func (o *outage) CompareAndSwap(ctx context.Context, key string, old, new []byte) (bool, error) {
	if err := o.fail(); err != nil {
		return false, err
	}
	return o.Backend.CompareAndSwap(ctx, key, old, new)
}

func (o *outage) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	if err := o.fail(); err != nil {
		return nil, err
	}
	return o.Backend.Lock(ctx, key, ttl)
}

func (o *outage) AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	if err := o.fail(); err != nil {
		return false, err
	}
	return o.Backend.AcquireLease(ctx, key, holder, ttl)
}

func (o *outage) RenewLease(ctx context.Context, key, holder string, ttl time.Duration) error {
	if err := o.fail(); err != nil {
		return err
	}
	return o.Backend.RenewLease(ctx, key, holder, ttl)
}

func (o *outage) ReleaseLease(ctx context.Context, key, holder string) error {
	if err := o.fail(); err != nil {
		return err
	}
	return o.Backend.ReleaseLease(ctx, key, holder)
}

func (o *outage) Ping(ctx context.Context) error {
	if err := o.fail(); err != nil {
		return err
	}
	return o.Backend.Ping(ctx)
}

func storageDown(e *env) { e.storage.down.Store(true) }
func storageBack(e *env) { e.storage.down.Store(false) }

// rotateWithoutRekey restarts the bot's store the way an operator who dropped the previous key
// too early would: a new key with the old one as previous (the check record is re-sealed),
// then the new key alone. Every other record is still sealed with the dropped key.
func rotateWithoutRekey(e *env) {
	e.t.Helper()
	oldKey, newKey := bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{8}, 32)
	both, err := store.NewKeyring(newKey, oldKey)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := store.New(e.ctx(), e.storage, both); err != nil {
		e.t.Fatal(err)
	}
	only, err := store.NewKeyring(newKey)
	if err != nil {
		e.t.Fatal(err)
	}
	st, err := store.New(e.ctx(), e.storage, only)
	if err != nil {
		e.t.Fatal(err)
	}
	e.bot.st = st
}

func TestStorageTrouble(t *testing.T) {
	t.Parallel()
	signedOut := envOpt{noOperator: true}
	runScenarios(t, []scenario{
		// The header is deleted before the store is touched, and the conversation, which the
		// failed step did not change, goes on once the store is back.
		{name: "storage_down_at_header_step", opt: signedOut, steps: []step{
			says(alice, "/auth"),
			says(alice, "/skip"),
			meanwhile("the store becomes unavailable", storageDown),
			says(alice, "{header}"),
			meanwhile("the store is back", storageBack),
			says(alice, "{header}"),
			says(alice, "/cancel"),
		}},
		// The store fails as the tested credentials are saved: the conversation is still
		// there, and the last answer sent again saves them.
		{name: "storage_refuses_the_credentials", opt: signedOut, steps: []step{
			says(alice, "/auth"),
			says(alice, "/skip"),
			says(alice, "{header}"),
			says(alice, "{partner}"),
			meanwhile("the store refuses writes", func(e *env) { e.storage.refusePuts.Store(true) }),
			says(alice, "/skip"),
			meanwhile("the store is back", func(e *env) { e.storage.refusePuts.Store(false) }),
			says(alice, "/skip"),
			says(alice, "/health {healthy}"),
		}},
		{name: "storage_down_delete_refused", opt: signedOut, steps: []step{
			meanwhile("Telegram refuses to delete messages", func(e *env) { e.chat.failDel = true }),
			meanwhile("the store becomes unavailable", storageDown),
			says(alice, "{header}"),
		}},
		{name: "storage_down_commands", steps: []step{
			says(alice, "/health {healthy}"),
			meanwhile("the store becomes unavailable", storageDown),
			says(alice, "/start"),
			says(alice, "/health {healthy}"),
			presses(alice, "📱 Devices"),
			says(alice, "/logout"),
			meanwhile("the store is back", storageBack),
			presses(alice, "📱 Devices"),
		}},
		// Records sealed with a key the bot no longer holds are as good as absent: the user
		// is told to sign in again, and nothing answers "something went wrong".
		{name: "records_sealed_with_a_dropped_key", opt: signedOut, steps: append(signInSteps(alice),
			says(alice, "/health {healthy}"),
			says(alice, "/auth"),
			meanwhile("the key is rotated and the previous key dropped without rekey", rotateWithoutRekey),
			says(alice, "/start"),
			says(alice, "/health"),
			presses(alice, "📱 Devices"),
			says(alice, "{sso}"),
			says(alice, "/logout"),
			says(alice, "/health {healthy}"),
			says(alice, "/auth"),
			says(alice, "/skip"),
			says(alice, "{header}"),
			says(alice, "{partner}"),
			says(alice, "/skip"),
			says(alice, "/health {healthy}"),
		)},
	})
}

// TestAcknowledgeDoesNotWaitForTheStore is issue 12 §6 at intake: the Telegram adapter calls
// Acknowledge on the loop that receives every user's updates, before it queues a press. With
// the store paused, Acknowledge must return at once (it waited for the store: with Redis
// paused each press held everyone's intake for seconds, a dozen presses for a minute). The
// press is still answered from the store once it is back, before the press is run.
func TestAcknowledgeDoesNotWaitForTheStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpt{})
	e.say(alice, "/health "+e.ids("healthy"))
	msg, data := e.findButton(alice, "📱 Devices")
	resume := make(chan struct{})
	e.storage.paused.Store(&resume)
	press := Update{UserID: alice, ChatID: alice, ChatType: ChatPrivate, MessageID: msg,
		Callback: &Callback{ID: "cb-paused", Data: data, Answered: true}}
	acked := make(chan struct{})
	go func() {
		e.bot.Acknowledge(e.ctx(), press)
		close(acked)
	}()
	select {
	case <-acked:
	case <-e.ctx().Done():
		t.Fatal("Acknowledge waited for the paused store")
	}
	e.storage.paused.Store(nil)
	close(resume)
	e.bot.Handle(e.ctx(), press)
	e.chat.waitUntil(t, "the press answered", func() bool {
		e.chat.mu.Lock()
		defer e.chat.mu.Unlock()
		return len(e.chat.answers["cb-paused"]) > 0
	})
	e.chat.mu.Lock()
	defer e.chat.mu.Unlock()
	if got := e.chat.answers["cb-paused"]; len(got) != 1 || got[0] != "Loading…" {
		t.Errorf("answers to the press: %q, want one \"Loading…\"", got)
	}
}
