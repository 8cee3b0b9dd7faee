package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/custody"
)

// What a custodian does with an item it holds: access it, derive a new item from it,
// note something about it, and end custody (return, dispose).

// eventFlags are the flags of a command that adds one event to an item.
type eventFlags struct {
	sign    signFlags
	detail  detailFlags
	item    string
	purpose string // why --purpose is required; "" when it is optional

	examination bool // the event records the tool used and the case
}

func (f *eventFlags) register(cmd *cobra.Command) {
	f.sign.register(cmd)
	f.detail.registerPurpose(cmd, f.purpose != "")
	f.detail.registerLegal(cmd)
	if f.examination {
		f.detail.registerTool(cmd)
		f.detail.registerCase(cmd)
	}
	registerItem(cmd, &f.item)
}

func (f *eventFlags) validate([]string) error {
	if err := f.sign.validate(); err != nil {
		return err
	}
	if f.purpose != "" {
		if err := f.detail.requirePurpose(f.purpose); err != nil {
			return err
		}
	}
	return f.detail.validate()
}

// eventCommand makes a command that records one event about an item with record.
func (a *app) eventCommand(cmd *cobra.Command, f *eventFlags, record recordFunc) *cobra.Command {
	cmd.Args = exactArgs(1, "the bundle NAME.custody.json")
	return command(cmd, f, func(ctx context.Context, args []string) error {
		return a.update(ctx, args[0], &f.sign, nil, func(s *session, b *custody.Bundle) error {
			_, err := record(s.custodian, ctx, b, f.item, f.detail.details())
			return opErr(err)
		})
	})
}

func (a *app) accessCommand() *cobra.Command {
	return a.eventCommand(&cobra.Command{
		Use:   "access NAME.custody.json --key K --purpose TEXT [--tool NAME --tool-version V] [--item ID]",
		Short: "record that you examined an item you hold",
	}, &eventFlags{purpose: "say why the evidence is examined", examination: true}, (*custody.Custodian).Access)
}

func (a *app) returnCommand() *cobra.Command {
	return a.eventCommand(&cobra.Command{
		Use:   "return NAME.custody.json --key K [--purpose TEXT] [--item ID]",
		Short: "record that an item went back to its owner; custody ends",
	}, &eventFlags{}, func(c *custody.Custodian, ctx context.Context, b *custody.Bundle, item string, d custody.Details) (*custody.Record, error) {
		return c.Return(ctx, b, item, nil, d)
	})
}

func (a *app) disposeCommand() *cobra.Command {
	return a.eventCommand(&cobra.Command{
		Use:   "dispose NAME.custody.json --key K [--purpose TEXT] [--item ID]",
		Short: "record that an item was destroyed; custody ends",
	}, &eventFlags{}, (*custody.Custodian).Dispose)
}

type noteFlags struct {
	sign       signFlags
	text, item string
}

func (f *noteFlags) register(cmd *cobra.Command) {
	f.sign.register(cmd)
	cmd.Flags().StringVar(&f.text, "text", "", "the note")
	registerItem(cmd, &f.item)
}

func (f *noteFlags) validate([]string) error {
	if err := f.sign.validate(); err != nil {
		return err
	}
	if err := checkTexts("text", strings.NewReplacer("\n", " ", "\t", " ").Replace(f.text)); err != nil {
		return err
	}
	if f.text == "" {
		return usageErr("--text is required")
	}
	return nil
}

func (a *app) noteCommand() *cobra.Command {
	f := &noteFlags{}
	return command(&cobra.Command{
		Use:   "note NAME.custody.json --key K --text TEXT [--item ID]",
		Short: "add an annotation to an item's chain (any trusted party may)",
		Args:  exactArgs(1, "the bundle NAME.custody.json"),
	}, f, func(ctx context.Context, args []string) error {
		return a.update(ctx, args[0], &f.sign, nil, func(s *session, b *custody.Bundle) error {
			_, err := s.custodian.Note(ctx, b, f.item, f.text, custody.Details{})
			return opErr(err)
		})
	})
}

type deriveFlags struct {
	sign        signFlags
	detail      detailFlags
	recipients  []string
	parents     []string
	out         string
	description string
}

func (f *deriveFlags) register(cmd *cobra.Command) {
	f.sign.register(cmd)
	f.detail.registerPurpose(cmd, true)
	f.detail.registerTool(cmd)
	f.detail.registerLegal(cmd)
	cmd.Flags().StringArrayVar(&f.recipients, "recipient", nil, "age recipient or recipients file; repeatable")
	cmd.Flags().StringArrayVar(&f.parents, "parent", nil, "id of an item it was made from; repeatable (default: the bundle's only item)")
	cmd.Flags().StringVar(&f.out, "out", "", "name of the derived payload (DNAME.age)")
	cmd.Flags().StringVar(&f.description, "description", "", "description (default: the file's base name)")
}

func (f *deriveFlags) validate([]string) error {
	if err := f.sign.validate(); err != nil {
		return err
	}
	if len(f.recipients) == 0 {
		return usageErr("--recipient is required: sealed evidence must be readable by someone")
	}
	if err := f.detail.requirePurpose("say how and why the item was derived"); err != nil {
		return err
	}
	if err := f.detail.validate(); err != nil {
		return err
	}
	return requireOut(f.out, "DNAME.age")
}

func (a *app) deriveCommand() *cobra.Command {
	f := &deriveFlags{}
	return command(&cobra.Command{
		Use:   "derive NAME.custody.json FILE --key K --recipient R --purpose TEXT --out DNAME [--parent ID ...] [--description TEXT]",
		Short: "add an item made from others (extraction, translation, report): writes DNAME.age, updates the bundle",
		Args:  exactArgs(2, "the bundle NAME.custody.json and the derived FILE"),
	}, f, func(ctx context.Context, args []string) error {
		return a.derive(ctx, args[0], args[1], f)
	})
}

func (a *app) derive(ctx context.Context, path, file string, f *deriveFlags) error {
	recipients, out, err := sealedOutputs(f.recipients, path, true, f.out+custody.PayloadSuffix)
	if err != nil {
		return err
	}
	defer out.abort()
	src, err := a.openSource("derived file", file)
	if err != nil {
		return err
	}
	defer src.Close()
	w, err := out.payload()
	if err != nil {
		return err
	}
	desc, mt := describeFile(file, f.description)
	return a.update(ctx, path, &f.sign, out, func(s *session, b *custody.Bundle) error {
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
}
