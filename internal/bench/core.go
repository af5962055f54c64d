package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"plumebot/internal/bot"
	"plumebot/internal/plume"
	"plumebot/internal/plumedata"
	"plumebot/internal/plumesim"
)

func healthUpdate(i int, user int64, cid, lid string) bot.Update {
	return bot.Update{ID: int64(i + 1), UserID: user, ChatID: user, ChatType: bot.ChatPrivate,
		MessageID: int64(i + 1), Text: "/health " + cid + " " + lid}
}

// ThroughputResult is /health per second through bot.Handle with an in-memory Chat.
type ThroughputResult struct {
	Cache          string  `json:"cache"` // cold or warm
	Commands       int     `json:"commands"`
	Workers        int     `json:"workers"`
	Elapsed        float64 `json:"elapsed_ms"`
	PerSec         float64 `json:"health_per_sec"`
	CPUPerCmd      float64 `json:"cpu_ms_per_health"`
	AllocsPerCmd   float64 `json:"allocs_per_health"`
	BytesPerCmd    float64 `json:"alloc_bytes_per_health"`
	UpstreamPerCmd float64 `json:"upstream_per_health"`
	Answered       int     `json:"answered"`
}

// throughput runs n /health at L = 0 on `workers` goroutines (the adapter's default pool
// size), each command by one of 1000 users; cold: every command about a location never
// asked before; warm: all about one cached location. CPU includes the in-process simulator.
func (w *world) throughput(ctx context.Context, n, workers int, cold bool) (ThroughputResult, error) {
	res := ThroughputResult{Cache: "warm", Commands: n, Workers: workers}
	if cold {
		res.Cache = "cold"
	}
	st, err := newStore(ctx)
	if err != nil {
		return res, err
	}
	defer st.Close()
	chat := &memChat{}
	users := userIDs(5_000_000, 1000)
	data := w.newSource(nil)
	b, err := w.newBot(st, chat, users, data)
	if err != nil {
		return res, err
	}
	w.sim.SetLatency(0)
	if err := w.warmToken(ctx, data); err != nil {
		return res, err
	}
	ups := make([]bot.Update, n)
	wcid, wlid, err := w.cold()
	if err != nil {
		return res, err
	}
	for i := range ups {
		cid, lid := wcid, wlid
		if cold {
			if cid, lid, err = w.cold(); err != nil {
				return res, err
			}
		}
		ups[i] = healthUpdate(i, users[i%len(users)], cid, lid)
	}
	if !cold { // prime the cache
		b.Handle(ctx, healthUpdate(0, users[0], wcid, wlid))
		chat.reports.Store(0)
	}
	w.sim.ResetCounters()
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	cpu0, t0 := cpuTime(), time.Now()
	runParallel(n, workers, func(i int) { b.Handle(ctx, ups[i]) })
	el, cpu := time.Since(t0), cpuTime()-cpu0
	runtime.ReadMemStats(&m1)
	res.Elapsed, res.PerSec = ms(el), float64(n)/el.Seconds()
	res.CPUPerCmd = ms(cpu) / float64(n)
	res.AllocsPerCmd = float64(m1.Mallocs-m0.Mallocs) / float64(n)
	res.BytesPerCmd = float64(m1.TotalAlloc-m0.TotalAlloc) / float64(n)
	res.UpstreamPerCmd = float64(w.sim.Requests("")) / float64(n)
	res.Answered = int(chat.reports.Load())
	return res, nil
}

// UpstreamResult counts Plume requests per /health.
type UpstreamResult struct {
	Cold            map[string]int `json:"cold_by_endpoint"`
	ColdTotal       int            `json:"cold_total"`
	ColdToken       int            `json:"cold_token_fetches"`
	WarmTotal       int            `json:"warm_total"`
	SameUsers       int            `json:"same_location_users"`
	SameByEndpoint  map[string]int `json:"same_location_by_endpoint"`
	SameTotal       int            `json:"same_location_total"`
	SameAnswered    int            `json:"same_location_answered"`
	SameL           float64        `json:"same_location_plume_latency_ms"`
	ColdAnswered    bool           `json:"cold_answered"`
	WarmAnswered    bool           `json:"warm_answered"`
	HealthEndpoints []string       `json:"health_endpoints"`
}

