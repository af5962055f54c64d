package render

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"strings"
	"testing"
	"time"

	"plumebot/internal/health"
	"plumebot/internal/plume"
	"plumebot/internal/telegram/tgtest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// Every message is checked with tgtest's parser, written apart from render's lexer, so a bug in
// how render reads its own HTML cannot hide a message Telegram would reject.

// plain is the text Telegram shows for one message; a message Telegram would reject fails t.
func plain(t testing.TB, html string) string {
	t.Helper()
	text, err := tgtest.ParseHTML(html)
	if err != nil {
		t.Fatalf("Telegram would reject the message: %v\n%s", err, html)
	}
	return text
}

// shown is the text Telegram shows for all pages.
func shown(t testing.TB, p Pages) string {
	t.Helper()
	var b strings.Builder
	for _, pg := range p {
		b.WriteString(plain(t, pg))
	}
	return b.String()
}

// checkPages fails t when a page is not a message Telegram accepts (valid HTML, some text, at
// most MaxTextLength) or leaves no room for its PageFooter.
func checkPages(t testing.TB, view string, p Pages) {
	t.Helper()
	if len(p) == 0 {
		t.Errorf("%s: no pages", view)
	}
	for i, pg := range p {
		text, err := tgtest.ParseHTML(pg)
		if err != nil {
			t.Errorf("%s page %d: invalid HTML: %v\n%s", view, i+1, err, pg)
			continue
		}
		if strings.TrimSpace(text) == "" {
			t.Errorf("%s page %d: no text: %q", view, i+1, pg)
		}
		if n := tgtest.UTF16Len(text); n > tgtest.MaxTextLength-PageFooterRoom {
			t.Errorf("%s page %d: %d UTF-16 units, over %d", view, i+1, n, tgtest.MaxTextLength-PageFooterRoom)
		}
		withFooter, err := tgtest.ParseHTML(pg + PageFooter(i+1, len(p)))
		if err != nil {
			t.Errorf("%s page %d with footer: %v", view, i+1, err)
		} else if n := tgtest.UTF16Len(withFooter); n > tgtest.MaxTextLength {
			t.Errorf("%s page %d with footer: %d UTF-16 units", view, i+1, n)
		}
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, d := range datasets() {
		for view, p := range views(d, Options{Now: now}) {
			name := d.name + "_" + view
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				checkPages(t, name, p)
				golden(t, name, p)
			})
		}
	}
	extra := map[string]Pages{
		"cached_health": HealthReport(health.Analyze(datasets()[0].snapshot(), now), Options{Now: now, DataAge: 25 * time.Second}),
		"unavailable_health": HealthReport(health.Analyze(health.Snapshot{CustomerID: custID, LocationID: locID,
			LocationErr: &plume.Error{Kind: plume.KindTimeout, Endpoint: "location"},
			NodesErr:    &plume.Error{Kind: plume.KindUpstream, Status: 502}, DevicesErr: errors.New("https://secret@host"),
			QoE: &plume.AppQoE{}}, now), Options{Now: now}),
		"offline_online3h": OnlineHistory(online(0, 3), "3h", Options{Now: now}),
		"empty_lists": append(append(append(Nodes(nil, nil, Options{Now: now}), Devices(nil, nil, Options{Now: now})...),
			WiFi(nil, Options{Now: now})...), SearchResults("nobody", nil, Options{Now: now})...),
		"nil_views": append(append(Status(nil, Options{}), NodeLookup(nil, Options{})...), WAN(nil, Options{})...),
		"legend":    {Legend()},
	}
	for name, p := range extra {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkPages(t, name, p)
			golden(t, name, p)
		})
	}
}

func golden(t *testing.T, name string, p Pages) {
	t.Helper()
	got := strings.Join(p, "\n\n======== next page ========\n\n") + "\n"
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (run go test -update and review)\ngot:\n%s", name, path, got)
	}
}

