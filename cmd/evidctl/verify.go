package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/atomicfile"
	"github.com/evidctl/evidctl/internal/chromium"
)

// pdfTimeout bounds the printing of a PDF report.
const pdfTimeout = 2 * time.Minute

// printPDF writes the HTML report, every collapsible part open, printed to PDF by the
// browser at browser.
func printPDF(ctx context.Context, w io.Writer, rep *custody.Report, browser string, opts []custody.HTMLOption) error {
	var page bytes.Buffer
	if err := rep.WriteHTML(&page, append(opts, custody.WithAllExpanded())...); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, pdfTimeout)
	defer cancel()
	pdf, err := chromium.PrintPDF(ctx, browser, page.Bytes())
	if err != nil {
		return fmt.Errorf("printing the report with %s: %w", browser, err)
	}
	_, err = w.Write(pdf)
	return err
}

// verifyFlags are the flags of verify and, with report set, of report.
type verifyFlags struct {
	trust     string
	payloads  []string
	identity  string
	evidence  []string
	json      bool
	autoFound bool

	report                     bool // report: write the report to a file
	out, format, title, bundle string
	parsed                     *custody.Bundle // the bundle verified (its receipts go into an HTML report)
	chromium                   string          // --format pdf: the browser that prints it
}

// reportFormats are the formats of report --format.
var reportFormats = []string{"markdown", "text", "json", "html", "pdf"}

func (f *verifyFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.trust, "trust", "", "trust policy file (required)")
	if f.report {
		cmd.Flags().StringVar(&f.out, "out", "", "report file to write (required; never overwritten)")
		cmd.Flags().StringVar(&f.format, "format", "markdown", "markdown, text, json, html (one self-contained page) or pdf (needs a headless Chromium)")
		cmd.Flags().StringVar(&f.title, "title", "", `report title (default "Chain of custody verification: NAME")`)
	}
	cmd.Flags().StringArrayVar(&f.payloads, "payload", nil, "sealed payload to check; repeatable (default: NAME.age beside the bundle)")
	cmd.Flags().StringVar(&f.identity, "identity", "", "age identity file: also decrypt the payloads and check their plaintext")
	cmd.Flags().StringArrayVar(&f.evidence, "evidence", nil, "plaintext evidence to check against the item digests; repeatable")
	if !f.report {
		cmd.Flags().BoolVar(&f.json, "json", false, "print the report as JSON")
	}
}

func (f *verifyFlags) validate([]string) error {
	if err := requireTrust(f.trust); err != nil {
		return err
	}
	switch {
	case !f.report:
	case f.out == "":
		return usageErr("--out REPORT is required", "for example --out case-report.md")
	case !slices.Contains(reportFormats, f.format):
		return usageErr(fmt.Sprintf("--format %q: want markdown, text, json, html or pdf", f.format))
	case f.format == "pdf":
		path, err := chromium.Find()
		if err != nil {
			return failErr(fmt.Errorf("--format pdf prints the HTML report with a headless Chromium: %w", err),
				"install one (Debian: apt-get install chromium), or write --format html and print it from a browser")
		}
		f.chromium = path
	}
	return nil
}

func (a *app) verifyCommand() *cobra.Command {
	f := &verifyFlags{}
	cmd := command(&cobra.Command{
		Use:   "verify NAME.custody.json --trust FILE [--payload NAME.age ...] [--identity ID | --evidence FILE] [--json]",
		Short: "verify a bundle offline under a trust policy (exit 0 valid, 1 invalid)",
		Long: `verify answers a court's questions: integrity, authenticity, continuity and existence in
time. Without --payload, NAME.age (and NAME.1.age, NAME.2.age …) beside the bundle are
checked when they exist. With --identity the payloads are also decrypted (nothing is
written) and checked against the item digests; --evidence checks plaintext files.

With --json, stdout is JSON whatever happens: the report (docs/schema/report.schema.json),
or, when verification could not run (exit 2), an error object
(docs/schema/error.schema.json): {"error": {"message": …, "hints": […]}, "exitCode": 2}.`,
		Args: exactArgs(1, "the bundle NAME.custody.json"),
	}, f, func(ctx context.Context, args []string) error {
		return a.verify(ctx, args[0], f)
	})
	run := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		err := run(c, args)
		if err != nil && err != errSilentInvalid && f.json {
			writeJSONError(a.stdout, err)
		}
		return err
	}
	return cmd
}

// besideBundle lists the payloads next to a bundle: NAME.age and NAME.<n>.age.
func besideBundle(path string) []string {
	name := bundleName(path)
	var out []string
	if _, err := os.Stat(name + custody.PayloadSuffix); err == nil {
		out = append(out, name+custody.PayloadSuffix)
	}
	for i := 1; ; i++ {
		p := fmt.Sprintf("%s.%d%s", name, i, custody.PayloadSuffix)
		if _, err := os.Stat(p); err != nil {
			break
		}
		out = append(out, p)
	}
	return out
}

