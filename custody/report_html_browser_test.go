package custody_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/chromium"
	"github.com/evidctl/evidctl/internal/testkit"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/witness/witnesstest"
)

// The HTML report, tested as a person sees it: in Debian's chromium, driven by
// chromedp. Without a Chromium on PATH these tests skip, unless
// EVIDCTL_REQUIRE_BROWSER=1 (CI sets it), when they fail.

// requireChromium returns the path of the browser, or skips (or fails, in CI).
func requireChromium(t *testing.T) string {
	t.Helper()
	path, err := chromium.Find()
	if err != nil {
		if os.Getenv("EVIDCTL_REQUIRE_BROWSER") == "1" {
			t.Fatalf("EVIDCTL_REQUIRE_BROWSER=1 but %v", err)
		}
		t.Skipf("skipping the browser test: %v (apt-get install chromium to run it)", err)
	}
	return path
}

// artefacts is where the browser tests leave their screenshots: $EVIDCTL_ARTIFACTS
// when set, else a temporary directory.
func artefacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("EVIDCTL_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// crossBorderCase is a case as the README tells it: a lab acquires and examines an
// image, hands it to a central authority under an MLA request, which re-seals it and
// hands it to the requesting state's prosecutor, who extracts an exhibit. Names are
// the given ones, so that a test can make them hostile. The log is witnessed, so every
// event has a trusted time: the witness and the parties share a clock that ticks a
// second at each reading.
type crossBorderCase struct {
	pol                        *custody.Policy
	b                          *custody.Bundle
	payload                    []byte
	lab, authority, prosecutor *testkit.Party
}

func newCrossBorderCase(t *testing.T, lab, authority, prosecutor custody.Party) *crossBorderCase {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	tick := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		at = at.Add(time.Second)
		return at
	}
	w := witnesstest.NewCosigner(t, "court.br.example/witness", tick)
	log, entry := posixlogtest.NewLog(t, posixlog.WithDecorator(w.Decorator()))
	c := &crossBorderCase{pol: &custody.Policy{}}
	require.NoError(t, c.pol.AddLog(custody.TrustedLog{Origin: entry.Origin, Key: entry.VerifierKey, Witnesses: []string{w.VerifierKey}, Quorum: 1}))
	party := func(p custody.Party) *testkit.Party {
		tp, err := testkit.MakeParty(p, log, c.pol, custody.WithClock(tick))
		require.NoError(t, err)
		return tp
	}
	c.lab, c.authority, c.prosecutor = party(lab), party(authority), party(prosecutor)
	var sealed bytes.Buffer
	b, err := c.lab.Custodian.Acquire(ctx, custody.Evidence{Description: "laptop disk image", Source: strings.NewReader("disk image bytes"), Sealed: &sealed},
		custody.Sealing{Recipients: []string{c.lab.Recipient, c.authority.Recipient}, Digests: []digest.Algorithm{digest.SHA512}},
		custody.Details{Case: "2026-17", Location: "Lyon", Legal: &custody.Legal{Kind: custody.Domestic, Basis: "CPP art. 56"}})
	require.NoError(t, err)
	c.b = b
	for _, purpose := range []string{"triage", "hash verification", "keyword search"} {
		_, err = c.lab.Custodian.Access(ctx, b, "", custody.Details{Purpose: purpose, Tool: &custody.Tool{Name: "sleuthkit", Version: "4.12"}})
		require.NoError(t, err)
	}
	mla := &custody.Legal{Kind: custody.MLA, Basis: "UNTOC art. 18", Reference: "MLA-2026-44", Requesting: "MPF (BR)", Requested: "Central Authority (DE)"}
	_, err = c.lab.Custodian.Transfer(ctx, b, "", c.authority.Actor, custody.Details{Purpose: "MLA execution", Legal: mla})
	require.NoError(t, err)
	_, err = c.authority.Custodian.Receive(ctx, b, "", bytes.NewReader(sealed.Bytes()), custody.Details{Legal: mla})
	require.NoError(t, err)
	var resealed bytes.Buffer
	_, err = c.authority.Custodian.Reseal(ctx, b, "", bytes.NewReader(sealed.Bytes()), []age.Identity{c.authority.Identity}, &resealed,
		custody.Sealing{Recipients: []string{c.authority.Recipient, c.prosecutor.Recipient}}, custody.Details{Purpose: "re-seal for the requesting state"})
	require.NoError(t, err)
	_, err = c.authority.Custodian.Transfer(ctx, b, "", c.prosecutor.Actor, custody.Details{Purpose: "transmission to the requesting state", Legal: mla})
	require.NoError(t, err)
	_, err = c.prosecutor.Custodian.Receive(ctx, b, "", bytes.NewReader(resealed.Bytes()), custody.Details{})
	require.NoError(t, err)
	st, err := b.Events[0].Statement()
	require.NoError(t, err)
	var exhibit bytes.Buffer
	_, err = c.prosecutor.Custodian.Derive(ctx, b, []string{st.Predicate.Item.ID}, custody.Evidence{Description: "exhibit 3: mailbox extract",
		Source: strings.NewReader("mailbox"), Sealed: &exhibit}, custody.Sealing{Recipients: []string{c.prosecutor.Recipient}}, custody.Details{Purpose: "extraction"})
	require.NoError(t, err)
	c.payload = resealed.Bytes()
	return c
}

