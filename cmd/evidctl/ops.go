package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
)

func readBundle(path string) (*custody.Bundle, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, failErr(fmt.Errorf("bundle %s does not exist", path), "check the file name (NAME.custody.json)")
		}
		return nil, failErr(err)
	}
	b, err := custody.ReadBundle(path)
	if err != nil {
		return nil, failErr(err, "this is not a readable custody bundle; if it was altered, 'evidctl verify' cannot help either")
	}
	return b, nil
}

// update runs op on the bundle at path with an open session and, when op succeeds,
// rewrites the bundle atomically in place and reports the events added. On failure
// the bundle is left as it was.
func (a *app) update(ctx context.Context, path string, sf *signFlags, op func(*session, *custody.Bundle) error) error {
	if unlock, err := lockBundle(path); err == nil {
		defer unlock()
	} // a bundle that cannot be opened is reported by readBundle
	b, err := readBundle(path)
	if err != nil {
		return err
	}
	before := len(b.Events)
	s, err := a.open(ctx, sf)
	if err != nil {
		return err
	}
	defer s.close()
	if err := op(s, b); err != nil {
		return err
	}
	if err := b.WriteFile(path); err != nil {
		return failErr(err)
	}
	return a.printEvents(b, len(b.Events)-before, path)
}

// opErr classifies an error of a custody operation: refusals and everything else
// are exit 2; the message names the rule.
func opErr(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return failErr(err)
}

// pick chooses the items an operation applies to: those named, else those for which
// want is true, else (so that the library names the rule broken) every open item.
func pick(b *custody.Bundle, named []string, want func(custody.ItemStatus) bool) ([]string, error) {
	if len(named) > 0 {
		return named, nil
	}
	items, err := b.Status()
	if err != nil {
		return nil, failErr(err)
	}
	var ids, open []string
	for _, it := range items {
		if want(it) {
			ids = append(ids, it.ID)
		}
		if it.Closed == "" {
			open = append(open, it.ID)
		}
	}
	if len(ids) > 0 {
		return ids, nil
	}
	if len(open) > 0 {
		return open[:1], nil
	}
	return []string{items[0].ID}, nil
}

type transferFlags struct {
	sign      signFlags
	detail    detailFlags
	to        string
	toWho     actorFlags
	items     []string
	recipient custody.Actor
}

func (a *app) transferCommand() *cobra.Command {
	var f transferFlags
	cmd := &cobra.Command{
		Use:   "transfer NAME.custody.json --key K --to RECIPIENT.pub --to-name NAME --purpose TEXT [flags]",
		Short: "hand items to a named recipient (default: every item you hold)",
		Long: `transfer hands items to a recipient named by the public key it signs with
(RECIPIENT.pub); if it has a sibling .id.json profile, its fields are the defaults of
--to-name, --to-org, --to-role and --to-jurisdiction. Until the recipient's receive,
nobody else may act on the items.`,
		Args: exactArgs(1, "the bundle NAME.custody.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			return a.transfer(cmd.Context(), args[0], &f)
		},
	}
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
	return cmd
}

func (f *transferFlags) validate() error {
	if err := f.sign.validate(); err != nil {
		return err
	}
	if f.to == "" {
		return usageErr("--to RECIPIENT.pub is required (the recipient's signing public key)")
	}
	if f.detail.purpose == "" {
		return usageErr("--purpose is required: say why the evidence is handed over")
	}
	j, err := checkJurisdiction("to-jurisdiction", f.toWho.jurisdiction)
	f.toWho.jurisdiction = j
	if err != nil {
		return err
	}
	return f.detail.validate()
}

func (a *app) transfer(ctx context.Context, path string, f *transferFlags) error {
	pub, err := os.ReadFile(f.to)
	if err != nil {
		return fileErr("recipient public key", f.to, err)
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
	return a.update(ctx, path, &f.sign, func(s *session, b *custody.Bundle) error {
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

func (a *app) receiveCommand() *cobra.Command {
	var sf signFlags
	var df detailFlags
	var items []string
	var payload string
	cmd := &cobra.Command{
		Use:   "receive NAME.custody.json --key K [--payload NAME.age] [--item ID]",
		Short: "accept the open transfer of items to you (default: every item in transit to you)",
		Args:  exactArgs(1, "the bundle NAME.custody.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := sf.validate(); err != nil {
				return err
			}
			if err := df.validate(); err != nil {
				return err
			}
			if payload != "" && len(items) > 1 {
				return usageErr("--payload checks one item's payload; name at most one --item")
			}
			return a.receive(cmd.Context(), args[0], &sf, df.details(), items, payload)
		},
	}
	sf.register(cmd)
	df.registerCase(cmd)
	df.registerPurpose(cmd, false)
	cmd.Flags().StringArrayVar(&items, "item", nil, "item id to receive; repeatable (default: every item in transit to you)")
	cmd.Flags().StringVar(&payload, "payload", "", "the sealed payload received; checked against the chain before accepting")
	return cmd
}

func (a *app) receive(ctx context.Context, path string, sf *signFlags, d custody.Details, items []string, payload string) error {
	if payload != "" {
		if _, err := os.Stat(payload); err != nil {
			return fileErr("payload", payload, err)
		}
	}
	return a.update(ctx, path, sf, func(s *session, b *custody.Bundle) error {
		me := s.custodian.Actor().KeyID
		ids, err := pick(b, items, func(it custody.ItemStatus) bool { return it.InTransitTo != nil && it.InTransitTo.KeyID == me })
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
			if err := a.receiveOne(ctx, s, b, id, payload, d); err != nil {
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
	if _, err := s.custodian.Receive(ctx, b, id, src, d); err != nil {
		return opErr(err)
	}
	return nil
}