func (a *app) verify(ctx context.Context, path string, f *verifyFlags) error {
	f.bundle = path
	policy, err := readPolicy(f.trust)
	if err != nil {
		return err
	}
	b, err := readBundle(path)
	if err != nil {
		return err
	}
	if len(f.payloads) == 0 {
		f.payloads = besideBundle(path)
		f.autoFound = len(f.payloads) > 0
	}
	if f.identity != "" && len(f.payloads) == 0 {
		return usageErr("--identity decrypts payloads, but none was given and none lies beside the bundle", "pass --payload NAME.age")
	}
	opts, closeAll, err := a.verifyInputs(f)
	defer closeAll()
	if err != nil {
		return err
	}
	rep, err := custody.Verify(ctx, b, policy, opts...)
	if err != nil {
		return failErr(fmt.Errorf("verification could not run: %w", err))
	}
	f.parsed = b
	return a.printReport(ctx, rep, f)
}

func (a *app) verifyInputs(f *verifyFlags) ([]custody.VerifyOption, func(), error) {
	var opts []custody.VerifyOption
	var files []io.Closer
	closeAll := func() {
		for _, c := range files {
			_ = c.Close()
		}
	}
	if f.identity != "" {
		ids, err := readIdentities(f.identity)
		if err != nil {
			return nil, closeAll, err
		}
		opts = append(opts, custody.WithIdentities(ids...))
	}
	for _, list := range []struct {
		what  string
		paths []string
		opt   func(string, io.Reader) custody.VerifyOption
	}{{"payload", f.payloads, custody.WithPayload}, {"evidence file", f.evidence, custody.WithEvidence}} {
		for _, p := range list.paths {
			src, err := a.openSource(list.what, p)
			if err != nil {
				return nil, closeAll, err
			}
			files = append(files, src)
			opts = append(opts, list.opt(filepath.Base(p), src))
		}
	}
	return opts, closeAll, nil
}

func (a *app) printReport(ctx context.Context, rep *custody.Report, f *verifyFlags) error {
	note := a.stdout
	if f.json {
		note = a.stderr
	}
	if f.autoFound {
		for _, p := range f.payloads {
			fmt.Fprintf(note, "checking payload %s (found beside the bundle)\n", p)
		}
	}
	var err error
	switch {
	case f.out != "":
		err = a.writeReport(ctx, rep, f)
	case f.json:
		err = rep.WriteJSON(a.stdout)
	default:
		err = rep.WriteText(a.stdout)
	}
	if err != nil {
		return failErr(err)
	}
	if !rep.Valid {
		fmt.Fprintf(a.stderr, "evidctl: verification failed: %d failed %s\n", len(rep.Failures), plural(len(rep.Failures), "check", "checks"))
		return errSilentInvalid
	}
	return nil
}

func (a *app) reportCommand() *cobra.Command {
	f := &verifyFlags{report: true}
	return command(&cobra.Command{
		Use:   "report NAME.custody.json --trust FILE --out REPORT [--format markdown|text|json|html|pdf] [--title TEXT] [--payload NAME.age ...] [--identity ID | --evidence FILE]",
		Short: "verify a bundle and write the report for a court file (exit 0 valid, 1 invalid)",
		Long: `report verifies like 'verify' and writes the report to a file: by default a Markdown
document with the verdict, the items, the timeline (who, when, under which legal
authority, which log entry), every failure with what was expected and found, and what
each rule establishes. The file is written whether the bundle is valid or not; the
exit code says which.

--format html writes one self-contained page (no script, nothing fetched) with the
custody timeline drawn as a picture, the proofs and receipts, and a print style sheet
for numbered A4 pages; --format pdf prints that page with a headless Chromium found on
PATH (chromium, chromium-browser or google-chrome).`,
		Args: exactArgs(1, "the bundle NAME.custody.json"),
	}, f, func(ctx context.Context, args []string) error {
		if err := refuseExisting(f.out); err != nil {
			return err
		}
		return a.verify(ctx, args[0], f)
	})
}

// writeReport writes the report file atomically in the chosen format.
func (a *app) writeReport(ctx context.Context, rep *custody.Report, f *verifyFlags) error {
	title := f.title
	if title == "" {
		title = "Chain of custody verification: " + filepath.Base(bundleName(f.bundle))
	}
	preface := []string{
		"bundle: " + f.bundle,
		"trust policy: " + f.trust,
		"verified: " + time.Now().UTC().Format(time.RFC3339) + " with evidctl " + evidctlVersion(),
	}
	for _, p := range f.payloads {
		preface = append(preface, "sealed payload checked: "+p)
	}
	if f.identity != "" && len(f.payloads) > 0 {
		preface = append(preface, "payloads decrypted with the identity in "+f.identity+" and their plaintext checked (nothing written)")
	}
	for _, p := range f.evidence {
		preface = append(preface, "evidence checked: "+p)
	}
	err := atomicfile.Write(f.out, 0o644, func(w io.Writer) error {
		switch f.format {
		case "json":
			return rep.WriteJSON(w)
		case "text":
			return rep.WriteText(w)
		case "html", "pdf":
			opts := []custody.HTMLOption{custody.WithTitle(title), custody.WithPreface(preface...), custody.WithReceipts(f.parsed)}
			if f.format == "pdf" {
				return printPDF(ctx, w, rep, f.chromium, opts)
			}
			return rep.WriteHTML(w, opts...)
		}
		return rep.WriteMarkdown(w, title, preface...)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %s: custody bundle %s\n", f.out, custody.Escape(rep.Verdict))
	return nil
}
