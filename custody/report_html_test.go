package custody_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/evidctl/evidctl/custody"
)

// TestReportHTMLGolden pins the structure of the HTML report (elements, classes, data
// attributes and text; not the geometry of the drawing, nor the style sheet) of the
// fixed report of the Markdown golden test, its events given a trusted time. Regenerate with
// 'go test -run TestReportHTMLGolden -update ./custody/'.
func TestReportHTMLGolden(t *testing.T) {
	r := goldenReport()
	at := r.Events[0].Time
	r.Events[0].Interval = &custody.TimeInterval{Earliest: at.Add(-time.Minute), Latest: at.Add(time.Minute), WidthSeconds: 120,
		Sources: []custody.TimeSource{{Bound: "earliest", Kind: "witness", Name: "w1", Time: at.Add(-time.Minute), Checkpoint: "lab.example/log@1"},
			{Bound: "latest", Kind: "tsa", Name: "tsa1", Time: at.Add(time.Minute), Checkpoint: "lab.example/log@2"}}}
	r.Events[1].Interval = &custody.TimeInterval{Sources: []custody.TimeSource{}, Warning: "no witness or time-stamp the policy trusts"}
	var got bytes.Buffer
	require.NoError(t, r.WriteHTML(&got, custody.WithTitle("Chain of custody: case 2026-17"),
		custody.WithPreface("bundle: case.custody.json", "trust policy: court.json", "verified: 2026-03-02T10:00:00Z with evidctl devel")))
	outline := htmlOutline(t, got.Bytes())
	path := filepath.Join("testdata", "report.golden.html.txt")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(outline), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run 'go test -run TestReportHTMLGolden -update ./custody/' to create it")
	require.Equal(t, string(want), outline)
}

// outlineAttrs are the attributes the outline keeps: what the page means, not where
// it draws.
var outlineAttrs = regexp.MustCompile(`^(class|id|lang|role|open|data-.*|aria-label|http-equiv|name|href|charset)$`)

// htmlOutline is the page as an indented tree of elements with their meaningful
// attributes and their text, whitespace collapsed; style sheets left out.
func htmlOutline(t *testing.T, page []byte) string {
	t.Helper()
	z := html.NewTokenizer(bytes.NewReader(page))
	var b strings.Builder
	depth := 0
	inStyle := false
	for {
		switch z.Next() {
		case html.ErrorToken:
			require.ErrorIs(t, z.Err(), io.EOF)
			return b.String()
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			b.WriteString(strings.Repeat("  ", depth) + tok.Data)
			for _, a := range tok.Attr {
				if outlineAttrs.MatchString(a.Key) {
					fmt.Fprintf(&b, " %s=%q", a.Key, a.Val)
				}
			}
			b.WriteString("\n")
			inStyle = tok.Data == "style"
			if tok.Type == html.StartTagToken && !voidElement[tok.Data] {
				depth++
			}
		case html.EndTagToken:
			depth = max(depth-1, 0)
			inStyle = false
		case html.TextToken:
			if text := strings.Join(strings.Fields(string(z.Text())), " "); text != "" && !inStyle {
				fmt.Fprintf(&b, "%s%q\n", strings.Repeat("  ", depth), text)
			}
		}
	}
}

var voidElement = map[string]bool{"meta": true, "link": true, "br": true, "hr": true, "img": true, "input": true}

// hostile is text an attacker puts in every field of a statement: markup, an
// attribute break-out, a bidi override, a terminal escape, a newline.
const hostile = "<script>window.__evidctlPwned=1</script>\"><svg onload=\"window.__evidctlPwned=2\">\u202egnp.exe\x1b[2J\nX\u200b"

// hostileReport is a report with hostile text in every field that holds text.
func hostileReport() *custody.Report {
	r := goldenReport()
	for i := range r.Events {
		e := &r.Events[i]
		e.Item, e.Description, e.Actor, e.Organization, e.Jurisdiction = hostile, hostile, hostile, hostile, hostile
		e.Counterparty, e.Purpose, e.Log, e.Cosigners = hostile, hostile, hostile, []string{hostile}
		e.Legal = &custody.Legal{Kind: custody.LegalKind(hostile), Basis: hostile, Reference: hostile, Requesting: hostile, Requested: hostile}
		for j := range e.Checks {
			c := &e.Checks[j]
			c.Subject, c.Detail, c.Expected, c.Found = hostile, hostile, hostile, hostile
		}
	}
	r.Events[0].Type = custody.Transfer
	r.Events[1].Type = custody.Receive
	r.Checks[0].Detail, r.Checks[0].Subject = hostile, hostile
	r.Items[0].ID, r.Items[0].Description, r.Items[0].Custodian, r.Items[0].State = hostile, hostile, hostile, hostile
	r.Items[0].Sealed = &custody.Sealed{Digest: r.Items[0].Digest, Size: 9, Recipients: []string{hostile}}
	r.Failures = []custody.Failure{{Event: 2, Check: r.Events[1].Checks[0]}}
	return r
}