var healthEndpoints = []string{plumesim.EndpointLocation, plumesim.EndpointNodes, plumesim.EndpointDevices, plumesim.EndpointAppQoE}

func (w *world) byEndpoint() map[string]int {
	m := map[string]int{}
	for _, e := range healthEndpoints {
		m[e] = w.sim.Requests(e)
	}
	return m
}

// upstream: one cold /health, the same again (warm), and `same` users asking about one new
// location at the same instant (L = 100 ms so that their requests overlap).
func (w *world) upstream(ctx context.Context, same int, L time.Duration) (UpstreamResult, error) {
	res := UpstreamResult{SameUsers: same, SameL: ms(L), HealthEndpoints: healthEndpoints}
	st, err := newStore(ctx)
	if err != nil {
		return res, err
	}
	defer st.Close()
	chat := &memChat{}
	users := userIDs(6_000_000, same+2)
	data := w.newSource(nil)
	b, err := w.newBot(st, chat, users, data)
	if err != nil {
		return res, err
	}
	w.sim.SetLatency(0)
	defer w.sim.SetLatency(0)
	if err := w.warmToken(ctx, data); err != nil {
		return res, err
	}
	cid, lid, err := w.cold()
	if err != nil {
		return res, err
	}
	w.sim.ResetCounters()
	b.Handle(ctx, healthUpdate(0, users[0], cid, lid))
	res.Cold, res.ColdTotal, res.ColdToken = w.byEndpoint(), w.sim.Requests(""), w.sim.Requests(plumesim.EndpointToken)
	res.ColdAnswered = chat.reports.Load() == 1

	w.sim.ResetCounters()
	b.Handle(ctx, healthUpdate(1, users[1], cid, lid))
	res.WarmTotal = w.sim.Requests("")
	res.WarmAnswered = chat.reports.Load() == 2

	if cid, lid, err = w.cold(); err != nil {
		return res, err
	}
	w.sim.SetLatency(L)
	w.sim.ResetCounters()
	chat.reports.Store(0)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, u := range users[2:] {
		wg.Go(func() {
			<-start
			b.Handle(ctx, healthUpdate(i+2, u, cid, lid))
		})
	}
	close(start)
	wg.Wait()
	res.SameByEndpoint, res.SameTotal = w.byEndpoint(), w.sim.Requests("")
	res.SameAnswered = int(chat.reports.Load())
	return res, nil
}

// TokenResult counts token fetches of one credential over a run longer than the token TTL.
type TokenResult struct {
	TTL           float64 `json:"token_ttl_ms"`
	Duration      float64 `json:"run_ms"`
	Concurrency   int     `json:"concurrency"`
	Snapshots     int64   `json:"snapshots"`
	Requests      int     `json:"api_requests"`
	Failed        int64   `json:"failed_snapshots"`
	Fetches       int     `json:"token_fetches"`
	Expected      float64 `json:"expected_fetches"` // 1 + run / (TTL/2): renewal at half the lifetime
	FetchesPerTTL float64 `json:"fetches_per_ttl"`
	L             float64 `json:"plume_latency_ms"`
	RenewalPolicy string  `json:"renewal_policy"`
}

