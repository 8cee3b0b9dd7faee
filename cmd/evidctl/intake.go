package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/custody"
)

// Evidence entering custody: acquire (a lab's image or file), disclose (a provider's
// answer to an order) and preserve (a provider's commitment to digests).

// intakeFlags are the flags of acquire, disclose and preserve.
type intakeFlags struct {
	sign        signFlags
	detail      detailFlags
	recipients  []string
	out         string
	description string
	hashes      string
	algs        []digest.Algorithm // parsed from hashes

	sealed    bool   // the evidence is sealed (acquire, disclose), not only hashed (preserve)
	order     string // disclose, preserve: what answers the order --order-ref names
	orderHelp string // the --order-ref usage
	orderEg   string // an example reference
	preserved string // disclose: the bundle of an earlier preservation
}

func (f *intakeFlags) register(cmd *cobra.Command) {
	f.sign.register(cmd)
	f.detail.registerCase(cmd)
	f.detail.registerLegal(cmd)
	if f.sealed {
		cmd.Flags().StringArrayVar(&f.recipients, "recipient", nil, "age recipient (age1…, ssh-…) or recipients file; repeatable")
	}
	cmd.Flags().StringVar(&f.out, "out", "", "name of the outputs (NAME.custody.json, NAME.age)")
	cmd.Flags().StringVar(&f.description, "description", "", "description of the evidence (default: the file's base name)")
	cmd.Flags().StringVar(&f.hashes, "hash", "", "extra digests besides sha256: sha512,sha1,md5")
	if f.order != "" {
		cmd.Flags().StringVar(&f.detail.ref, "order-ref", "", f.orderHelp)
	}
	if f.sealed && f.order != "" {
		cmd.Flags().StringVar(&f.preserved, "preserved", "", "bundle of an earlier preservation of the same data")
	}
}

func (f *intakeFlags) validate(files []string) error {
	if f.order != "" && f.detail.ref == "" {
		return usageErr("--order-ref is required: "+f.order+" answers an order", "pass the order's reference, e.g. --order-ref '"+f.orderEg+"'")
	}
	if err := f.sign.validate(); err != nil {
		return err
	}
	if err := f.detail.validate(); err != nil {
		return err
	}
	if f.sealed && len(f.recipients) == 0 {
		return usageErr("--recipient is required: sealed evidence must be readable by someone",
			"give an age recipient (age1…) or a recipients file, e.g. the PREFIX.recipient.txt keygen --age wrote")
	}
	if err := checkTexts("description", f.description); err != nil {
		return err
	}
	if f.description != "" && len(files) > 1 {
		return usageErr("--description applies to one file; with several, each is described by its base name")
	}
	if f.hashes != "" {
		algs, err := digest.ParseAlgorithms(f.hashes)
		if err != nil {
			return usageErr(fmt.Sprintf("--hash %s: %v", f.hashes, err), "extra digests: sha512, sha1, md5")
		}
		f.algs = algs
	}
	return requireOut(f.out, "NAME.custody.json")
}

func describeFile(path, description string) (string, string) {
	if description == "" {
		description = filepath.Base(path)
	}
	mt := mime.TypeByExtension(filepath.Ext(path))
	if mt == "" {
		mt = "application/octet-stream"
	}
	return description, mt
}

func (a *app) acquireCommand() *cobra.Command {
	f := &intakeFlags{sealed: true}
	return command(&cobra.Command{
		Use:   "acquire FILE --key K --recipient R --out NAME [flags]",
		Short: "take evidence into custody: hash, seal and log it (writes NAME.custody.json and NAME.age)",
		Args:  exactArgs(1, "one FILE to acquire"),
	}, f, func(ctx context.Context, args []string) error {
		return a.acquire(ctx, args[0], f)
	})
}

// acquire seals the evidence while the signing key is opened, then logs the event:
//
//  1. the key's password is read first (it may prompt on the terminal);
//  2. the key is decrypted (scrypt) and the ledger opened on another goroutine while
//     the evidence is sealed and hashed in one pass; a failure on either side stops
//     the other;
//  3. the sealed payload is made durable under its name (NAME.age) before the event
//     is signed and logged, so a crash after the log append never leaves a logged
//     event without its payload; if logging fails it is removed again;
//  4. the bundle is written last.
func (a *app) acquire(ctx context.Context, file string, f *intakeFlags) error {
	recipients, out, err := sealedOutputs(f.recipients, f.out+custody.BundleSuffix, false, f.out+custody.PayloadSuffix)
	if err != nil {
		return err
	}
	defer out.abort()
	src, err := a.openSource("evidence file", file)
	if err != nil {
		return err
	}
	defer src.Close()
	key, err := a.prepareKey(&f.sign)
	if err != nil {
		return err
	}
	sealed, err := out.payload()
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	pending := a.openSessionLater(sctx, &f.sign, key, stop)
	desc, mt := describeFile(file, f.description)
	se, sealErr := custody.SealEvidence(sctx, custody.Evidence{Description: desc, MediaType: mt, Source: src, Sealed: sealed},
		custody.Sealing{Recipients: recipients, Digests: f.algs})
	if sealErr != nil {
		stop()
	}
	s, openErr := pending.wait()
	if s != nil {
		defer s.close()
	}
	switch {
	case openErr != nil && (sealErr == nil || !errors.Is(openErr, context.Canceled)):
		return openErr // it stopped the sealing
	case sealErr != nil:
		return failErr(sealErr)
	}
	if err := out.commitPayloads(); err != nil {
		return err
	}
	b, err := s.custodian.AcquireSealed(ctx, se, f.detail.details())
	if err != nil {
		out.removePayloads()
		return failErr(err)
	}
	return a.write(out, b, 1)
}