// Parties of the cross-border case, and the same with hostile names.
var (
	labParty        = custody.Party{Name: "A. Examiner", Organization: "National Forensic Lab", Role: "examiner", Jurisdiction: "FR"}
	authorityParty  = custody.Party{Name: "B. Officer", Organization: "Central Authority", Role: "central-authority", Jurisdiction: "DE"}
	prosecutorParty = custody.Party{Name: "C. Promotora", Organization: "MPF", Role: "prosecutor", Jurisdiction: "BR"}
	scriptName      = "<script>window.__evidctlPwned=1</script>"
	svgName         = `"><svg onload="window.__evidctlPwned=2">`
)

// browserCase is one report loaded in the browser, and what the verifier said.
type browserCase struct {
	name string
	rep  *custody.Report
	b    *custody.Bundle
}

func browserCases(t *testing.T) []browserCase {
	ctx := context.Background()
	valid := newCrossBorderCase(t, labParty, authorityParty, prosecutorParty)
	repValid, err := custody.Verify(ctx, valid.b, valid.pol, custody.WithPayload("case.age", bytes.NewReader(valid.payload)))
	require.NoError(t, err)
	require.True(t, repValid.Valid, "%+v", repValid.Failures)

	tampered := valid.b.Clone() // a word changed inside the signed statement of event 2
	env := *tampered.Events[1].Envelope
	env.Payload = bytes.Replace(env.Payload, []byte("triage"), []byte("triaga"), 1)
	tampered.Events[1] = custody.NewRecord(&env, tampered.Events[1].Proof)
	repTampered, err := custody.Verify(ctx, tampered, valid.pol)
	require.NoError(t, err)
	require.False(t, repTampered.Valid)

	hostileAuthority, hostileProsecutor := authorityParty, prosecutorParty
	hostileAuthority.Name, hostileProsecutor.Organization = scriptName, svgName
	hostile := newCrossBorderCase(t, labParty, hostileAuthority, hostileProsecutor)
	repHostile, err := custody.Verify(ctx, hostile.b, hostile.pol)
	require.NoError(t, err)
	return []browserCase{{"valid", repValid, valid.b}, {"tampered", repTampered, tampered}, {"hostile", repHostile, hostile.b}}
}

// TestHTMLReportInBrowser loads the reports of a valid, a tampered and a hostile
// bundle in Chromium and checks through the DOM what a reader sees: the verdict, the
// events drawn, the failing rules, names shown as text and never run, and not one
// network request but the page's own.
func TestHTMLReportInBrowser(t *testing.T) {
	path := requireChromium(t)
	dir := artefacts(t)
	cases := browserCases(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bctx, closeBrowser := chromium.NewContext(ctx, path, chromedp.WithErrorf(func(string, ...any) {}))
	defer closeBrowser()
	require.NoError(t, chromedp.Do(bctx), "starting %s", path)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var page bytes.Buffer
			require.NoError(t, c.rep.WriteHTML(&page, custody.WithTitle("Chain of custody verification: "+c.name), custody.WithReceipts(c.b)))
			file := filepath.Join(dir, "report-"+c.name+".html")
			require.NoError(t, os.WriteFile(file, page.Bytes(), 0o644))
			requests := loadPage(t, bctx, "file://"+file, filepath.Join(dir, "report-"+c.name+".png"), func(tab context.Context) {
				checkPage(t, tab, c.rep)
			})
			require.Equal(t, []string{"file://" + file}, requests, "the page made network requests")
		})
	}
}

// loadPage opens url in a new tab, runs check, saves a screenshot of the whole page
// to shot and returns the URLs of every request the tab made.
func loadPage(t *testing.T, bctx context.Context, url, shot string, check func(tab context.Context)) []string {
	t.Helper()
	tab, closeTab := chromedp.NewContext(bctx)
	defer closeTab()
	var mu sync.Mutex
	var requests []string
	require.NoError(t, chromedp.Listen(tab, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	}))
	require.NoError(t, chromedp.Do(tab, chromedp.EmulateViewport(1180, 900), chromedp.Navigate(url)))
	check(tab)
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(shot, png, 0o644))
	t.Logf("screenshot: %s", shot)
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(requests)
}