func TestViewsContent(t *testing.T) {
	t.Parallel()
	ds := datasets()
	byName := map[string]dataset{}
	for _, d := range ds {
		byName[d.name] = d
	}
	tests := []struct {
		dataset, view string
		want          []string // in the plain text
		notWant       []string
	}{
		{"healthy", "health", []string{"🟢 Healthy: 3/3 pods and 10 devices connected", "⬇ 512.3 Mbps", "2 devices are offline for more than 1 h"}, []string{"Issues"}},
		{"degraded", "health", []string{"🟡 Degraded", "Pod Bedroom has fair health", "highInterference", "🟡 Device MacBook-Pro has poor health", "🟡 Device Nest thermostat disconnected 10 min ago", "Poor gaming experience (QoE 1.8/5)", "basicService"},
			[]string{"MacBook-Pro · poor health"}}, // said once, in Warnings
		{"offline", "health", []string{"🔴 The location has been offline", "Devices · 0/"}, []string{"🟠", "phones leave home"}},
		{"partial", "health", []string{"🟠 Issues: 1 of 4 pods disconnected", "Pod Garage has been disconnected for 2 h"}, nil},
		{"offline", "health", []string{"🔴 Offline: the location has been offline for 3 h"}, nil},
		{"nasty", "devices", []string{"<b>bold</b>", "</pre>", "&amp;", "Family 👨‍👩‍👧 🔥", "<script>alert(1)</script>", strings.Repeat("Very long name ", 13) + "end."}, nil},
		{"nasty", "wifi", []string{"<script>alert('x')</script>"}, nil},
		{"healthy", "devices", []string{"Connected (10)", "Offline (2)", "via Bedroom"}, nil},
		{"healthy", "internet", []string{"WAN IP 100.64.12.7", "Uplink eth0 · 1000 Mbit/s full duplex", "3 h ago (2026-11-25 11:03 UTC)"}, nil},
		{"healthy", "status", []string{"online since 3 d ago (2026-11-22 14:03 UTC)", "HomePass (auto)"}, nil},
		{"healthy", "wifi", []string{"hidden", "psk2 / WPA-PSK"}, nil},
		{"partial", "online24h", []string{"2 incidents", "2 h · 0% online"}, nil},
		{"offline", "online24h", []string{"ongoing"}, nil},
		{"healthy", "wan", []string{"Busiest hours", "of 96 data points valid"}, nil},
		{"sparse", "node", []string{"In inventory only"}, nil},
		{"sparse", "wan", []string{"No WAN data"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.dataset+"_"+tt.view, func(t *testing.T) {
			t.Parallel()
			p := views(byName[tt.dataset], Options{Now: now})[tt.view]
			text := shown(t, p)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("missing %q in:\n%s", w, text)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(text, w) {
					t.Errorf("unexpected %q in:\n%s", w, text)
				}
			}
		})
	}
}

func TestHugePaginates(t *testing.T) {
	t.Parallel()
	huge := datasets()[4]
	p := Devices(huge.devices, huge.nodes, Options{Now: now})
	if len(p) < 3 {
		t.Fatalf("huge device list fits in %d pages; expected pagination", len(p))
	}
	text := shown(t, p)
	for _, d := range huge.devices {
		if !strings.Contains(text, d.Name) {
			t.Errorf("device %q missing from pages", d.Name)
		}
	}
}

func TestEscape(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`<b>&"x"</b>`, "&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;"},
		{"_x_ *y* `z`", "_x_ *y* `z`"},
		{"\xff", "\uFFFD"},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got, want := plain(t, Escape(tt.in)), strings.ToValidUTF8(tt.in, "\uFFFD"); got != want {
			t.Errorf("Telegram shows Escape(%q) as %q, want %q", tt.in, got, want)
		}
	}
}

func TestClean(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"a\nb\tc\r", "a b c "},
		{"evil\u202Egnp.exe", "evil gnp.exe"},
		{"\xffok", "\uFFFDok"},
		{"Family 👨‍👩‍👧", "Family 👨‍👩‍👧"},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := esc("סלון"); got != "\u2068סלון\u2069" {
		t.Errorf("esc(RTL) = %q, want it isolated", got)
	}
}