// TestReportHTMLEscapesEverything: hostile text in every field comes out as text:
// no element or attribute of its making, no raw control, format or bidi character.
func TestReportHTMLEscapesEverything(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, hostileReport().WriteHTML(&out, custody.WithTitle(hostile), custody.WithPreface(hostile), custody.WithAllExpanded()))
	requireInert(t, out.Bytes())
	page := out.String()
	require.Contains(t, page, `&lt;script&gt;window.__evidctlPwned=1&lt;/script&gt;&#34;&gt;&lt;svg onload=&#34;window.__evidctlPwned=2&#34;&gt;\u202egnp.exe\x1b[2J\x0aX\u200b`,
		"hostile text is shown, escaped and with its invisible characters made visible")
}

// requireInert checks that page has no script, no event handler attribute, no
// element that loads anything, and no raw control, format or bidi character.
func requireInert(t *testing.T, page []byte) {
	t.Helper()
	z := html.NewTokenizer(bytes.NewReader(page))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "img", "link", "iframe", "object", "embed", "image", "use", "foreignobject", "audio", "video", "source", "base", "form":
			t.Fatalf("the page has a <%s> element", tok.Data)
		}
		for _, a := range tok.Attr {
			require.False(t, strings.HasPrefix(strings.ToLower(a.Key), "on"), "event handler attribute %s on <%s>", a.Key, tok.Data)
			require.NotContains(t, []string{"src", "srcset", "xlink:href", "action", "formaction", "style"}, strings.ToLower(a.Key), "<%s %s>", tok.Data, a.Key)
			if a.Key == "href" {
				require.True(t, strings.HasPrefix(a.Val, "#"), "a link that loads something: %q", a.Val)
			}
		}
	}
	require.ErrorIs(t, z.Err(), io.EOF)
	for i, r := range string(page) {
		if r == '\n' {
			continue
		}
		require.False(t, unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029',
			"raw %U at byte %d: %q", r, i, page[max(i-40, 0):min(i+40, len(page))])
	}
}

// FuzzWriteHTML: whatever the names and purposes, the page is inert.
func FuzzWriteHTML(f *testing.F) {
	f.Add(hostile, "purpose")
	f.Add("A. Examiner", "</title><script>x</script>")
	f.Add("\xff\xfe", "]]><!--")
	f.Fuzz(func(t *testing.T, name, purpose string) {
		r := goldenReport()
		r.Events[0].Actor, r.Events[0].Purpose, r.Events[1].Counterparty = name, purpose, name
		r.Events[1].Type, r.Items[0].Description = custody.Transfer, purpose
		var out bytes.Buffer
		require.NoError(t, r.WriteHTML(&out, custody.WithTitle(name)))
		requireInert(t, out.Bytes())
	})
}

// TestReportHTMLLongTimeline: a 1,000-event bundle's timeline groups runs of
// accesses into shared columns, starts its later segments collapsed, and still
// accounts for every event.
func TestReportHTMLLongTimeline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1,000-event bundle")
	}
	b, pol := bigBundle(t, 1000)
	rep, err := custody.Verify(context.Background(), b, pol)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, rep.WriteHTML(&out, custody.WithReceipts(b)))
	page := out.String()
	counts := regexp.MustCompile(`data-count="(\d+)"`).FindAllStringSubmatch(page, -1)
	total := 0
	for _, m := range counts {
		var n int
		fmt.Sscan(m[1], &n)
		total += n
	}
	require.Equal(t, 1000, total, "every event is drawn once")
	require.Less(t, len(counts), 400, "runs of accesses share columns")
	closed := strings.Count(page, `<details class="segment" data-first=`)
	require.Greater(t, closed, 10, "later segments start collapsed")
	require.Contains(t, page, `<details class="segment" open data-first="1"`)
}

func BenchmarkReportHTML1000(b *testing.B) {
	bundle, pol := bigBundle(b, 1000)
	rep, err := custody.Verify(context.Background(), bundle, pol)
	require.NoError(b, err)
	var size int
	b.ResetTimer()
	for b.Loop() {
		var w countingWriter
		if err := rep.WriteHTML(&w, custody.WithReceipts(bundle)); err != nil {
			b.Fatal(err)
		}
		size = int(w)
	}
	b.ReportMetric(float64(size), "page-bytes")
}

type countingWriter int

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}

// TestReportHTMLTimes: times print in UTC whatever the zone of the report.
func TestReportHTMLTimes(t *testing.T) {
	r := goldenReport()
	r.Events[0].Time = time.Date(2026, 3, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	var out bytes.Buffer
	require.NoError(t, r.WriteHTML(&out))
	require.Contains(t, out.String(), ">09:00:00</text>")
}