func (a *app) discloseCommand() *cobra.Command {
	f := &intakeFlags{sealed: true, order: "a disclosure", orderEg: "PO-2026-118", orderHelp: "reference of the order answered (required)",
		detail: detailFlags{defaultKind: custody.Production}}
	return command(&cobra.Command{
		Use:   "disclose FILE... --key K --recipient R --order-ref REF --out NAME [--preserved P.custody.json] [flags]",
		Short: "answer an order: each file becomes a sealed item (NAME.age, or NAME.1.age, NAME.2.age …)",
		Long: `disclose records a service provider's answer to an order. Each file is its own item,
sealed to the recipients: one file is written to NAME.age, several to NAME.1.age,
NAME.2.age … in argument order. The legal kind defaults to production.

With --preserved, each file continues the preserved item of the same description (its
base name), and is refused unless it still matches the preserved digests; the new
bundle holds the preservation and the disclosure.`,
		Args: minArgs(1, "at least one FILE to disclose"),
	}, f, func(ctx context.Context, args []string) error {
		return a.disclose(ctx, args, f)
	})
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

func (a *app) disclose(ctx context.Context, files []string, f *intakeFlags) error {
	recipients, out, err := sealedOutputs(f.recipients, f.out+custody.BundleSuffix, false, payloadPaths(f.out, len(files))...)
	if err != nil {
		return err
	}
	defer out.abort()
	var prev *custody.Bundle
	ids := make([]string, len(files))
	if f.preserved != "" {
		if prev, err = readBundle(f.preserved); err != nil {
			return err
		}
		if ids, err = matchPreserved(prev, files); err != nil {
			return err
		}
	}
	es, closeAll, err := a.evidenceList(files, ids, out)
	defer closeAll()
	if err != nil {
		return err
	}
	s, err := a.open(ctx, &f.sign, prev)
	if err != nil {
		return err
	}
	defer s.close()
	b, err := s.custodian.Disclose(ctx, prev, es, custody.Sealing{Recipients: recipients, Digests: f.algs}, f.detail.details())
	if err != nil {
		return failErr(err)
	}
	return a.write(out, b, len(files))
}

// evidenceList checks every file and makes its evidence, opened only while it is read
// (lazySource); when the outputs have payloads, each file is sealed to the next.
// closeAll closes the sources still open.
func (a *app) evidenceList(files, ids []string, out *outputs) ([]custody.Evidence, func(), error) {
	srcs := make([]*lazySource, len(files))
	closeAll := func() {
		for _, s := range srcs {
			if s != nil {
				_ = s.Close()
			}
		}
	}
	if err := checkSources("evidence file", files); err != nil {
		return nil, closeAll, err
	}
	var ws []io.Writer
	if len(out.payloads) > 0 {
		ws = out.lazyPayloads()
	}
	es := make([]custody.Evidence, len(files))
	for i, file := range files {
		srcs[i] = &lazySource{a: a, what: "evidence file", path: file}
		desc, mt := describeFile(file, "")
		es[i] = custody.Evidence{ItemID: ids[i], Description: desc, MediaType: mt, Source: srcs[i]}
		if ws != nil {
			es[i].Sealed = ws[i]
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
	f := &intakeFlags{order: "a preservation", orderEg: "PR-2026-7", orderHelp: "reference of the preservation order (required)",
		detail: detailFlags{defaultKind: custody.Preservation}}
	return command(&cobra.Command{
		Use:   "preserve FILE... --key K --order-ref REF --out NAME [flags]",
		Short: "commit the digests of preserved data without handing it over (writes NAME.custody.json)",
		Args:  minArgs(1, "at least one FILE to preserve"),
	}, f, func(ctx context.Context, args []string) error {
		return a.preserve(ctx, args, f)
	})
}

func (a *app) preserve(ctx context.Context, files []string, f *intakeFlags) error {
	out, err := newOutputs(f.out+custody.BundleSuffix, false)
	if err != nil {
		return err
	}
	es, closeAll, err := a.evidenceList(files, make([]string, len(files)), out)
	defer closeAll()
	if err != nil {
		return err
	}
	if len(files) == 1 && f.description != "" {
		es[0].Description = f.description
	}
	s, err := a.open(ctx, &f.sign, nil)
	if err != nil {
		return err
	}
	defer s.close()
	b, err := s.custodian.Preserve(ctx, es, f.algs, f.detail.details())
	if err != nil {
		return failErr(err)
	}
	return a.write(out, b, len(files))
}