// tokens: `conc` goroutines fetch fresh snapshots (each its own location, bypassing the cache)
// for d with the simulator issuing tokens of ttl; every request needs a valid token.
func (w *world) tokens(ctx context.Context, ttl, d time.Duration, conc int, L time.Duration) (TokenResult, error) {
	res := TokenResult{TTL: ms(ttl), Concurrency: conc, L: ms(L),
		RenewalPolicy: "renew 60 s before expiry, but not before half the lifetime"}
	w.sim.SetTokenTTL(ttl)
	defer w.sim.SetTokenTTL(30 * time.Minute)
	w.sim.SetLatency(L)
	defer w.sim.SetLatency(0)
	data, err := w.newSource(nil).Session(w.creds)
	if err != nil {
		return res, err
	}
	ids := make([][2]string, conc)
	for i := range ids {
		if ids[i][0], ids[i][1], err = w.cold(); err != nil {
			return res, err
		}
	}
	w.sim.ResetCounters()
	var snaps, failed atomic.Int64
	t0 := time.Now()
	deadline := t0.Add(d)
	var wg sync.WaitGroup
	for i := range conc {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				s, err := data.Snapshot(ctx, ids[i][0], ids[i][1], plumedata.AllParts, true)
				snaps.Add(1)
				if err != nil || s.LocationErr != nil || s.NodesErr != nil || s.DevicesErr != nil || s.QoEErr != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	el := time.Since(t0)
	res.Duration, res.Snapshots, res.Failed = ms(el), snaps.Load(), failed.Load()
	res.Fetches, res.Requests = w.sim.TokenFetches(), w.sim.Requests("")
	res.Expected = 1 + el.Seconds()/(ttl.Seconds()/2)
	res.FetchesPerTTL = float64(res.Fetches) / (el.Seconds() / ttl.Seconds())
	return res, nil
}

// BurstResult is how a burst of /health queues behind Plume's rate limit.
type BurstResult struct {
	Users        int     `json:"users"`
	GapMS        float64 `json:"arrival_gap_ms"`
	RPS          float64 `json:"rate_limit_rps"`
	Burst        int     `json:"rate_limit_burst"`
	L            float64 `json:"plume_latency_ms"`
	Requests     int     `json:"api_requests"`
	Answered     int     `json:"answered"`
	LastAnswer   float64 `json:"time_to_last_answer_ms"`
	Ideal        float64 `json:"ideal_last_ms"` // (4N − burst)/rps + L: the limit's own floor
	Waits        Dist    `json:"waits"`
	Spearman     float64 `json:"completion_vs_arrival_spearman"`
	MaxOvertake  int     `json:"max_rank_displacement"`
	FirstLast    string  `json:"first_and_last_arrivals"`
	FirstWait    float64 `json:"first_arrival_wait_ms"`
	LastArrWait  float64 `json:"last_arrival_wait_ms"`
	CompletionBy []int   `json:"completion_order_by_arrival,omitempty"`
}

// arrivalGap separates the burst's arrivals.
const arrivalGap = 2 * time.Millisecond

// burst: n users, each about its own location (so nothing is shared), send /health one
// after the other, arrivalGap apart, while the bot holds Plume's limit of rps/s.
func (w *world) burst(ctx context.Context, n int, rps float64, burstN int, L time.Duration) (BurstResult, error) {
	res := BurstResult{Users: n, GapMS: ms(arrivalGap), RPS: rps, Burst: burstN, L: ms(L)}
	st, err := newStore(ctx)
	if err != nil {
		return res, err
	}
	defer st.Close()
	users := userIDs(7_000_000, n)
	done := make([]time.Time, n)
	var mu sync.Mutex
	chat := &memChat{onReport: func(chatID int64, at time.Time) {
		mu.Lock()
		if i := int(chatID - users[0]); i >= 0 && i < n && done[i].IsZero() {
			done[i] = at
		}
		mu.Unlock()
	}}
	// No token warm-up: it would spend the limiter's burst before the measurement.
	b, err := w.newBot(st, chat, users, w.newSource(plume.NewHostLimits(rps, burstN)))
	if err != nil {
		return res, err
	}
	w.sim.SetLatency(L)
	defer w.sim.SetLatency(0)
	ups := make([]bot.Update, n)
	for i := range ups {
		cid, lid, err := w.cold()
		if err != nil {
			return res, err
		}
		ups[i] = healthUpdate(i, users[i], cid, lid)
	}
	w.sim.ResetCounters()
	arrived := make([]time.Time, n)
	hctx, cancel := context.WithTimeout(ctx, 2*time.Minute+time.Duration(float64(4*n)/rps*float64(time.Second))) // the adapter's HandleTimeout, plus the queue
	defer cancel()
	// Arrivals 2 ms apart: a burst to the limiter (which admits one request per ~167 ms), yet
	// far enough apart that arrival order is well defined despite goroutine scheduling.
	tick := time.NewTicker(arrivalGap)
	defer tick.Stop()
	var wg sync.WaitGroup
	for i := range ups {
		if i > 0 {
			<-tick.C
		}
		arrived[i] = time.Now()
		wg.Go(func() { b.Handle(hctx, ups[i]) })
	}
	wg.Wait()
	res.Requests = w.sim.Requests("")
	var waits []time.Duration
	type fin struct {
		arrival int
		at      time.Time
	}
	var fins []fin
	var last time.Time
	for i := range n {
		if done[i].IsZero() {
			continue
		}
		waits = append(waits, done[i].Sub(arrived[i]))
		fins = append(fins, fin{i, done[i]})
		if done[i].After(last) {
			last = done[i]
		}
	}
	res.Answered = len(fins)
	res.Waits = distOf(waits)
	if !last.IsZero() {
		res.LastAnswer = ms(last.Sub(arrived[0]))
	}
	res.Ideal = ms(time.Duration(float64(max(0, 4*n-burstN))/rps*float64(time.Second)) + L)
	slices.SortStableFunc(fins, func(a, b fin) int { return a.at.Compare(b.at) })
	rank := make([]int, 0, len(fins)) // rank[i] = completion position of the i-th arrival among answered
	pos := map[int]int{}
	for p, f := range fins {
		pos[f.arrival] = p
	}
	for i := range n {
		if p, ok := pos[i]; ok {
			rank = append(rank, p)
		}
	}
	for i, p := range rank {
		res.MaxOvertake = max(res.MaxOvertake, abs(i-p))
	}
	res.Spearman = spearman(rank)
	if len(fins) == n {
		res.FirstWait, res.LastArrWait = ms(done[0].Sub(arrived[0])), ms(done[n-1].Sub(arrived[n-1]))
		res.FirstLast = fmt.Sprintf("1st arrival answered %s, last arrival answered %s",
			ordinal(pos[0]+1), ordinal(pos[n-1]+1))
	}
	if n <= 100 {
		res.CompletionBy = rank
	}
	return res, nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func ordinal(n int) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

// MemoryResult is the memory the bot keeps per user.
type MemoryResult struct {
	IdleUsers        int     `json:"idle_users"`
	HeapPerIdleStore float64 `json:"heap_bytes_per_idle_user_store"`  // sealed creds + settings records
	HeapPerIdleACL   float64 `json:"heap_bytes_per_idle_user_access"` // the allowed-users entry
	HeapPerIdle      float64 `json:"heap_bytes_per_idle_user"`
	Conversations    int     `json:"auth_conversations"`
	HeapPerConv      float64 `json:"heap_bytes_per_auth_conversation"`
	ConvVerified     bool    `json:"auth_state_verified"`
	RSSUsers         int     `json:"rss_users"`
	RSSBefore        uint64  `json:"rss_bytes_before"`
	RSSAfter         uint64  `json:"rss_bytes_after"`
	RSSPerUser       float64 `json:"rss_bytes_per_user"`
	HeapRSSUsers     uint64  `json:"heap_bytes_at_rss_users"`
}

// storedCredsJSON has the shape and size of the bot's sealed credentials record (its type is
// unexported); the header is the simulator's, as long as a real one.
func (w *world) storedCredsJSON() []byte {
	b, _ := json.Marshal(map[string]string{"token_url": w.creds.TokenURL, "auth_header": w.creds.AuthHeader.Reveal(),
		"partner_id": w.creds.PartnerID, "api_base": w.creds.APIBase, "reports_base": w.creds.ReportsBase})
	return b
}

// memoryRSS: n users, each with sealed own credentials, who each ran one /health (settings
// record, 7 button payloads, cache shared): the process's VmRSS before and after.
func (w *world) memoryRSS(ctx context.Context, n int, res *MemoryResult) error {
	res.RSSUsers = n
	heapAfterGC()
	res.RSSBefore = vmRSS()
	st, err := newStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	chat := &memChat{}
	users := userIDs(8_000_000, n)
	data := w.newSource(nil)
	b, err := w.newBot(st, chat, users, data)
	if err != nil {
		return err
	}
	creds := w.storedCredsJSON()
	cid, lid, err := w.cold()
	if err != nil {
		return err
	}
	for _, u := range users {
		if err := st.PutUser(ctx, u, "creds", creds); err != nil {
			return err
		}
	}
	runParallel(n, 64, func(i int) { b.Handle(ctx, healthUpdate(i, users[i], cid, lid)) })
	if got := int(chat.reports.Load()); got != n {
		return fmt.Errorf("rss: %d of %d users answered", got, n)
	}
	res.HeapRSSUsers = heapAfterGC()
	res.RSSAfter = vmRSS()
	res.RSSPerUser = (float64(res.RSSAfter) - float64(res.RSSBefore)) / float64(n)
	runtime.KeepAlive(b)
	return nil
}

// memoryIdle: heap per stored idle user (sealed creds + settings in the memory store, plus the
// user's entry in the allowed-users list).
func (w *world) memoryIdle(ctx context.Context, n int, res *MemoryResult) error {
	res.IdleUsers = n
	st, err := newStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	creds := w.storedCredsJSON()
	loc := w.info.Locations[dataset]
	settings, _ := json.Marshal(map[string]string{"customer_id": loc.CustomerID, "location_id": loc.LocationID})
	users := userIDs(9_000_000, n)
	h0 := heapAfterGC()
	for _, u := range users {
		if err := st.PutUser(ctx, u, "creds", creds); err != nil {
			return err
		}
		if err := st.PutUser(ctx, u, "settings", settings); err != nil {
			return err
		}
	}
	h1 := heapAfterGC()
	data := w.newSource(nil)
	b, err := w.newBot(st, &memChat{}, users, data)
	if err != nil {
		return err
	}
	h2 := heapAfterGC()
	res.HeapPerIdleStore = (float64(h1) - float64(h0)) / float64(n)
	res.HeapPerIdleACL = (float64(h2) - float64(h1)) / float64(n)
	res.HeapPerIdle = res.HeapPerIdleStore + res.HeapPerIdleACL
	runtime.KeepAlive(b)
	runtime.KeepAlive(users)
	return nil
}

// memoryConversations: n users each mid-/auth (token URL given, header pasted, the bot now
// asking for the partner ID): the state the bot holds for an active conversation.
func (w *world) memoryConversations(ctx context.Context, n int, res *MemoryResult) error {
	res.Conversations = n
	st, err := newStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	users := userIDs(10_000_000, n)
	data := w.newSource(nil)
	b, err := w.newBot(st, &memChat{}, users, data)
	if err != nil {
		return err
	}
	h0 := heapAfterGC()
	steps := []string{"/auth", w.info.SSOURL, w.info.AuthHeader}
	runParallel(n, 64, func(i int) {
		for j, text := range steps {
			b.Handle(ctx, bot.Update{ID: int64(i*3 + j + 1), UserID: users[i], ChatID: users[i], ChatType: bot.ChatPrivate,
				MessageID: int64(j + 1), Text: text})
		}
	})
	h1 := heapAfterGC()
	res.HeapPerConv = (float64(h1) - float64(h0)) / float64(n)
	// The conversation lives in the sealed temp record "auth" (internal/bot/auth.go): check
	// one is there, holding the pasted header, so the figure is of real conversations.
	raw, err := st.GetSealedTemp(ctx, users[n-1], "auth")
	var state struct {
		Step   string `json:"step"`
		Header string `json:"header"`
	}
	res.ConvVerified = err == nil && json.Unmarshal(raw, &state) == nil && state.Step == "partner" &&
		state.Header == w.info.AuthHeader
	runtime.KeepAlive(b)
	return nil
}
