package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisPrefix namespaces plumebot's keys when OpenRedis gets an empty prefix.
const DefaultRedisPrefix = "plumebot:"

// Lock and lease keys get their own sub-namespaces so they never collide with data keys.
const (
	redisLockNS  = "lock|"
	redisLeaseNS = "lease|"
)

// unlockScript deletes the lock only if it still holds our token: a holder whose lock
// expired and was taken by another replica must not release the new holder's lock.
var unlockScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// acquireLeaseScript takes a free lease, or extends one the caller already holds.
var acquireLeaseScript = redis.NewScript(`local v = redis.call("GET", KEYS[1])
if v == false then
	redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
	return 1
elseif v == ARGV[1] then
	redis.call("PEXPIRE", KEYS[1], ARGV[2])
	return 1
end
return 0`)

// renewLeaseScript is compare-and-pexpire: only the holder extends its lease.
var renewLeaseScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)

// redisBackend lets several replicas share state and locks.
type redisBackend struct {
	c         *redis.Client
	prefix    string
	closeOnce sync.Once
	closeErr  error
}

// OpenRedis connects to url (redis://[user:password@]host:port/db, or rediss://) and pings
// it. Keys are prefixed with prefix (DefaultRedisPrefix if empty). Errors never echo the URL,
// which may hold a password.
func OpenRedis(ctx context.Context, rawURL string, prefix string) (Backend, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			return nil, errors.New("store: PLUMEBOT_REDIS_URL is not a valid URL (redis://[user:password@]host:port/db)")
		}
		return nil, fmt.Errorf("store: PLUMEBOT_REDIS_URL: %w", err)
	}
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	failFast(opts)
	redisLogOnce.Do(func() { redis.SetLogger(slogRedis{}) })
	c := redis.NewClient(opts)
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("store: redis at %s unreachable: %w", opts.Addr, err)
	}
	return &redisBackend{c: c, prefix: prefix}, nil
}

// Redis trouble must cost a user seconds: go-redis's defaults (5 s per read, 3 retries, a
// timeout retried too) keep a command waiting 20 s on a paused Redis before it fails. A command now waits at most redisTimeout and is retried once (a connection that
// died between its health check and its use), so an unavailable store is reported in about
// 4 s. Options the URL sets (dial_timeout, read_timeout, max_retries…) are kept.
const (
	redisTimeout    = 2 * time.Second
	redisMaxRetries = 1
)

func failFast(o *redis.Options) {
	if o.DialTimeout == 0 {
		o.DialTimeout = redisTimeout
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = redisTimeout
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = redisTimeout
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = redisMaxRetries
	}
}

func (r *redisBackend) Get(ctx context.Context, key string) ([]byte, error) {
	v, err := r.c.Get(ctx, r.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, redisErr(ctx, "get", err)
	}
	return v, nil
}

func (r *redisBackend) Put(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if ttl < 0 {
		return fmt.Errorf("store: put %q: negative ttl", key)
	}
	if val == nil {
		val = []byte{}
	}
	// go-redis sends SET … PX for sub-second or fractional TTLs, EX otherwise; 0: no expiry.
	if err := r.c.Set(ctx, r.prefix+key, val, ttl).Err(); err != nil {
		return redisErr(ctx, "put", err)
	}
	return nil
}

func (r *redisBackend) Delete(ctx context.Context, key string) error {
	if err := r.c.Del(ctx, r.prefix+key).Err(); err != nil {
		return redisErr(ctx, "delete", err)
	}
	return nil
}

func (r *redisBackend) Take(ctx context.Context, key string) ([]byte, error) {
	v, err := r.c.GetDel(ctx, r.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, redisErr(ctx, "take", err)
	}
	return v, nil
}

// Keys walks SCAN with a MATCH pattern (the prefix escaped, so "*" or "[" in it are
// literal); SCAN may return a key twice, hence the dedup.
func (r *redisBackend) Keys(ctx context.Context, prefix string) ([]string, error) {
	pattern := globEscape(r.prefix+prefix) + "*"
	seen := map[string]struct{}{}
	iter := r.c.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		k := strings.TrimPrefix(iter.Val(), r.prefix)
		if strings.HasPrefix(k, redisLockNS) || strings.HasPrefix(k, redisLeaseNS) {
			continue
		}
		seen[k] = struct{}{}
	}
	if err := iter.Err(); err != nil {
		return nil, redisErr(ctx, "keys", err)
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}

