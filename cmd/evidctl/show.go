package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/custody"
)

type showFlags struct{ json bool }

func (f *showFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.json, "json", false, "print the events and items as JSON")
}

func (f *showFlags) validate([]string) error { return nil }

func (a *app) showCommand() *cobra.Command {
	f := &showFlags{}
	return command(&cobra.Command{
		Use:   "show NAME.custody.json [--json]",
		Short: "print the custody timeline as the bundle states it (UNVERIFIED)",
		Args:  exactArgs(1, "the bundle NAME.custody.json"),
	}, f, func(_ context.Context, args []string) error {
		b, err := readBundle(args[0])
		if err != nil {
			return err
		}
		items, err := b.Status()
		if err != nil {
			return failErr(err)
		}
		if f.json {
			return a.showJSON(b, items)
		}
		return a.showText(b, items)
	})
}

type shownEvent struct {
	Index      int            `json:"index"`
	Commitment string         `json:"commitment"`
	Event      *custody.Event `json:"event"`
}

func (a *app) showJSON(b *custody.Bundle, items []custody.ItemStatus) error {
	out := struct {
		Verified bool                 `json:"verified"`
		Events   []shownEvent         `json:"events"`
		Items    []custody.ItemStatus `json:"items"`
	}{Items: items}
	for i, r := range b.Events {
		st, err := r.Statement()
		if err != nil {
			return failErr(fmt.Errorf("event %d: %w", i+1, err))
		}
		out.Events = append(out.Events, shownEvent{Index: i + 1, Commitment: r.CommitmentString(), Event: &st.Predicate})
	}
	js, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return failErr(err)
	}
	_, err = a.stdout.Write(append(custody.EscapeJSON(js), '\n'))
	return err
}

func (a *app) showText(b *custody.Bundle, items []custody.ItemStatus) error {
	fmt.Fprintln(a.stdout, "UNVERIFIED: this is what the bundle claims; signatures, log receipts and custody rules")
	fmt.Fprintln(a.stdout, "were not checked. Run 'evidctl verify --trust FILE' for a verdict.")
	fmt.Fprintln(a.stdout, "\ntimeline:")
	events := make([]*custody.Event, len(b.Events))
	for i, r := range b.Events {
		st, err := r.Statement()
		if err != nil {
			return failErr(fmt.Errorf("event %d: %w", i+1, err))
		}
		events[i] = &st.Predicate
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 2, 2, ' ', 0)
	for i, ev := range events {
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\n", i+1, ev.Time.UTC().Format(time.RFC3339), ev.Type, custody.Escape(shortID(ev.Item.ID)),
			custody.Escape(ev.Actor.Party.String()), custody.Escape(eventNote(ev)))
	}
	tw.Flush()
	a.showClaimedTime(events)
	fmt.Fprintln(a.stdout, "\nitems:")
	for _, it := range items {
		fmt.Fprintf(a.stdout, "  %s (%s)\n    sha256:%s\n", custody.Escape(it.ID), custody.Escape(it.Description), it.Digest.SHA256().Hex())
		for _, d := range otherDigests(it.Digest) {
			fmt.Fprintf(a.stdout, "    %s\n", d)
		}
		fmt.Fprintf(a.stdout, "    %s\n", custody.Escape(itemState(it)))
	}
	return nil
}

// showClaimedTime lists each event's time as its statement claims it, and the
// checkpoint the signer cites as read before signing (its anchor), none of it checked.
func (a *app) showClaimedTime(events []*custody.Event) {
	fmt.Fprintln(a.stdout, "\ntime, as each statement claims it (UNVERIFIED: 'evidctl verify' bounds each event's time")
	fmt.Fprintln(a.stdout, "with the witnesses' and time-stamping authorities' evidence in the bundle):")
	tw := tabwriter.NewWriter(a.stdout, 0, 2, 2, ' ', 0)
	for i, ev := range events {
		fmt.Fprintf(tw, "  %d\tclaimed %s\t%s\n", i+1, ev.Time.UTC().Format(time.RFC3339Nano), custody.Escape(citedAnchor(ev.Anchor)))
	}
	tw.Flush()
}

// citedAnchor describes the checkpoint a statement cites as read before signing.
func citedAnchor(an *custody.Anchor) string {
	if an == nil {
		return "cites no checkpoint read before signing"
	}
	s := fmt.Sprintf("cites checkpoint %s@%d as read before signing", an.Origin, an.Size)
	if an.Token != "" {
		s += ", with its time-stamp token"
	}
	return s
}

func itemState(it custody.ItemStatus) string {
	switch {
	case it.Closed == custody.Return:
		return "returned by " + it.Custodian.Party.String()
	case it.Closed == custody.Dispose:
		return "disposed of by " + it.Custodian.Party.String()
	case it.InTransitTo != nil:
		return "in transit from " + it.Custodian.Party.String() + " to " + it.InTransitTo.Party.String()
	}
	return "held by " + it.Custodian.Party.String()
}

func eventNote(ev *custody.Event) string {
	var parts []string
	if ev.Counterparty != nil {
		parts = append(parts, "counterparty "+ev.Counterparty.Party.String())
	}
	if ev.Legal != nil {
		parts = append(parts, strings.TrimSpace(strings.Join([]string{string(ev.Legal.Kind), ev.Legal.Basis, ev.Legal.Reference}, " ")))
	}
	if ev.Purpose != "" {
		parts = append(parts, "purpose: "+ev.Purpose)
	}
	if ev.Note != "" {
		parts = append(parts, "note: "+ev.Note)
	}
	if ev.Item.Sealed != nil && ev.Type == custody.Reseal {
		parts = append(parts, fmt.Sprintf("resealed to %d %s", len(ev.Item.Sealed.Recipients), plural(len(ev.Item.Sealed.Recipients), "recipient", "recipients")))
	}
	return strings.Join(parts, "; ")
}

func shortID(id string) string {
	if strings.HasPrefix(id, "urn:uuid:") && len(id) > 17 {
		return id[9:17]
	}
	return id
}
