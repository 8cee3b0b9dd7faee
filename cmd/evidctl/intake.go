package main

import (
	"context"
	"fmt"
	"mime"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/custody"
)

// intakeFlags are shared by acquire, disclose and preserve: evidence entering custody.
type intakeFlags struct {
	sign        signFlags
	detail      detailFlags
	recipients  []string
	out         string
	description string
	hashes      string
	algs        []digest.Algorithm
}

func (f *intakeFlags) register(cmd *cobra.Command, sealed bool) {
	f.sign.register(cmd)
	f.detail.registerCase(cmd)
	f.detail.registerLegal(cmd)
	if sealed {
		cmd.Flags().StringArrayVar(&f.recipients, "recipient", nil, "age recipient (age1…, ssh-…) or recipients file; repeatable")
	}
	cmd.Flags().StringVar(&f.out, "out", "", "name of the outputs (NAME.custody.json, NAME.age)")
	cmd.Flags().StringVar(&f.description, "description", "", "description of the evidence (default: the file's base name)")
	cmd.Flags().StringVar(&f.hashes, "hash", "", "extra digests besides sha256: sha512,sha1,md5")
}

func (f *intakeFlags) validate(sealed bool, files int) error {
	if err := f.sign.validate(); err != nil {
		return err
	}
	if err := f.detail.validate(); err != nil {
		return err
	}
	if sealed && len(f.recipients) == 0 {
		return usageErr("--recipient is required: sealed evidence must be readable by someone",
			"give an age recipient (age1…) or a recipients file, e.g. the PREFIX.recipient.txt keygen --age wrote")
	}
	if f.description != "" && files > 1 {
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
	var f intakeFlags
	cmd := &cobra.Command{
		Use:   "acquire FILE --key K --recipient R --out NAME [flags]",
		Short: "take evidence into custody: hash, seal and log it (writes NAME.custody.json and NAME.age)",
		Args:  exactArgs(1, "one FILE to acquire"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.validate(true, 1); err != nil {
				return err
			}
			return a.acquire(cmd.Context(), args[0], &f)
		},
	}
	f.register(cmd, true)
	return cmd
}

func (a *app) acquire(ctx context.Context, file string, f *intakeFlags) error {
	recipients, err := expandRecipients(f.recipients)
	if err != nil {
		return err
	}
	bundlePath, payloadPath := f.out+custody.BundleSuffix, f.out+custody.PayloadSuffix
	if err := refuseExisting(bundlePath, payloadPath); err != nil {
		return err
	}
	src, err := a.openSource("evidence file", file)
	if err != nil {
		return err
	}
	defer src.Close()
	s, err := a.open(ctx, &f.sign)
	if err != nil {
		return err
	}
	defer s.close()
	var out pendingOutputs
	defer out.abort()
	sealed, err := out.create(payloadPath)
	if err != nil {
		return err
	}
	desc, mt := describeFile(file, f.description)
	b, err := s.custodian.Acquire(ctx, custody.Evidence{Description: desc, MediaType: mt, Source: src, Sealed: sealed},
		custody.Sealing{Recipients: recipients, Digests: f.algs}, f.detail.details())
	if err != nil {
		return failErr(err)
	}
	if err := writeOutputs(b, bundlePath, &out); err != nil {
		return err
	}
	return a.printEvents(b, 1, bundlePath, payloadPath)
}

// writeOutputs writes a new bundle, then renames the pending payloads into place.
func writeOutputs(b *custody.Bundle, bundlePath string, out *pendingOutputs) error {
	if err := refuseExisting(bundlePath); err != nil {
		return err
	}
	if err := b.WriteFile(bundlePath); err != nil {
		return failErr(err)
	}
	if err := out.commit(); err != nil {
		_ = os.Remove(bundlePath)
		return err
	}
	return nil
}

// printEvents reports the last n events of b and the files written.
func (a *app) printEvents(b *custody.Bundle, n int, files ...string) error {
	for _, r := range b.Events[len(b.Events)-n:] {
		st, err := r.Statement()
		if err != nil {
			return failErr(err)
		}
		ev := &st.Predicate
		fmt.Fprintf(a.stdout, "%s: item %s (%s) sha256:%s\n", ev.Type, ev.Item.ID, ev.Item.Description, ev.Item.Digest.SHA256().Hex())
		if ev.Counterparty != nil {
			fmt.Fprintf(a.stdout, "  counterparty: %s\n", ev.Counterparty.Party)
		}
		fmt.Fprintf(a.stdout, "  event %s logged\n", r.CommitmentString())
	}
	for _, p := range files {
		fmt.Fprintf(a.stdout, "wrote %s\n", p)
	}
	return nil
}
