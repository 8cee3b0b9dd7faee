package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/atomicfile"
)

type verifyFlags struct {
	trust     string
	payloads  []string
	identity  string
	evidence  []string
	json      bool
	autoFound bool

	// report only
	out, format, title, bundle string
}

func (a *app) verifyCommand() *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify NAME.custody.json --trust FILE [--payload NAME.age ...] [--identity ID | --evidence FILE] [--json]",
		Short: "verify a bundle offline under a trust policy (exit 0 valid, 1 invalid)",
		Long: `verify answers a court's questions: integrity, authenticity, continuity and existence in
time. Without --payload, NAME.age (and NAME.1.age, NAME.2.age …) beside the bundle are
checked when they exist. With --identity the payloads are also decrypted (nothing is
written) and checked against the item digests; --evidence checks plaintext files.`,
		Args: exactArgs(1, "the bundle NAME.custody.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireTrust(f.trust); err != nil {
				return err
			}
			return a.verify(cmd.Context(), args[0], &f)
		},
	}
	cmd.Flags().StringVar(&f.trust, "trust", "", "trust policy file (required)")
	cmd.Flags().StringArrayVar(&f.payloads, "payload", nil, "sealed payload to check; repeatable (default: NAME.age beside the bundle)")
	cmd.Flags().StringVar(&f.identity, "identity", "", "age identity file: also decrypt the payloads and check their plaintext")
	cmd.Flags().StringArrayVar(&f.evidence, "evidence", nil, "plaintext evidence to check against the item digests; repeatable")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the report as JSON")
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
	return a.printReport(rep, f)
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

func (a *app) printReport(rep *custody.Report, f *verifyFlags) error {
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
		err = a.writeReport(rep, f)
	case f.json:
		err = rep.WriteJSON(a.stdout)
	default:
		err = rep.WriteText(a.stdout)
	}
	if err != nil {
		return failErr(err)
	}
	if !rep.Valid {
		fmt.Fprintf(a.stderr, "evidctl: verification failed: %d failed checks\n", len(rep.Failures))
		return errSilentInvalid
	}
	return nil
}

func (a *app) reportCommand() *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "report NAME.custody.json --trust FILE --out REPORT [--format markdown|text|json] [--title TEXT] [--payload NAME.age ...] [--identity ID | --evidence FILE]",
		Short: "verify a bundle and write the report for a court file (exit 0 valid, 1 invalid)",
		Long: `report verifies like 'verify' and writes the report to a file: by default a Markdown
document with the verdict, the items, the timeline (who, when, under which legal
authority, which log entry), every failure with what was expected and found, and what
each rule establishes. The file is written whether the bundle is valid or not; the
exit code says which.`,
		Args: exactArgs(1, "the bundle NAME.custody.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireTrust(f.trust); err != nil {
				return err
			}
			switch {
			case f.out == "":
				return usageErr("--out REPORT is required", "for example --out case-report.md")
			case f.format != "markdown" && f.format != "text" && f.format != "json":
				return usageErr(fmt.Sprintf("--format %q: want markdown, text or json", f.format))
			}
			if err := refuseExisting(f.out); err != nil {
				return err
			}
			return a.verify(cmd.Context(), args[0], &f)
		},
	}
	cmd.Flags().StringVar(&f.trust, "trust", "", "trust policy file (required)")
	cmd.Flags().StringVar(&f.out, "out", "", "report file to write (required; never overwritten)")
	cmd.Flags().StringVar(&f.format, "format", "markdown", "markdown, text or json")
	cmd.Flags().StringVar(&f.title, "title", "", `report title (default "Chain of custody verification: NAME")`)
	cmd.Flags().StringArrayVar(&f.payloads, "payload", nil, "sealed payload to check; repeatable (default: NAME.age beside the bundle)")
	cmd.Flags().StringVar(&f.identity, "identity", "", "age identity file: also decrypt the payloads and check their plaintext")
	cmd.Flags().StringArrayVar(&f.evidence, "evidence", nil, "plaintext evidence to check against the item digests; repeatable")
	return cmd
}

// writeReport writes the report file atomically in the chosen format.
func (a *app) writeReport(rep *custody.Report, f *verifyFlags) error {
	title := f.title
	if title == "" {
		title = "Chain of custody verification: " + filepath.Base(bundleName(f.bundle))
	}
	preface := []string{
		"bundle: " + f.bundle,
		"trust policy: " + f.trust,
		"verified: " + time.Now().UTC().Format(time.RFC3339) + " with evidctl " + version,
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
		}
		return rep.WriteMarkdown(w, title, preface...)
	})
	if err != nil {
		return err
	}
	verdict := "VALID"
	if !rep.Valid {
		verdict = "INVALID"
	}
	fmt.Fprintf(a.stdout, "wrote %s: custody bundle %s\n", f.out, verdict)
	return nil
}