// globEscape makes s match itself literally in a Redis glob pattern.
func globEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func (r *redisBackend) AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	if err := checkLeaseArgs(ctx, key, holder, ttl); err != nil {
		return false, err
	}
	n, err := acquireLeaseScript.Run(ctx, r.c, []string{r.prefix + redisLeaseNS + key}, holder, max(ttl.Milliseconds(), 1)).Int()
	if err != nil {
		return false, redisErr(ctx, "acquire lease", err)
	}
	return n == 1, nil
}

func (r *redisBackend) RenewLease(ctx context.Context, key, holder string, ttl time.Duration) error {
	if err := checkLeaseArgs(ctx, key, holder, ttl); err != nil {
		return err
	}
	n, err := renewLeaseScript.Run(ctx, r.c, []string{r.prefix + redisLeaseNS + key}, holder, max(ttl.Milliseconds(), 1)).Int()
	if err != nil {
		return redisErr(ctx, "renew lease", err)
	}
	if n != 1 {
		return fmt.Errorf("%w: %q", ErrLeaseLost, key)
	}
	return nil
}

func (r *redisBackend) ReleaseLease(ctx context.Context, key, holder string) error {
	if holder == "" {
		return errors.New("store: release lease: empty holder")
	}
	// unlockScript is the same compare-and-delete.
	if err := unlockScript.Run(ctx, r.c, []string{r.prefix + redisLeaseNS + key}, holder).Err(); err != nil {
		return redisErr(ctx, "release lease", err)
	}
	return nil
}

// Lock polls SET key token PX ttl NX with capped, jittered backoff: waiters are few (one user's updates)
// and this needs no subscription connection per waiter.
func (r *redisBackend) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("store: lock %q: ttl must be positive", key)
	}
	var tok [16]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, fmt.Errorf("store: lock token: %w", err)
	}
	token, k := hex.EncodeToString(tok[:]), r.prefix+redisLockNS+key
	backoff := 2 * time.Millisecond
	for {
		err := r.c.Do(ctx, "set", k, token, "px", max(ttl.Milliseconds(), 1), "nx").Err()
		ok := err == nil
		if errors.Is(err, redis.Nil) { // NX refused: someone else holds it
			err = nil
		}
		if err != nil {
			return nil, redisErr(ctx, "lock", err)
		}
		if ok {
			var once sync.Once
			return func() { once.Do(func() { r.unlock(k, token) }) }, nil
		}
		t := time.NewTimer(backoff/2 + mrand.N(backoff/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("store: lock %q: %w", key, ctx.Err())
		case <-t.C:
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

func (r *redisBackend) unlock(k, token string) {
	// unlock has no ctx: bound it so a dead Redis cannot hang the caller; the lock's own
	// expiry covers a failed release.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := unlockScript.Run(ctx, r.c, []string{k}, token).Err(); err != nil {
		slog.Warn("store: redis unlock failed; the lock will expire", "err", err)
	}
}

func (r *redisBackend) Ping(ctx context.Context) error {
	if err := r.c.Ping(ctx).Err(); err != nil {
		return redisErr(ctx, "ping", err)
	}
	return nil
}

func (r *redisBackend) Close() error {
	r.closeOnce.Do(func() { r.closeErr = r.c.Close() })
	return r.closeErr
}

// redisErr wraps a failed Redis command: the caller's context ending stays that context's
// error; anything else (refused, reset, timed out, paused, loading, closed) is ErrUnavailable.
// The error names the operation, never a key (keys are digests, but a lock key is not).
func redisErr(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("store: redis %s: %w", op, ctxErr)
	}
	return fmt.Errorf("store: redis %s: %w: %w", op, ErrUnavailable, err)
}

var redisLogOnce sync.Once

// slogRedis routes go-redis's internal log lines (one per failed dial while Redis is down)
// to slog at debug level: the failing operations already return errors.
type slogRedis struct{}

func (slogRedis) Printf(ctx context.Context, format string, v ...any) {
	slog.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}
