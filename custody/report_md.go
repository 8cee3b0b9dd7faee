package custody

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteMarkdown writes the report as a Markdown document for a court file or an
// expert's annex: the verdict, the items, the timeline with each event's legal
// authority and log entry, every failure with what was expected and found, what was
// not checked and why, the warnings, and what each rule means. title heads the
// document; preface lines (what was verified, when, with which policy) follow it as a
// list. Every text from the bundle is escaped for Markdown: it cannot add markup,
// break a table, or carry control or bidi characters.
func (r *Report) WriteMarkdown(w io.Writer, title string, preface ...string) error {
	r = r.settled()
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", mdInline(title))
	for _, p := range preface {
		fmt.Fprintf(&b, "- %s\n", mdInline(p))
	}
	r.mdVerdict(&b)
	r.mdItems(&b)
	r.mdTimeline(&b)
	r.mdTime(&b)
	writeSection(&b, "\n## Bundle checks\n\n", r.Checks, func(b *strings.Builder, c Check) {
		fmt.Fprintf(b, "- %s: %s %s\n", mdStatus(c.Status), c.Rule, mdInline(c.text()))
	})
	writeSection(&b, "\n## Failures\n", r.Failures, mdFailure)
	writeSection(&b, "\n## Not checked\n\nThese checks were not made; nothing is claimed for them.\n\n", r.NotChecked, mdFinding)
	writeSection(&b, "\n## Warnings\n\nThese break no rule the policy asks for, but a reader should know them.\n\n", r.Warnings, mdWarning)
	b.WriteString("\n## Rules\n\n| rule | what it establishes |\n| --- | --- |\n")
	for _, m := range rules {
		fmt.Fprintf(&b, "| %s | %s |\n", m.rule, m.rule.Meaning())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) mdVerdict(b *strings.Builder) {
	fmt.Fprintf(b, "\n## Verdict: %s\n\n", mdInline(r.Verdict))
	switch {
	case !r.Valid:
		fmt.Fprintf(b, "%d %s failed; each is listed under Failures.", len(r.Failures), plural(len(r.Failures), "check", "checks"))
	case len(r.NotChecked) == 0:
		b.WriteString("Every rule that applies to each event, and every check of the bundle as a whole, was checked, and none failed.")
	default:
		fmt.Fprintf(b, "No check failed, but %d %s not made; each is listed under Not checked, with why.",
			len(r.NotChecked), plural(len(r.NotChecked), "check was", "checks were"))
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintf(b, " %d %s listed under Warnings.", len(r.Warnings), plural(len(r.Warnings), "warning is", "warnings are"))
	}
	b.WriteString("\n")
}

func (r *Report) mdItems(b *strings.Builder) {
	b.WriteString("\n## Items\n\n| item | description | SHA-256 | state | custodian | events |\n| --- | --- | --- | --- | --- | ---: |\n")
	for _, it := range r.Items {
		fmt.Fprintf(b, "| %s | %s | `%s` | %s | %s | %d |\n", mdCell(it.ID), mdCell(it.Description), it.Digest.SHA256().Hex(),
			mdCell(it.State), mdCell(it.Custodian), it.Events)
	}
	first := true
	for _, it := range r.Items {
		extra := extraDigests(it.Digest)
		if len(extra) == 0 {
			continue
		}
		if first {
			b.WriteString("\nOther digests of the items (requested when they were taken into custody):\n\n")
			first = false
		}
		fmt.Fprintf(b, "- %s:", mdCell(it.ID))
		for _, d := range extra {
			fmt.Fprintf(b, " `%s`", d)
		}
		b.WriteString("\n")
	}
}

func (r *Report) mdTimeline(b *strings.Builder) {
	b.WriteString("\n## Timeline\n\n| # | time (UTC) | event | item | by | counterparty | legal authority | purpose | log entry | checks |\n")
	b.WriteString("| ---: | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, e := range r.Events {
		legal := ""
		if e.Legal != nil {
			legal = e.Legal.String()
		}
		entry := ""
		if e.Log != "" {
			entry = fmt.Sprintf("%s #%d", e.Log, e.LogIndex)
		}
		if len(e.Cosigners) > 0 {
			entry += ", cosigned by " + strings.Join(e.Cosigners, ", ")
		}
		at := ""
		if !e.Time.IsZero() {
			at = e.Time.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", e.Index, at, mdCell(string(e.Type)), mdCell(e.Item),
			mdCell(who(e)), mdCell(e.Counterparty), mdCell(legal), mdCell(e.Purpose), mdCell(entry), checksCell(e.Checks))
	}
}

func checksCell(cs []Check) string {
	var failed []string
	ok, skipped := 0, 0
	for _, c := range cs {
		switch c.Result() {
		case StatusFailed:
			failed = append(failed, string(c.Rule))
		case StatusOK:
			ok++
		default:
			skipped++
		}
	}
	if len(failed) > 0 {
		return "**FAILED: " + strings.Join(failed, ", ") + "**"
	}
	if skipped > 0 {
		return fmt.Sprintf("%d ok, %d not checked", ok, skipped)
	}
	return fmt.Sprintf("%d ok", ok)
}

// mdFailure is a failure in the Markdown report: a heading with its place and rule,
// the detail, then what was expected and what was found.
func mdFailure(b *strings.Builder, f Failure) {
	fmt.Fprintf(b, "\n### %s: rule %s\n\n%s\n", mdInline(f.Where("the bundle as a whole")), f.Rule, mdInline(f.Detail))
	if f.Expected != "" {
		fmt.Fprintf(b, "\n- expected: %s", mdCode(f.Expected))
	}
	if f.Found != "" {
		fmt.Fprintf(b, "\n- found: %s", mdCode(f.Found))
	}
	if f.Expected != "" || f.Found != "" {
		b.WriteString("\n")
	}
}

// mdFinding is an unchecked rule's item in the Markdown report.
func mdFinding(b *strings.Builder, f Failure) {
	fmt.Fprintf(b, "- %s: rule %s: %s\n", mdInline(f.Where("the bundle as a whole")), f.Rule, mdInline(f.Detail))
}

func mdWarning(b *strings.Builder, w Warning) {
	fmt.Fprintf(b, "- %s: %s: %s\n", mdInline(w.where()), w.Kind, mdInline(w.Detail))
}

func mdStatus(s Status) string {
	if s == StatusFailed {
		return "**FAILED**"
	}
	return statusWord(s)
}

// mdCell makes text safe inside a Markdown table cell.
func mdCell(s string) string {
	return strings.ReplaceAll(mdInline(s), "|", `\|`)
}

// mdInline keeps text on one line and stops it from being read as Markdown or HTML
// markup: control and bidi characters are escaped (Escape), then every character
// Markdown or HTML gives a meaning.
func mdInline(s string) string {
	s = strings.Join(strings.Fields(Escape(s)), " ")
	return mdReplacer.Replace(s)
}

var mdReplacer = strings.NewReplacer("\\", `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;", "&", "&amp;",
	"[", `\[`, "]", `\]`, "#", `\#`, "!", `\!`, "~", `\~`)

// mdCode is text as an inline code span: escaped, one line, no backtick to end it early.
func mdCode(s string) string {
	return "`" + strings.ReplaceAll(strings.Join(strings.Fields(Escape(s)), " "), "`", "'") + "`"
}
