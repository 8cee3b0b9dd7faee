package main

import (
	"context"
	"fmt"
	"os"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/crypto/seal"
	"github.com/evidctl/evidctl/custody"
)

// readIdentities reads an age identity file.
func readIdentities(path string) ([]age.Identity, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fileErr("identity file", path, err)
	}
	ids, err := seal.ReadIdentities(path)
	if err != nil {
		return nil, failErr(err, "give an age identity file, such as the PREFIX.age.txt keygen --age wrote")
	}
	return ids, nil
}

type resealFlags struct {
	sign                    signFlags
	detail                  detailFlags
	payload, identity, item string
	out                     string
	recipients              []string
}

func (a *app) resealCommand() *cobra.Command {
	var f resealFlags
	cmd := &cobra.Command{
		Use:   "reseal NAME.custody.json --key K --payload NAME.age --identity ID --recipient R ... --out NAME2 [--item ID]",
		Short: "re-encrypt an item's payload to new recipients (writes NAME2.custody.json and NAME2.age)",
		Long: `reseal decrypts the payload with your identity, checks it against the chain, and seals
it again to the new recipients in one streaming pass; the plaintext never touches a
file. The input bundle and payload are left untouched.`,
		Args: exactArgs(1, "the bundle NAME.custody.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			return a.reseal(cmd.Context(), args[0], &f)
		},
	}
	f.sign.register(cmd)
	f.detail.registerLegal(cmd)
	f.detail.registerPurpose(cmd, false)
	cmd.Flags().StringVar(&f.payload, "payload", "", "the current sealed payload (NAME.age)")
	cmd.Flags().StringVar(&f.identity, "identity", "", "your age identity file, to open the payload")
	cmd.Flags().StringArrayVar(&f.recipients, "recipient", nil, "new age recipient or recipients file; repeatable")
	cmd.Flags().StringVar(&f.out, "out", "", "name of the outputs (NAME2.custody.json, NAME2.age)")
	cmd.Flags().StringVar(&f.item, "item", "", "item id (default: the bundle's only item)")
	return cmd
}

func (f *resealFlags) validate() error {
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

func (a *app) reseal(ctx context.Context, path string, f *resealFlags) error {
	recipients, err := expandRecipients(f.recipients)
	if err != nil {
		return err
	}
	bundlePath, payloadPath := f.out+custody.BundleSuffix, f.out+custody.PayloadSuffix
	if err := refuseExisting(bundlePath, payloadPath); err != nil {
		return err
	}
	ids, err := readIdentities(f.identity)
	if err != nil {
		return err
	}
	b, err := readBundle(path)
	if err != nil {
		return err
	}
	src, err := a.openSource("payload", f.payload)
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
	w, err := out.create(payloadPath)
	if err != nil {
		return err
	}
	if _, err := s.custodian.Reseal(ctx, b, f.item, src, ids, w, custody.Sealing{Recipients: recipients}, f.detail.details()); err != nil {
		return opErr(err)
	}
	if err := writeOutputs(b, bundlePath, &out); err != nil {
		return err
	}
	return a.printEvents(b, 1, bundlePath, payloadPath)
}

func (a *app) accessCommand() *cobra.Command {
	var sf signFlags
	var df detailFlags
	var item string
	cmd := &cobra.Command{
		Use:   "access NAME.custody.json --key K --purpose TEXT [--tool NAME --tool-version V] [--item ID]",
		Short: "record that you examined an item you hold",
		Args:  exactArgs(1, "the bundle NAME.custody.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := sf.validate(); err != nil {
				return err
			}
			if df.purpose == "" {
				return usageErr("--purpose is required: say why the evidence is examined")
			}
			if err := df.validate(); err != nil {
				return err
			}
			return a.update(cmd.Context(), args[0], &sf, func(s *session, b *custody.Bundle) error {
				_, err := s.custodian.Access(cmd.Context(), b, item, df.details())
				return opErr(err)
			})
		},
	}
	sf.register(cmd)
	df.registerPurpose(cmd, true)
	df.registerTool(cmd)
	df.registerLegal(cmd)
	df.registerCase(cmd)
	cmd.Flags().StringVar(&item, "item", "", "item id (default: the bundle's only item)")
	return cmd
}

