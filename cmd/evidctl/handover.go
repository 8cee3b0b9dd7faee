package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
)

// Hand-overs between custodians: transfer to a named recipient, receive, and reseal
// the payload to new recipients (for another state).

type transferFlags struct {
	sign   signFlags
	detail detailFlags
	to     string
	toWho  actorFlags
	items  []string
	trust  string
}

func (f *transferFlags) register(cmd *cobra.Command) {
	f.sign.register(cmd)
	f.detail.registerLegal(cmd)
	f.detail.registerPurpose(cmd, true)
	f.detail.registerCase(cmd)
	cmd.Flags().StringVar(&f.to, "to", "", "the recipient's signing public key (PEM)")
	cmd.Flags().StringVar(&f.toWho.name, "to-name", "", "the recipient's name")
	cmd.Flags().StringVar(&f.toWho.org, "to-org", "", "the recipient's organisation")
	cmd.Flags().StringVar(&f.toWho.role, "to-role", "", "the recipient's role")
	cmd.Flags().StringVar(&f.toWho.jurisdiction, "to-jurisdiction", "", "the recipient's jurisdiction (ISO 3166-1 alpha-2)")
	cmd.Flags().StringArrayVar(&f.items, "item", nil, "item id to transfer; repeatable (default: every item you hold)")
	cmd.Flags().StringVar(&f.trust, "trust", "", "trust policy: warn when it trusts the recipient's key for someone else than --to-name and the others say")
}

func (f *transferFlags) validate([]string) error {
	if err := f.sign.validate(); err != nil {
		return err
	}
	if f.to == "" {
		return usageErr("--to RECIPIENT.pub is required (the recipient's signing public key)")
	}
	if err := f.detail.requirePurpose("say why the evidence is handed over"); err != nil {
		return err
	}
	j, err := checkJurisdiction("to-jurisdiction", f.toWho.jurisdiction)
	f.toWho.jurisdiction = j
	if err != nil {
		return err
	}
	if err := f.toWho.checkText("to-"); err != nil {
		return err
	}
	return f.detail.validate()
}

func (a *app) transferCommand() *cobra.Command {
	f := &transferFlags{}
	return command(&cobra.Command{
		Use:   "transfer NAME.custody.json --key K --to RECIPIENT.pub --to-name NAME --purpose TEXT [flags]",
		Short: "hand items to a named recipient (default: every item you hold)",
		Long: `transfer hands items to a recipient named by the public key it signs with
(RECIPIENT.pub); if it has a sibling .id.json profile, its fields are the defaults of
--to-name, --to-org, --to-role and --to-jurisdiction. Until the recipient's receive,
nobody else may act on the items.`,
		Args: exactArgs(1, "the bundle NAME.custody.json"),
	}, f, func(ctx context.Context, args []string) error {
		return a.transfer(ctx, args[0], f)
	})
}

