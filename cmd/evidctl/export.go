package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/custody/caseuco"
	"github.com/evidctl/evidctl/internal/atomicfile"
)

// exportFlags are the flags of 'evidctl export'.
type exportFlags struct {
	format   string
	trust    string
	out      string
	payloads []string
}

func (f *exportFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.format, "format", "case", `export format: "case" (CASE 1.4 / UCO 1.4 JSON-LD)`)
	cmd.Flags().StringVar(&f.trust, "trust", "", "trust policy file to verify the bundle under (required)")
	cmd.Flags().StringVar(&f.out, "out", "", "graph file to write, such as case.jsonld (required; never overwritten)")
	cmd.Flags().StringArrayVar(&f.payloads, "payload", nil, "sealed payload to check against its digest; repeatable")
}

// validate checks every flag, and that the output does not exist yet, before any
// input is read.
func (f *exportFlags) validate(bundle string) error {
	switch {
	case f.format != "case":
		return usageErr(fmt.Sprintf("--format %q: the export format is case (CASE/UCO JSON-LD)", f.format))
	case f.trust == "":
		return usageErr("--trust FILE is required: the export carries the bundle's verification under that policy",
			"create one with 'evidctl trust init' and 'evidctl trust add-log/add-signer'")
	case f.out == "":
		return usageErr("--out FILE is required", "for example --out case.jsonld")
	}
	for _, in := range append([]string{bundle, f.trust}, f.payloads...) {
		if filepath.Clean(in) == filepath.Clean(f.out) {
			return usageErr(fmt.Sprintf("--out %s is also an input", f.out))
		}
	}
	if _, err := os.Lstat(f.out); err == nil {
		return failErr(fmt.Errorf("%s already exists", f.out), "evidctl never overwrites an output: choose another name or remove the file")
	}
	return nil
}

func (a *app) exportCommand() *cobra.Command {
	var f exportFlags
	cmd := &cobra.Command{
		Use:   "export --format case NAME.custody.json --trust FILE --out FILE.jsonld [--payload NAME.age ...]",
		Short: "verify a bundle and export it as a CASE/UCO JSON-LD graph (exit 0 valid, 1 invalid)",
		Long: `export verifies the bundle under the trust policy and writes its chain of custody as a
CASE 1.4 / UCO 1.4 JSON-LD graph, the forensic community's interchange format: items
with their hashes, one InvestigativeAction per event (performer, tool, location, time,
legal authorization), ProvenanceRecords linking them, and the verification's verdict
and failures. Signatures, log receipts and checkpoints are in the evidctl extension
namespace (https://evidctl.dev/ns/custody#), so an evidctl verifier can tie the graph
back to the bundle. See docs/CASE-UCO.md.

The file is written whether the bundle is valid or not (its failures are in the graph):
exit 0 when it is valid, 1 when it is not, 2 when nothing could be exported. Sealed
payloads are checked only when given with --payload.`,
		Args: exactArgs(1, "the bundle NAME.custody.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.validate(args[0]); err != nil {
				return err
			}
			return a.export(cmd.Context(), args[0], &f)
		},
	}
	f.register(cmd)
	return cmd
}

// export verifies the bundle and writes its graph atomically.
func (a *app) export(ctx context.Context, path string, f *exportFlags) error {
	pol, err := custody.ReadPolicy(f.trust)
	if err != nil {
		return failErr(err)
	}
	b, err := custody.ReadBundle(path)
	if err != nil {
		return failErr(err)
	}
	var opts []custody.VerifyOption
	for _, p := range f.payloads {
		file, err := os.Open(p)
		if err != nil {
			return failErr(fmt.Errorf("reading payload: %w", err))
		}
		defer file.Close()
		opts = append(opts, custody.WithPayload(filepath.Base(p), file))
	}
	rep, err := custody.Verify(ctx, b, pol, opts...)
	if err != nil {
		return failErr(fmt.Errorf("verification could not run: %w", err))
	}
	err = atomicfile.Write(f.out, 0o644, func(w io.Writer) error {
		return caseuco.Export(w, b, rep, caseuco.WithTool("evidctl", evidctlVersion()))
	})
	if err != nil {
		return failErr(err)
	}
	verdict := "VALID"
	if !rep.Valid {
		verdict = "INVALID"
	}
	fmt.Fprintf(a.stdout, "wrote %s: CASE/UCO graph of %d %s; custody bundle %s\n", f.out, len(b.Events), plural(len(b.Events), "event", "events"), verdict)
	if !rep.Valid {
		fmt.Fprintf(a.stderr, "evidctl: the bundle does not verify: %d failed %s (annotations in the graph; 'evidctl verify' lists them)\n", len(rep.Failures), plural(len(rep.Failures), "check", "checks"))
		return errSilentInvalid
	}
	return nil
}
