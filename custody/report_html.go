package custody

import (
	"bufio"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
)

// The HTML report: one self-contained file (inline CSS and SVG, no script, nothing
// fetched) that a court can open in any browser or print to A4. It is rendered by
// html/template from view models (report_html_view.go, report_html_timeline.go,
// report_html_marks.go, report_html_proofs.go): every text from the bundle is escaped
// by the template, in HTML text, attributes and SVG alike, after Escape made its
// control and bidi characters visible.

//go:embed html/report.tmpl html/report.css
var htmlFiles embed.FS

var (
	htmlTemplate = template.Must(template.New("report.tmpl").ParseFS(htmlFiles, "html/report.tmpl"))
	htmlCSS      = mustRead(htmlFiles, "html/report.css")
	// htmlCSP is the page's Content-Security-Policy: nothing may load or run, but the
	// one style sheet inside the page (by its hash). A text that escaped the
	// template's escaping still could not fetch or execute anything.
	htmlCSP = "default-src 'none'; style-src '" + cssHash(htmlCSS) + "'; img-src data:; base-uri 'none'; form-action 'none'"
)

func mustRead(fs embed.FS, name string) string {
	b, err := fs.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time: cannot happen
	}
	return string(b)
}

func cssHash(css string) string {
	sum := sha256.Sum256([]byte(css))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// HTMLOption configures [Report.WriteHTML].
type HTMLOption func(*htmlConfig)

type htmlConfig struct {
	title    string
	preface  []string
	bundle   *Bundle
	expanded bool
}

// WithTitle sets the report's heading (default "Chain of custody verification").
func WithTitle(title string) HTMLOption { return func(c *htmlConfig) { c.title = title } }

// WithPreface adds lines under the heading: what was verified, when, with which
// policy and which payloads.
func WithPreface(lines ...string) HTMLOption {
	return func(c *htmlConfig) { c.preface = append(c.preface, lines...) }
}

// WithReceipts shows the log receipts of b, the bundle the report was made of: each
// event's checkpoint (origin, size, root hash), inclusion path and signed note, and
// the bundle's consistency proofs. A record whose commitment is not the event's is
// left out (b is not the bundle verified).
func WithReceipts(b *Bundle) HTMLOption { return func(c *htmlConfig) { c.bundle = b } }

// WithAllExpanded opens every collapsible part of the report: long timelines and
// tables, receipts. For printing (a PDF), where nothing can be clicked open.
func WithAllExpanded() HTMLOption { return func(c *htmlConfig) { c.expanded = true } }

// WriteHTML writes the report as one self-contained HTML page for a court file: a
// verdict banner naming what failed and what was not checked, the custody timeline
// drawn as SVG (a lane per custodian, hand-overs as arrows), the items with every
// digest, the legal authority of each hand-over, the rules checked for each event,
// the log proofs, and what each rule establishes. The page has no script and loads
// nothing; its print style sheet gives numbered A4 pages. Every text from the bundle
// is escaped.
func (r *Report) WriteHTML(w io.Writer, opts ...HTMLOption) error {
	cfg := htmlConfig{title: "Chain of custody verification"}
	for _, o := range opts {
		o(&cfg)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := htmlTemplate.Execute(bw, r.settled().htmlView(&cfg)); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return bw.Flush()
}
