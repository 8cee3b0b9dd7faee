package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/custody"
)

func (a *app) discloseCommand() *cobra.Command {
	var f intakeFlags
	var preserved string
	cmd := &cobra.Command{
		Use:   "disclose FILE... --key K --recipient R --order-ref REF --out NAME [--preserved P.custody.json] [flags]",
		Short: "answer an order: each file becomes a sealed item (NAME.age, or NAME.1.age, NAME.2.age …)",
		Long: `disclose records a service provider's answer to an order. Each file is its own item,
sealed to the recipients: one file is written to NAME.age, several to NAME.1.age,
NAME.2.age … in argument order. The legal kind defaults to production.

With --preserved, each file continues the preserved item of the same description (its
base name), and is refused unless it still matches the preserved digests; the new
bundle holds the preservation and the disclosure.`,
		Args: minArgs(1, "at least one FILE to disclose"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.detail.ref == "" {
				return usageErr("--order-ref is required: a disclosure answers an order", "pass the order's reference, e.g. --order-ref 'PO-2026-118'")
			}
			if err := f.validate(true, len(args)); err != nil {
				return err
			}
			return a.disclose(cmd.Context(), args, preserved, &f)
		},
	}
	f.detail.defaultKind = custody.Production
	f.register(cmd, true)
	cmd.Flags().StringVar(&f.detail.ref, "order-ref", "", "reference of the order answered (required)")
	cmd.Flags().StringVar(&preserved, "preserved", "", "bundle of an earlier preservation of the same data")
	return cmd
}

// payloadPaths names the payloads of n items: NAME.age, or NAME.1.age … NAME.n.age.
func payloadPaths(name string, n int) []string {
	if n == 1 {
		return []string{name + custody.PayloadSuffix}
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s.%d%s", name, i+1, custody.PayloadSuffix)
	}
	return out
}

func (a *app) disclose(ctx context.Context, files []string, preserved string, f *intakeFlags) error {
	recipients, err := expandRecipients(f.recipients)
	if err != nil {
		return err
	}
	bundlePath, payloads := f.out+custody.BundleSuffix, payloadPaths(f.out, len(files))
	if err := refuseExisting(append([]string{bundlePath}, payloads...)...); err != nil {
		return err
	}
	var prev *custody.Bundle
	ids := make([]string, len(files))
	if preserved != "" {
		if prev, err = readBundle(preserved); err != nil {
			return err
		}
		if ids, err = matchPreserved(prev, files); err != nil {
			return err
		}
	}
	var out pendingOutputs
	defer out.abort()
	es, closeAll, err := a.evidenceList(files, ids, payloads, &out)
	defer closeAll()
	if err != nil {
		return err
	}
	s, err := a.open(ctx, &f.sign)
	if err != nil {
		return err
	}
	defer s.close()
	b, err := s.custodian.Disclose(ctx, prev, es, custody.Sealing{Recipients: recipients, Digests: f.algs}, f.detail.details())
	if err != nil {
		return failErr(err)
	}
	if err := writeOutputs(b, bundlePath, &out); err != nil {
		return err
	}
	return a.printEvents(b, len(files), append([]string{bundlePath}, payloads...)...)
}

// evidenceList opens every file; sealed outputs go to pending payloads when out is
// not nil. closeAll closes the sources.
func (a *app) evidenceList(files, ids, payloads []string, out *pendingOutputs) ([]custody.Evidence, func(), error) {
	var srcs []io.Closer
	closeAll := func() {
		for _, c := range srcs {
			_ = c.Close()
		}
	}
	es := make([]custody.Evidence, len(files))
	for i, file := range files {
		src, err := a.openSource("evidence file", file)
		if err != nil {
			return nil, closeAll, err
		}
		srcs = append(srcs, src)
		desc, mt := describeFile(file, "")
		es[i] = custody.Evidence{ItemID: ids[i], Description: desc, MediaType: mt, Source: src}
		if out != nil {
			w, err := out.create(payloads[i])
			if err != nil {
				return nil, closeAll, err
			}
			es[i].Sealed = w
		}
	}
	return es, closeAll, nil
}

// matchPreserved finds, for each file, the preserved item with its base name as
// description.
func matchPreserved(b *custody.Bundle, files []string) ([]string, error) {
	items, err := b.Status()
	if err != nil {
		return nil, failErr(err)
	}
	ids := make([]string, len(files))
	for i, file := range files {
		base := filepath.Base(file)
		for _, it := range items {
			if it.Description == base {
				ids[i] = it.ID
			}
		}
		if ids[i] == "" {
			return nil, usageErr(fmt.Sprintf("no preserved item is described as %q", base),
				"with --preserved, name each file as it was preserved; run 'evidctl show' on the preserved bundle")
		}
	}
	return ids, nil
}

func (a *app) preserveCommand() *cobra.Command {
	var f intakeFlags
	cmd := &cobra.Command{
		Use:   "preserve FILE... --key K --order-ref REF --out NAME [flags]",
		Short: "commit the digests of preserved data without handing it over (writes NAME.custody.json)",
		Args:  minArgs(1, "at least one FILE to preserve"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.detail.ref == "" {
				return usageErr("--order-ref is required: a preservation answers an order", "pass the order's reference, e.g. --order-ref 'PR-2026-7'")
			}
			if err := f.validate(false, len(args)); err != nil {
				return err
			}
			return a.preserve(cmd.Context(), args, &f)
		},
	}
	f.detail.defaultKind = custody.Preservation
	f.register(cmd, false)
	cmd.Flags().StringVar(&f.detail.ref, "order-ref", "", "reference of the preservation order (required)")
	return cmd
}

func (a *app) preserve(ctx context.Context, files []string, f *intakeFlags) error {
	bundlePath := f.out + custody.BundleSuffix
	if err := refuseExisting(bundlePath); err != nil {
		return err
	}
	es, closeAll, err := a.evidenceList(files, make([]string, len(files)), nil, nil)
	defer closeAll()
	if err != nil {
		return err
	}
	if len(files) == 1 && f.description != "" {
		es[0].Description = f.description
	}
	s, err := a.open(ctx, &f.sign)
	if err != nil {
		return err
	}
	defer s.close()
	b, err := s.custodian.Preserve(ctx, es, f.algs, f.detail.details())
	if err != nil {
		return failErr(err)
	}
	if err := writeOutputs(b, bundlePath, &pendingOutputs{}); err != nil {
		return err
	}
	return a.printEvents(b, len(files), bundlePath)
}