func TestTextLen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"<b>abc</b>", 3},
		{"&amp;&lt;&gt;&quot;", 4},
		{"&#128512;", 2}, // 😀 outside the BMP
		{"&#x41;", 1},    // A
		{"🔥", 2},         // outside the BMP: a surrogate pair
		{"👨‍👩‍👧", 8},     // three emoji (2 each) + two ZWJ
		{"é中", 2},        // BMP
		{`<a href="https://x.y/?a=1&amp;b">l</a>`, 1},
		{"a\nb", 3},
	}
	for _, tt := range tests {
		if got := textLen(tt.in); got != tt.want {
			t.Errorf("textLen(%q) = %d, want %d", tt.in, got, tt.want)
		}
		if got := tgtest.UTF16Len(plain(t, tt.in)); got != tt.want {
			t.Errorf("tgtest counts %q as %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestSplitKeepsItemsWhole(t *testing.T) {
	t.Parallel()
	parts := []string{"<b>head</b>", "item one", "item two", "item three"}
	got := Split(parts, 20)
	want := Pages{"<b>head</b>\nitem one", "item two\nitem three"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Split = %q, want %q", got, want)
	}
	if got := Split(nil, 10); len(got) != 0 {
		t.Errorf("Split(nil) = %q", got)
	}
	// An oversized item is cut at its line breaks and its tags are closed and reopened.
	got = Split([]string{"<b>aaaa\nbbbb\ncccc</b>"}, 9)
	want = Pages{"<b>aaaa\nbbbb</b>", "<b>cccc</b>"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Split long = %q, want %q", got, want)
	}
}

// Messages break between sections (a part starting with a line break opens one): a section
// that fits on a page is never cut, and a heading never ends a message with its items in the
// next.
func TestSplitAtSections(t *testing.T) {
	t.Parallel()
	parts := []string{"title", "\n<b>A</b>", "a1", "a2", "\n<b>B</b>", "b1", "b2"}
	// Up to "B" fits in 19 units; before, B's heading ended the first message.
	want := Pages{"title\n\n<b>A</b>\na1\na2", "<b>B</b>\nb1\nb2"}
	if got := Split(parts, 19); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Split = %q, want %q", got, want)
	}
	// A section longer than a page starts where its heading and first item fit, then fills.
	parts = []string{"title", "\n<b>Long</b>", "item 1", "item 2", "item 3", "item 4"}
	want = Pages{"title\n\n<b>Long</b>\nitem 1", "item 2\nitem 3\nitem 4"}
	if got := Split(parts, 20); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Split long section = %q, want %q", got, want)
	}
	// … and on the next page when not even that fits.
	want = Pages{"title", "<b>Long</b>\nitem 1", "item 2\nitem 3", "item 4"}
	if got := Split(parts, 14); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Split tight = %q, want %q", got, want)
	}
}

// TestSplitProperty: for random items of tags, entities, emoji and newlines, every page is
// valid, within the limit, and no text is lost or reordered.
func TestSplitProperty(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	atoms := []string{"a", "word ", "é", "🔥", "👨‍👩‍👧", "&amp;", "&lt;", "&#128512;", "\n", "中文", "_x_"}
	wraps := [][2]string{{"<b>", "</b>"}, {"<i>", "</i>"}, {"<code>", "</code>"}, {"<pre><code>", "</code></pre>"},
		{`<a href="https://e.x/?a=1&amp;b=2">`, "</a>"}, {"<b><i>", "</i></b>"}, {"", ""}}
	item := func() string {
		var b strings.Builder
		b.WriteString("x")
		for range rng.IntN(40) {
			w := wraps[rng.IntN(len(wraps))]
			b.WriteString(w[0])
			for range 1 + rng.IntN(30) {
				b.WriteString(atoms[rng.IntN(len(atoms))])
			}
			b.WriteString(w[1])
		}
		return b.String()
	}
	for iter := range 400 {
		var parts []string
		for range 1 + rng.IntN(8) {
			parts = append(parts, item())
		}
		limit := 2 + rng.IntN(300)
		pages := Split(parts, limit)
		var got strings.Builder
		for i, p := range pages {
			text, err := tgtest.ParseHTML(p)
			if err != nil {
				t.Fatalf("iter %d limit %d page %d: %v\n%q", iter, limit, i, err, p)
			}
			if n := tgtest.UTF16Len(text); n > limit {
				t.Fatalf("iter %d page %d: %d units > limit %d", iter, i, n, limit)
			}
			got.WriteString(text)
		}
		want := plain(t, strings.Join(parts, "\n"))
		if strip(got.String()) != strip(want) {
			t.Fatalf("iter %d limit %d: text changed\ngot  %q\nwant %q", iter, limit, got.String(), want)
		}
	}
}