func (a *app) decryptCommand() *cobra.Command {
	var payload, identity, out, item, trust string
	cmd := &cobra.Command{
		Use:   "decrypt NAME.custody.json --payload NAME.age --identity ID --out FILE [--item ID] [--trust FILE]",
		Short: "decrypt a payload, writing FILE only if it is exactly what the chain records",
		Long: `decrypt writes FILE only after the payload's ciphertext digest matched the chain and the
whole plaintext authenticated and matched the item digest; otherwise nothing is written.
With --trust it first verifies the whole bundle (signatures, receipts, custody rules)
under that policy and decrypts nothing unless the bundle is valid (exit 1 otherwise).
Without --trust the bundle itself is not verified: run 'evidctl verify'.`,
		Args: exactArgs(1, "the bundle NAME.custody.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case payload == "":
				return usageErr("--payload NAME.age is required")
			case identity == "":
				return usageErr("--identity is required: your age identity opens the payload")
			case out == "":
				return usageErr("--out FILE is required")
			}
			if trust != "" {
				if err := a.verifyBeforeDecrypt(cmd.Context(), args[0], trust); err != nil {
					return err
				}
			}
			return a.decrypt(cmd.Context(), args[0], payload, identity, out, item)
		},
	}
	cmd.Flags().StringVar(&trust, "trust", "", "verify the bundle under this trust policy before decrypting")
	cmd.Flags().StringVar(&payload, "payload", "", "the sealed payload")
	cmd.Flags().StringVar(&identity, "identity", "", "your age identity file")
	cmd.Flags().StringVar(&out, "out", "", "the plaintext file to write")
	cmd.Flags().StringVar(&item, "item", "", "item id (default: the item whose sealed payload this is)")
	return cmd
}

func (a *app) decrypt(ctx context.Context, path, payload, identity, out, item string) error {
	if err := refuseExisting(out); err != nil {
		return err
	}
	ids, err := readIdentities(identity)
	if err != nil {
		return err
	}
	b, err := readBundle(path)
	if err != nil {
		return err
	}
	src, err := a.openSource("payload", payload)
	if err != nil {
		return err
	}
	defer src.Close()
	plain, err := atomicfile.Create(out, 0o600)
	if err != nil {
		return failErr(err)
	}
	defer plain.Abort()
	opts := []custody.PayloadOption{custody.DecryptTo(plain, ids...)}
	if item != "" {
		opts = append(opts, custody.ForItem(item))
	}
	m, err := b.MatchPayload(ctx, src, opts...)
	switch {
	case err != nil:
		return failErr(fmt.Errorf("%s: %w; nothing was written", payload, err))
	case len(m.Violations) > 0:
		return invalidErr(fmt.Errorf("%s: %s; nothing was written", payload, joinViolations(m.Violations)),
			"run 'evidctl verify' for the details")
	}
	if err := plain.Commit(); err != nil {
		return failErr(fmt.Errorf("writing %s: %w", out, err))
	}
	fmt.Fprintf(a.stdout, "item %s (%s): payload and plaintext match the chain\nwrote %s\n", m.Item.ID, m.Item.Description, out)
	return nil
}

func joinViolations(vs []custody.Violation) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Error()
	}
	return strings.Join(out, "; ")
}

// verifyBeforeDecrypt verifies the bundle under the policy and refuses (exit 1) an
// invalid one, printing its failures.
func (a *app) verifyBeforeDecrypt(ctx context.Context, path, trust string) error {
	b, err := readBundle(path)
	if err != nil {
		return err
	}
	pol, err := custody.ReadPolicy(trust)
	if err != nil {
		return failErr(err)
	}
	rep, err := custody.Verify(ctx, b, pol)
	if err != nil {
		return failErr(err)
	}
	if !rep.Valid {
		_ = rep.WriteText(a.stdout)
		return invalidErr(fmt.Errorf("%s does not verify under %s; nothing was decrypted", path, trust))
	}
	events := "events"
	if len(rep.Events) == 1 {
		events = "event"
	}
	fmt.Fprintf(a.stdout, "%s verifies under %s (%d %s)\n", path, trust, len(rep.Events), events)
	return nil
}
