package custody

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteMarkdown writes the report as a Markdown document for a court file or an
// expert's annex: the verdict, the items, the timeline with each event's legal
// authority and log entry, every failure with what was expected and found, and what each
// rule means. title heads the document; preface lines (what was verified, when, with
// which policy) follow it as a list.
func (r *Report) WriteMarkdown(w io.Writer, title string, preface ...string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", mdInline(title))
	for _, p := range preface {
		fmt.Fprintf(&b, "- %s\n", mdInline(p))
	}
	if r.Valid {
		fmt.Fprintf(&b, "\n## Verdict: VALID\n\nEvery rule below was checked for every event, and none failed.\n")
	} else {
		fmt.Fprintf(&b, "\n## Verdict: INVALID\n\n%d %s failed; each is listed under Failures.\n", len(r.Failures), plural(len(r.Failures), "check", "checks"))
	}
	r.mdItems(&b)
	r.mdTimeline(&b)
	if len(r.Checks) > 0 {
		b.WriteString("\n## Bundle checks\n\n")
		for _, c := range r.Checks {
			fmt.Fprintf(&b, "- %s: %s %s\n", mark(c.OK, "ok", "**FAILED**"), c.Rule, mdInline(c.text()))
		}
	}
	r.mdFailures(&b)
	b.WriteString("\n## Rules\n\n| rule | what it establishes |\n| --- | --- |\n")
	for _, m := range rules {
		fmt.Fprintf(&b, "| %s | %s |\n", m.rule, m.rule.Meaning())
	}
	_, err := io.WriteString(w, b.String())
	return err
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
		fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", e.Index, at, e.Type, mdCell(e.Item),
			mdCell(who(e)), mdCell(e.Counterparty), mdCell(legal), mdCell(e.Purpose), mdCell(entry), checksCell(e.Checks))
	}
}

func checksCell(cs []Check) string {
	var failed []string
	for _, c := range cs {
		if !c.OK {
			failed = append(failed, string(c.Rule))
		}
	}
	if len(failed) == 0 {
		return fmt.Sprintf("%d ok", len(cs))
	}
	return "**FAILED: " + strings.Join(failed, ", ") + "**"
}

func (r *Report) mdFailures(b *strings.Builder) {
	if len(r.Failures) == 0 {
		return
	}
	b.WriteString("\n## Failures\n")
	for _, f := range r.Failures {
		fmt.Fprintf(b, "\n### %s: rule %s\n\n%s\n", mdInline(f.Where("the bundle as a whole")), f.Rule, mdInline(f.Detail))
		if f.Expected != "" {
			fmt.Fprintf(b, "\n- expected: `%s`", strings.ReplaceAll(f.Expected, "`", "'"))
		}
		if f.Found != "" {
			fmt.Fprintf(b, "\n- found: `%s`", strings.ReplaceAll(f.Found, "`", "'"))
		}
		if f.Expected != "" || f.Found != "" {
			b.WriteString("\n")
		}
	}
}

// mdCell makes text safe inside a Markdown table cell.
func mdCell(s string) string {
	return strings.ReplaceAll(mdInline(s), "|", `\|`)
}

// mdInline keeps text on one line and stops it from being read as Markdown markup.
func mdInline(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	r := strings.NewReplacer("*", `\*`, "_", `\_`, "`", `\`+"`", "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "#", `\#`)
	return r.Replace(s)
}