// strip drops whitespace: Split may drop line breaks at cuts and whitespace-only chunks.
func strip(s string) string { return strings.Join(strings.Fields(s), "") }

func TestPageFooter(t *testing.T) {
	t.Parallel()
	f := PageFooter(999, 999)
	h := PageHeader("📶 WiFi networks", strings.Repeat("👨‍👩‍👧", 50), 999, 999)
	if n := tgtest.UTF16Len(plain(t, h+f)); n > PageFooterRoom {
		t.Errorf("header %q and footer %q: %d units, more than PageFooterRoom", h, f, n)
	}
	if got := plain(t, PageHeader("📱 Devices", "Grand Riverside Hotel – Main Building, All Floors", 2, 9)); got !=
		"📱 Devices · Grand Riverside Hotel – Main Building, … · page 2/9\n\n" {
		t.Errorf("header text %q", got)
	}
	if got := PageHeader("🔎 Search", "<b>&", 3, 4); got != "<b>🔎 Search</b> · &lt;b&gt;&amp; · page 3/4\n\n" {
		t.Errorf("header HTML %q", got)
	}
	if got := plain(t, PageFooter(2, 7)); got != "\n\npage 2/7" {
		t.Errorf("footer text %q", got)
	}
}

func TestError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{&plume.Error{Kind: plume.KindUnauthorized, Endpoint: "nodes", Err: errors.New("Bearer SECRET")}, "🔒 Pods: Plume refused the credentials"},
		{fmt.Errorf("wrap: %w", &plume.Error{Kind: plume.KindRateLimited, RetryAfter: 30 * time.Second}), "⏳ Plume is rate-limiting requests; try again in 30s."},
		// What failed is said in an agent's words, never the API's names ("(location)").
		{&plume.Error{Kind: plume.KindNotFound, Endpoint: "location"}, "⚠️ Location details: Plume does not know this customer, location or node (404). Check the IDs."},
		{&plume.Error{Kind: plume.KindUpstream, Endpoint: "wifiNetworks", Status: 502}, "⚠️ WiFi networks: Plume had an internal error (HTTP 502). Try again later."},
		{&plume.Error{Kind: plume.KindNotFound, Endpoint: "nodeLookup"}, "⚠️ Pod lookup: Plume does not know"},
		{&plume.Error{Kind: plume.KindTokenFailed, Endpoint: "token", Cause: plume.CauseUnreachable}, "🔒 The SSO token URL could not be reached. Check the URL and try again."},
		{&plume.Error{Kind: plume.KindTLS, Endpoint: "token", Host: "sso.example.net"}, "🔒 The certificate of sso.example.net is not trusted (set SSL_CERT_FILE for a private CA)."},
		{&plume.Error{Kind: plume.KindInvalidInput, Detail: "customer ID must be 24 hex <chars>"}, "⚠️ customer ID must be 24 hex &lt;chars&gt;"},
		// Plume refusing a read's parameters (400, 422) names the read like any other failure.
		{&plume.Error{Kind: plume.KindInvalidInput, Endpoint: "devices", Status: 422, Detail: "Plume rejected the request: bad filter"}, "⚠️ Devices: Plume rejected the request: bad filter"},
		{&plume.Error{Kind: plume.KindTokenFailed, Cause: plume.CauseScope}, "🔒 The SSO refused the partner ID"},
		{context.DeadlineExceeded, "⏳ That took too long"},
		{errors.New("GET https://user:SECRET@host failed"), "⚠️ Something went wrong"},
		{nil, "⚠️ Something went wrong"},
	}
	for _, tt := range tests {
		got := Error(tt.err)
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("Error(%v) = %q, want prefix %q", tt.err, got, tt.want)
		}
		if strings.Contains(got, "SECRET") {
			t.Errorf("Error(%v) leaks: %q", tt.err, got)
		}
		if _, err := tgtest.ParseHTML(got); err != nil {
			t.Errorf("Error(%v) invalid HTML: %v", tt.err, err)
		}
	}
}