func (a *app) transfer(ctx context.Context, path string, f *transferFlags) error {
	pub, err := readKeyFile("recipient public key", f.to)
	if err != nil {
		return err
	}
	if err := checkPublicKey("--to", f.to, pub); err != nil {
		return err
	}
	v, err := sign.LoadVerifier(pub)
	if err != nil {
		return failErr(fmt.Errorf("--to %s: %w", f.to, err), "give the recipient's PREFIX.pub (its signing public key)")
	}
	who, err := f.toWho.party(f.to)
	if err != nil {
		return usageErr("--to-name is required (no profile beside "+f.to+" names the recipient)", "pass --to-name, --to-org, --to-jurisdiction")
	}
	to := custody.Actor{Party: who, KeyID: v.KeyID()}
	if err := a.warnRecipient(f, to); err != nil {
		return err
	}
	return a.update(ctx, path, &f.sign, nil, func(s *session, b *custody.Bundle) error {
		me := s.custodian.Actor().KeyID
		ids, err := pick(b, f.items, func(it custody.ItemStatus) bool {
			return it.Custodian.KeyID == me && it.InTransitTo == nil && it.Closed == ""
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := s.custodian.Transfer(ctx, b, id, to, f.detail.details()); err != nil {
				return opErr(err)
			}
		}
		return nil
	})
}

type receiveFlags struct {
	sign    signFlags
	detail  detailFlags
	items   []string
	payload string
}

func (f *receiveFlags) register(cmd *cobra.Command) {
	f.sign.register(cmd)
	f.detail.registerCase(cmd)
	f.detail.registerPurpose(cmd, false)
	cmd.Flags().StringArrayVar(&f.items, "item", nil, "item id to receive; repeatable (default: every item in transit to you)")
	cmd.Flags().StringVar(&f.payload, "payload", "", "the sealed payload received; checked against the chain before accepting")
}

func (f *receiveFlags) validate([]string) error {
	if err := f.sign.validate(); err != nil {
		return err
	}
	if err := f.detail.validate(); err != nil {
		return err
	}
	if f.payload != "" && len(f.items) > 1 {
		return usageErr("--payload checks one item's payload; name at most one --item")
	}
	return nil
}

func (a *app) receiveCommand() *cobra.Command {
	f := &receiveFlags{}
	return command(&cobra.Command{
		Use:   "receive NAME.custody.json --key K [--payload NAME.age] [--item ID]",
		Short: "accept the open transfer of items to you (default: every item in transit to you)",
		Args:  exactArgs(1, "the bundle NAME.custody.json"),
	}, f, func(ctx context.Context, args []string) error {
		return a.receive(ctx, args[0], f)
	})
}

func (a *app) receive(ctx context.Context, path string, f *receiveFlags) error {
	payload := f.payload
	if payload != "" {
		if _, err := os.Stat(payload); err != nil {
			return fileErr("payload", payload, err)
		}
	}
	return a.update(ctx, path, &f.sign, nil, func(s *session, b *custody.Bundle) error {
		me := s.custodian.Actor().KeyID
		ids, err := pick(b, f.items, func(it custody.ItemStatus) bool { return it.InTransitTo != nil && it.InTransitTo.KeyID == me })
		if err != nil {
			return err
		}
		if payload != "" && len(ids) > 1 {
			return usageErr(fmt.Sprintf("%d items are in transit to you, and --payload checks one", len(ids)), "name the item with --item")
		}
		if payload == "" && len(ids) == 1 {
			// The payload that travels beside the bundle is checked on arrival by default.
			if beside := strings.TrimSuffix(path, custody.BundleSuffix) + custody.PayloadSuffix; beside != path {
				if _, err := os.Stat(beside); err == nil {
					payload = beside
					fmt.Fprintf(a.stderr, "checking payload %s (found beside the bundle)\n", beside)
				}
			}
		}
		for _, id := range ids {
			if err := a.receiveOne(ctx, s, b, id, payload, f.detail.details()); err != nil {
				return err
			}
		}
		return nil
	})
}

func (a *app) receiveOne(ctx context.Context, s *session, b *custody.Bundle, id, payload string, d custody.Details) error {
	if payload == "" {
		_, err := s.custodian.Receive(ctx, b, id, nil, d)
		return opErr(err)
	}
	src, err := a.openSource("payload", payload)
	if err != nil {
		return err
	}
	defer src.Close()
	_, err = s.custodian.Receive(ctx, b, id, src, d)
	return opErr(err)
}

type resealFlags struct {
	sign                    signFlags
	detail                  detailFlags
	payload, identity, item string
	out                     string
	recipients              []string
}

func (f *resealFlags) register(cmd *cobra.Command) {
	f.sign.register(cmd)
	f.detail.registerLegal(cmd)
	f.detail.registerPurpose(cmd, false)
	cmd.Flags().StringVar(&f.payload, "payload", "", "the current sealed payload (NAME.age)")
	cmd.Flags().StringVar(&f.identity, "identity", "", "your age identity file, to open the payload")
	cmd.Flags().StringArrayVar(&f.recipients, "recipient", nil, "new age recipient or recipients file; repeatable")
	cmd.Flags().StringVar(&f.out, "out", "", "name of the outputs (NAME2.custody.json, NAME2.age)")
	registerItem(cmd, &f.item)
}

func (f *resealFlags) validate([]string) error {
	if err := f.sign.validate(); err != nil {
		return err
	}
	switch {
	case f.payload == "":
		return usageErr("--payload NAME.age is required")
	case f.identity == "":
		return usageErr("--identity is required: your age identity opens the payload")
	case len(f.recipients) == 0:
		return usageErr("--recipient is required: to whom is the payload resealed?")
	}
	if err := f.detail.validate(); err != nil {
		return err
	}
	return requireOut(f.out, "NAME2.custody.json and NAME2.age")
}

func (a *app) resealCommand() *cobra.Command {
	f := &resealFlags{}
	return command(&cobra.Command{
		Use:   "reseal NAME.custody.json --key K --payload NAME.age --identity ID --recipient R ... --out NAME2 [--item ID]",
		Short: "re-encrypt an item's payload to new recipients (writes NAME2.custody.json and NAME2.age)",
		Long: `reseal decrypts the payload with your identity, checks it against the chain, and seals
it again to the new recipients in one streaming pass; the plaintext never touches a
file. The input bundle and payload are left untouched.`,
		Args: exactArgs(1, "the bundle NAME.custody.json"),
	}, f, func(ctx context.Context, args []string) error {
		return a.reseal(ctx, args[0], f)
	})
}

func (a *app) reseal(ctx context.Context, path string, f *resealFlags) error {
	recipients, out, err := sealedOutputs(f.recipients, f.out+custody.BundleSuffix, false, f.out+custody.PayloadSuffix)
	if err != nil {
		return err
	}
	defer out.abort()
	in, err := a.openSealed(path, f.payload, f.identity)
	if err != nil {
		return err
	}
	defer in.payload.Close()
	s, err := a.open(ctx, &f.sign, in.bundle)
	if err != nil {
		return err
	}
	defer s.close()
	w, err := out.payload()
	if err != nil {
		return err
	}
	if _, err := s.custodian.Reseal(ctx, in.bundle, f.item, in.payload, in.ids, w, custody.Sealing{Recipients: recipients}, f.detail.details()); err != nil {
		return opErr(err)
	}
	return a.write(out, in.bundle, 1)
}