// closeCommand makes return and dispose, which end custody.
func (a *app) closeCommand(name string) *cobra.Command {
	var sf signFlags
	var df detailFlags
	var item string
	short := map[string]string{"return": "record that an item went back to its owner; custody ends",
		"dispose": "record that an item was destroyed; custody ends"}[name]
	cmd := &cobra.Command{
		Use:   name + " NAME.custody.json --key K [--purpose TEXT] [--item ID]",
		Short: short,
		Args:  exactArgs(1, "the bundle NAME.custody.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := sf.validate(); err != nil {
				return err
			}
			if err := df.validate(); err != nil {
				return err
			}
			return a.update(cmd.Context(), args[0], &sf, func(s *session, b *custody.Bundle) error {
				var err error
				if name == "return" {
					_, err = s.custodian.Return(cmd.Context(), b, item, nil, df.details())
				} else {
					_, err = s.custodian.Dispose(cmd.Context(), b, item, df.details())
				}
				return opErr(err)
			})
		},
	}
	sf.register(cmd)
	df.registerPurpose(cmd, false)
	df.registerLegal(cmd)
	cmd.Flags().StringVar(&item, "item", "", "item id (default: the bundle's only item)")
	return cmd
}

func (a *app) noteCommand() *cobra.Command {
	var sf signFlags
	var text, item string
	cmd := &cobra.Command{
		Use:   "note NAME.custody.json --key K --text TEXT [--item ID]",
		Short: "add an annotation to an item's chain (any trusted party may)",
		Args:  exactArgs(1, "the bundle NAME.custody.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := sf.validate(); err != nil {
				return err
			}
			if text == "" {
				return usageErr("--text is required")
			}
			return a.update(cmd.Context(), args[0], &sf, func(s *session, b *custody.Bundle) error {
				_, err := s.custodian.Note(cmd.Context(), b, item, text, custody.Details{})
				return opErr(err)
			})
		},
	}
	sf.register(cmd)
	cmd.Flags().StringVar(&text, "text", "", "the note")
	cmd.Flags().StringVar(&item, "item", "", "item id (default: the bundle's only item)")
	return cmd
}

type deriveFlags struct {
	sign        signFlags
	detail      detailFlags
	recipients  []string
	parents     []string
	out         string
	description string
}

func (a *app) deriveCommand() *cobra.Command {
	var f deriveFlags
	cmd := &cobra.Command{
		Use:   "derive NAME.custody.json FILE --key K --recipient R --purpose TEXT --out DNAME [--parent ID ...] [--description TEXT]",
		Short: "add an item made from others (extraction, translation, report): writes DNAME.age, updates the bundle",
		Args:  exactArgs(2, "the bundle NAME.custody.json and the derived FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			return a.derive(cmd.Context(), args[0], args[1], &f)
		},
	}
	f.sign.register(cmd)
	f.detail.registerPurpose(cmd, true)
	f.detail.registerTool(cmd)
	f.detail.registerLegal(cmd)
	cmd.Flags().StringArrayVar(&f.recipients, "recipient", nil, "age recipient or recipients file; repeatable")
	cmd.Flags().StringArrayVar(&f.parents, "parent", nil, "id of an item it was made from; repeatable (default: the bundle's only item)")
	cmd.Flags().StringVar(&f.out, "out", "", "name of the derived payload (DNAME.age)")
	cmd.Flags().StringVar(&f.description, "description", "", "description (default: the file's base name)")
	return cmd
}

func (f *deriveFlags) validate() error {
	if err := f.sign.validate(); err != nil {
		return err
	}
	switch {
	case len(f.recipients) == 0:
		return usageErr("--recipient is required: sealed evidence must be readable by someone")
	case f.detail.purpose == "":
		return usageErr("--purpose is required: say how and why the item was derived")
	}
	if err := f.detail.validate(); err != nil {
		return err
	}
	return requireOut(f.out, "DNAME.age")
}

func (a *app) derive(ctx context.Context, path, file string, f *deriveFlags) error {
	recipients, err := expandRecipients(f.recipients)
	if err != nil {
		return err
	}
	payloadPath := f.out + custody.PayloadSuffix
	if err := refuseExisting(payloadPath); err != nil {
		return err
	}
	src, err := a.openSource("derived file", file)
	if err != nil {
		return err
	}
	defer src.Close()
	var out pendingOutputs
	defer out.abort()
	w, err := out.create(payloadPath)
	if err != nil {
		return err
	}
	desc, mt := describeFile(file, f.description)
	err = a.update(ctx, path, &f.sign, func(s *session, b *custody.Bundle) error {
		parents := f.parents
		if len(parents) == 0 {
			items, err := b.Items()
			if err != nil || len(items) != 1 {
				return usageErr(fmt.Sprintf("the bundle holds %d items: name the parents with --parent", len(items)), "run 'evidctl show' to list the items")
			}
			parents = items
		}
		_, err := s.custodian.Derive(ctx, b, parents, custody.Evidence{Description: desc, MediaType: mt, Source: src, Sealed: w},
			custody.Sealing{Recipients: recipients}, f.detail.details())
		return opErr(err)
	})
	if err != nil {
		return err
	}
	if err := out.commit(); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %s\n", payloadPath)
	return nil
}