// FuzzRender: arbitrary names and values never produce a message Telegram would reject, and
// each name is shown whole.
func FuzzRender(f *testing.F) {
	f.Add("<b>bold</b>", "<script>", "&amp;", 3)
	f.Add("👨‍👩‍👧 🔥", "_x_ *y*", "غرفة", 0)
	f.Add(strings.Repeat("x", 5000), "\xff\n\t", "</pre>", 200)
	f.Add("", "", "", -1)
	f.Fuzz(func(t *testing.T, name, ssid, value string, n int) {
		o := Options{Now: now, DataAge: time.Duration(n) * time.Second}
		d := datasets()[0]
		d.loc.Name, d.loc.ID, d.loc.GeoIP.City, d.loc.ServiceLevel.Status = name, value, value, value
		d.loc.NetworkStatus.Status = value
		d.nodes[1].Nickname, d.nodes[1].Model, d.nodes[1].ConnectionState = name, value, value
		d.nodes[0].Alerts = []plume.Alert{{Type: value}}
		d.nodes[0].SpeedTest.ISP = value
		d.devices[0].Nickname, d.devices[0].IP, d.devices[0].FreqBand = name, value, value
		d.devices[1].ConnectionState = value
		d.wifi[0].SSID, d.wifi[0].AccessZone = ssid, value
		d.matches[0].Name, d.matches[0].Email = name, value
		d.lookup.SerialNumber, d.lookup.Model = value, value
		d.qoe.Classes[0].Name = value
		d.qoe.Classes[0].Score = float64(n % 6)
		if n > 0 && n < 400 {
			d.devices = append(d.devices, datasets()[4].devices[:n]...)
		}
		vs := views(d, o)
		vs["online"] = OnlineHistory(d.online, value, o)
		vs["search"] = SearchResults(value, d.matches, o)
		vs["error"] = Pages{Error(&plume.Error{Kind: plume.KindInvalidInput, Detail: value, Endpoint: value})}
		for view, p := range vs {
			checkPages(t, view, p)
		}
		contains := func(view, s string) {
			want := strings.TrimSpace(clean(s))
			if want == "" {
				return
			}
			if text := shown(t, vs[view]); !strings.Contains(text, want) {
				t.Errorf("%s: %q not shown whole", view, want)
			}
		}
		contains("nodes", name)
		contains("devices", name)
		contains("status", name)
		contains("search", name)
		contains("wifi", ssid)
		contains("health", name)
	})
}

func BenchmarkRenderHealthHuge(b *testing.B) {
	r := health.Analyze(datasets()[4].snapshot(), now)
	b.ReportAllocs()
	for b.Loop() {
		HealthReport(r, Options{Now: now})
	}
}

func BenchmarkRenderDevicesHuge(b *testing.B) {
	d := datasets()[4]
	b.ReportAllocs()
	for b.Loop() {
		Devices(d.devices, d.nodes, Options{Now: now})
	}
}

// TestHealthReportManyWarnings: a report too long for one message is split into several
// valid messages and keeps every device name.
func TestHealthReportManyWarnings(t *testing.T) {
	t.Parallel()
	d := datasets()[4]
	for i := range d.devices {
		d.devices[i].ConnectionState, d.devices[i].ConnectionStateChangeAt = "disconnected", now.Add(-time.Duration(i%50)*time.Second)
	}
	p := HealthReport(health.Analyze(d.snapshot(), now), Options{Now: now})
	if len(p) < 2 {
		t.Fatalf("%d pages; want the report split", len(p))
	}
	checkPages(t, "health", p)
	if !strings.HasPrefix(plain(t, p[0]), "🟡 Degraded") {
		t.Errorf("summary not first: %q", p[0][:80])
	}
	text := shown(t, p)
	for _, dev := range d.devices {
		if !strings.Contains(text, dev.Name) {
			t.Fatalf("device %q missing", dev.Name)
		}
	}
}
