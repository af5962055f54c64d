package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Section titles of the text report, in order (the smoke test checks each is present).
var Sections = []string{
	"== Machine",
	"== /health latency through Telegram",
	"== Pacing at Telegram's limits (issue 10)",
	"== Throughput at L = 0",
	"== Upstream requests per /health",
	"== Token fetches",
	"== Memory",
	"== Telegram side",
	"== Plume rate limit on",
	"== Watcher (issue 13)",
	"== Targets (issues 6 and 10)",
}

// WriteText writes the human report.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	m := r.Machine
	p("plumebench (%s run, %.1f s)", r.Mode, r.Duration/1000)
	p("%s", Sections[0])
	p("%d CPUs (GOMAXPROCS %d), %s, %s %s, load average at start %s", m.CPUs, m.GOMAXPROCS, m.CPUModel, m.GoVersion, m.OSArch, m.LoadAvg)
	p("Everything runs in this one process: simulator (HTTPS), fake Bot API, adapter and bot share the CPUs.")

	p("\n%s", Sections[1])
	p("Each user sends /health about a location no one asked about before (a clone of the same dataset")
	p("under IDs of its own: a distinct cache key, really fetched, 4 Plume calls), all at")
	p("once, into tgtest; the adapter long-polls; the bot sends the report (a \"⏳ Checking…\" placeholder,")
	p("edited into the report, only when an answer takes over 400 ms).")
	p("end-to-end = push → report recorded by tgtest; bot-side = handler start → report send issued,")
	p("minus time blocked in Telegram calls (placeholder + pacing); intake = push → handler start.")
	p("Plume's client-side rate limit is off here (see the last section for it on). Seed = the Python")
	p("design: 5 sequential calls per answer, one update at a time.")
	p("%-6s %-7s %-28s %-28s %-18s %-9s %-9s %-24s %s", "users", "pacing", "end-to-end p50/p95/p99 ms", "bot-side p50/p95/p99 ms",
		"intake p50/p99 ms", "e2e/L", "bot/L", "seed: per answer/median/last", "upstream/answer, msgs/s, 429s")
	for _, l := range r.Latency {
		pacing := "on"
		if !l.Paced {
			pacing = "off"
		}
		p("%-6d %-7s %-28s %-28s %-18s %-9.2f %-9.2f %-24s %.2f, %.1f, %d%s", l.Users, pacing,
			fmt.Sprintf("%.0f / %.0f / %.0f", l.EndToEnd.P50, l.EndToEnd.P95, l.EndToEnd.P99),
			fmt.Sprintf("%.1f / %.1f / %.1f", l.BotSide.P50, l.BotSide.P95, l.BotSide.P99),
			fmt.Sprintf("%.1f / %.1f", l.Intake.P50, l.Intake.P99),
			l.RatioP50, l.BotRatioP50,
			fmt.Sprintf("%s/%s/%s", secs(l.SeedPerAnswer), secs(l.SeedMedian), secs(l.SeedLast)),
			l.UpstreamPerCmd, l.MessagesPerSec, l.Rejected429, missing(l.MissingReports))
	}
	for _, l := range r.Latency {
		for _, rj := range l.Rejections {
			p("  429 at %d users: %s", l.Users, rj)
		}
	}
	p("With pacing on, the adapter holds Telegram's ~30 messages/s overall (1 message per fast answer):")
	p("that, not the bot, sets end-to-end latency from ~30 users up; bot-side shows the core's own time.")

	p("\n%s", Sections[2])
	p("The same scenario with the adapter's pacing and tgtest enforcing Telegram's limits (30 messages in any")
	p("second overall, a burst of 3 then 1/s per chat, 20 in any minute per group): 30 answers may leave at")
	p("once, the next 30 one second (plus a round trip) after the first were answered.")
	p("%-6s %-9s %-30s %-16s %-16s %-14s %s", "users", "L ms", "end-to-end p50/p95/max ms", "bot-side p50 ms", "intake p50 ms", "within 1 s", "msgs, 429s")
	for _, l := range r.Pacing {
		p("%-6d %-9.0f %-30s %-16.1f %-16.1f %-14d %d, %d%s", l.Users, l.L,
			fmt.Sprintf("%.1f / %.0f / %.0f", l.EndToEnd.P50, l.EndToEnd.P95, l.EndToEnd.Max),
			l.BotSide.P50, l.Intake.P50, l.FirstSecond, l.Messages, l.Rejected429, missing(l.MissingReports))
	}

	p("\n%s", Sections[3])
	p("bot.Handle called directly with an in-memory Chat (no Telegram pacing), %d goroutines,", workersOf(r))
	p("1000 users; cold = every command about a never-cached location; CPU = process CPU (getrusage)")
	p("per command, and includes the in-process simulator's TLS and JSON work for cold commands.")
	for _, t := range r.Throughput {
		p("%-5s %6d commands: %8.0f /health per s, %.3f ms CPU each, %.0f allocs (%.0f KiB) each, %.2f upstream each, %d answered",
			t.Cache, t.Commands, t.PerSec, t.CPUPerCmd, t.AllocsPerCmd, t.BytesPerCmd/1024, t.UpstreamPerCmd, t.Answered)
	}
	p("Seed (the design's figures for the Python implementation): ~74 answers/s at L = 0 (18 with a real CA bundle), 11–53 ms CPU each.")

	u := r.Upstream
	p("\n%s", Sections[4])
	p("cold /health: %d requests %v (+%d token fetches; the token was already held)", u.ColdTotal, u.Cold, u.ColdToken)
	p("warm /health (same location, another user, within the cache TTL): %d requests", u.WarmTotal)
	p("%d users asking about one new location at the same instant (L = %.0f ms): %d requests %v, %d answered",
		u.SameUsers, u.SameL, u.SameTotal, u.SameByEndpoint, u.SameAnswered)
	p("Seed: 5 requests per /health, no cache, no coalescing (%d users → %d requests).", u.SameUsers, 5*u.SameUsers)

	t := r.Tokens
	p("\n%s", Sections[5])
	p("one credential, token TTL %.0f s, %d goroutines fetching fresh snapshots for %.1f s (L = %.0f ms):",
		t.TTL/1000, t.Concurrency, t.Duration/1000, t.L)
	p("%d token fetches for %d API requests in %d snapshots (%d failed); expected ≈ %.1f (1 + run/(TTL/2));",
		t.Fetches, t.Requests, t.Snapshots, t.Failed, t.Expected)
	p("%.2f fetches per TTL. Policy: %s.", t.FetchesPerTTL, t.RenewalPolicy)

	mm := r.Memory
	p("\n%s", Sections[6])
	p("heap per stored idle user (%d users, sealed credentials + settings in the memory store, and the", mm.IdleUsers)
	p("allowed-users entry): %.0f B (store %.0f B + access list %.0f B)", mm.HeapPerIdle, mm.HeapPerIdleStore, mm.HeapPerIdleACL)
	verified := "verified: sealed state at the partner step holds the header"
	if !mm.ConvVerified {
		verified = "NOT verified: the conversation state was not found where expected"
	}
	p("heap per active /auth conversation (%d users mid-flow, header pasted): %.0f B (%s)", mm.Conversations, mm.HeapPerConv, verified)
	p("RSS at %d users (each with sealed own credentials and one /health answered): %.1f MiB (was %.1f MiB",
		mm.RSSUsers, mib(mm.RSSAfter), mib(mm.RSSBefore))
	p("before them; %.0f B per user; live heap %.1f MiB). The process also holds the simulator.",
		mm.RSSPerUser, mib(mm.HeapRSSUsers))

	in := r.Intake
	p("\n%s", Sections[7])
	p("intake: %d updates in %.0f ms = %.0f updates/s through long polling (%d getUpdates calls); %s.",
		in.Updates, in.Elapsed, in.PerSec, in.GetUpdates, in.Note)
	for _, l := range r.Latency {
		if l.Paced {
			p("paced, %d users: %d messages in %.1f s = %.1f messages/s, %.1f answers/s, %d × 429 from tgtest (limits enforced)",
				l.Users, l.Messages, l.Elapsed/1000, l.MessagesPerSec, l.AnswersPerSec, l.Rejected429)
		}
	}

	bu := r.Burst
	p("\n%s", Sections[8])
	p("%d users send /health (each its own location: %d Plume calls) %.0f ms apart; the bot holds", bu.Users, 4*bu.Users, bu.GapMS)
	p("plume.NewHostLimits(%.0f, %d); L = %.0f ms; in-memory Chat.", bu.RPS, bu.Burst, bu.L)
	p("answered %d/%d with %d requests; last answer after %.1f s (the limit's floor: %.1f s)", bu.Answered, bu.Users,
		bu.Requests, bu.LastAnswer/1000, bu.Ideal/1000)
	p("wait min/p50/p95/max: %.1f / %.1f / %.1f / %.1f s", bu.Waits.Min/1000, bu.Waits.P50/1000, bu.Waits.P95/1000, bu.Waits.Max/1000)
	p("fairness: Spearman ρ(completion, arrival) = %.3f, max rank displacement %d; %s", bu.Spearman, bu.MaxOvertake, bu.FirstLast)
	p("(first arrival waited %.1f s, last %.1f s). Seed: one update at a time, 5 calls each, no limiter.",
		bu.FirstWait/1000, bu.LastArrWait/1000)

	writeWatch(p, Sections[9], r.Watch)

	p("\n%s", Sections[10])
	for _, tg := range r.Targets {
		mark := "MET   "
		if !tg.Met {
			mark = "MISSED"
		}
		p("%s %s: %s", mark, tg.Name, tg.Measured)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func workersOf(r *Report) int {
	if len(r.Throughput) > 0 {
		return r.Throughput[0].Workers
	}
	return 0
}

func secs(msv float64) string { return fmt.Sprintf("%.1fs", msv/1000) }

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func missing(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d MISSING)", n)
}