// checkPage compares what the page shows with what the verifier returned.
func checkPage(t *testing.T, tab context.Context, rep *custody.Report) {
	t.Helper()
	eval := func(js string) string {
		v, err := chromedp.Run(tab, chromedp.Evaluate[string](js))
		require.NoError(t, err, js)
		return v
	}
	want := "INVALID"
	if rep.Valid {
		want = "VALID"
	}
	require.Equal(t, want, eval(`document.querySelector('#verdict .verdict-word').textContent`))
	require.Equal(t, want, eval(`document.querySelector('#verdict').dataset.verdict`))
	drawn := eval(`String([...document.querySelectorAll('#timeline g.mark')].reduce((n, g) => n + Number(g.dataset.count), 0))`)
	require.Equal(t, strconv.Itoa(len(rep.Events)), drawn, "events drawn in the timeline")

	var failures, ofEvents, ofBundle []string
	for _, f := range rep.Failures {
		failures = append(failures, fmt.Sprintf("%d:%s", f.Event, f.Rule))
		if f.Event > 0 {
			ofEvents = append(ofEvents, fmt.Sprintf("%d:%s", f.Event, f.Rule))
		} else {
			ofBundle = append(ofBundle, string(f.Rule))
		}
	}
	shown := eval(`[...document.querySelectorAll('#failures tr.failed')].map(tr => tr.dataset.event + ':' + tr.dataset.rule).join(' ')`)
	require.Equal(t, strings.Join(failures, " "), shown, "failures listed")
	perEvent := eval(`[...document.querySelectorAll('table.rules tr[data-status]')].flatMap(tr => [...tr.querySelectorAll('.check.st-failed')].map(c => tr.dataset.first + ':' + c.dataset.rule)).join(' ')`)
	require.Equal(t, strings.Join(ofEvents, " "), perEvent, "failed rules in the table of checks per event")
	bundle := eval(`[...document.querySelectorAll('table.bundle-checks tr.st-failed')].map(tr => tr.dataset.rule).join(' ')`)
	require.Equal(t, strings.Join(ofBundle, " "), bundle, "failed checks of the bundle")
	marked := eval(`[...document.querySelectorAll('#timeline g.mark.failed')].map(g => g.dataset.first).join(' ')`)
	require.Equal(t, failedEvents(rep), marked, "failed events marked in the timeline")

	withTime := 0
	for _, e := range rep.Events {
		if e.Interval != nil {
			withTime++
		}
	}
	require.Equal(t, strconv.Itoa(withTime), eval(`String([...document.querySelectorAll('#time tr[data-time]')].reduce((n, tr) => n + Number(tr.dataset.last) - Number(tr.dataset.first) + 1, 0))`),
		"events with a trusted time")

	require.Equal(t, "0", eval(`String(document.scripts.length)`), "the page has no script")
	require.Equal(t, "unset", eval(`window.__evidctlPwned === undefined ? 'unset' : 'RAN: ' + window.__evidctlPwned`), "injected markup ran")
	colour := map[bool]string{true: "rgb(31, 122, 58)", false: "rgb(179, 38, 30)"}[rep.Valid]
	require.Equal(t, colour, eval(`getComputedStyle(document.querySelector('.verdict-word')).color`),
		"the style sheet applies (the page's CSP admits it by its hash)")
	for _, e := range rep.Events {
		name, err := json.Marshal(e.Actor)
		require.NoError(t, err)
		require.Equal(t, "shown", eval(`document.body.textContent.includes(`+string(name)+`) ? 'shown' : 'missing'`), "actor %q shown as text", e.Actor)
	}
}

// failedEvents lists the events with a failed check, as the timeline's data-first
// attributes would: "2 5".
func failedEvents(rep *custody.Report) string {
	var out []string
	for _, f := range rep.Failures {
		if n := strconv.Itoa(f.Event); f.Event > 0 && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return strings.Join(out, " ")
}

// TestHTMLReportScreenshot makes the README's picture of the HTML report (the top of
// the valid cross-border case's report: verdict and timeline) when
// EVIDCTL_README_SCREENSHOT names the PNG to write:
//
//	EVIDCTL_README_SCREENSHOT=$PWD/docs/report-html.png go test -run TestHTMLReportScreenshot ./custody/
func TestHTMLReportScreenshot(t *testing.T) {
	out := os.Getenv("EVIDCTL_README_SCREENSHOT")
	if out == "" {
		t.Skip("set EVIDCTL_README_SCREENSHOT=FILE.png to make the README's screenshot")
	}
	path := requireChromium(t)
	c := newCrossBorderCase(t, labParty, authorityParty, prosecutorParty)
	rep, err := custody.Verify(context.Background(), c.b, c.pol, custody.WithPayload("case-br.age", bytes.NewReader(c.payload)))
	require.NoError(t, err)
	var page bytes.Buffer
	require.NoError(t, rep.WriteHTML(&page, custody.WithTitle("Chain of custody verification: case-br"), custody.WithReceipts(c.b),
		custody.WithPreface("bundle: case-br.custody.json", "trust policy: trust.json", "sealed payload checked: case-br.age")))
	file := filepath.Join(t.TempDir(), "case-br.html")
	require.NoError(t, os.WriteFile(file, page.Bytes(), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bctx, closeBrowser := chromium.NewContext(ctx, path, chromedp.WithErrorf(func(string, ...any) {}))
	defer closeBrowser()
	require.NoError(t, chromedp.Do(bctx, chromedp.EmulateViewport(980, 800), chromedp.Navigate("file://"+file)))
	bottom, err := chromedp.Run(bctx, chromedp.Evaluate[float64](`document.querySelector('#timeline').getBoundingClientRect().bottom`))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(bctx, chromedp.EmulateViewport(980, int64(bottom)+8)))
	png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(out, png, 0o644))
	t.Logf("wrote %s (%d bytes)", out, len(png))
}
