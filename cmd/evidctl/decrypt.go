package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/atomicfile"
)

type decryptFlags struct {
	payload, identity, out, item, trust string
}

func (f *decryptFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.trust, "trust", "", "verify the bundle under this trust policy before decrypting")
	cmd.Flags().StringVar(&f.payload, "payload", "", "the sealed payload")
	cmd.Flags().StringVar(&f.identity, "identity", "", "your age identity file")
	cmd.Flags().StringVar(&f.out, "out", "", "the plaintext file to write")
	cmd.Flags().StringVar(&f.item, "item", "", "item id (default: the item whose sealed payload this is)")
}

func (f *decryptFlags) validate([]string) error {
	switch {
	case f.payload == "":
		return usageErr("--payload NAME.age is required")
	case f.identity == "":
		return usageErr("--identity is required: your age identity opens the payload")
	case f.out == "":
		return usageErr("--out FILE is required")
	}
	return nil
}

func (a *app) decryptCommand() *cobra.Command {
	f := &decryptFlags{}
	return command(&cobra.Command{
		Use:   "decrypt NAME.custody.json --payload NAME.age --identity ID --out FILE [--item ID] [--trust FILE]",
		Short: "decrypt a payload, writing FILE only if it is exactly what the chain records",
		Long: `decrypt writes FILE only after the payload's ciphertext digest matched the chain and the
whole plaintext authenticated and matched the item digest; otherwise nothing is written.
With --trust it first verifies the whole bundle (signatures, receipts, custody rules)
under that policy and decrypts nothing unless the bundle is valid (exit 1 otherwise).
Without --trust the bundle itself is not verified: run 'evidctl verify'.

The plaintext is written to .FILE.evidctl-tmp-… beside FILE (mode 0600) and renamed only
once verified. If decrypt is killed, that file remains; the next decrypt to FILE removes
it (and any other of FILE's temporaries that no running evidctl holds) and says so.`,
		Args: exactArgs(1, "the bundle NAME.custody.json"),
	}, f, func(ctx context.Context, args []string) error {
		if f.trust != "" {
			if err := a.verifyBeforeDecrypt(ctx, args[0], f.trust); err != nil {
				return err
			}
		}
		return a.decrypt(ctx, args[0], f)
	})
}

// decrypt matches the payload to the bundle's chain while decrypting it to a
// temporary file, in one read (custody's Bundle.MatchPayload), and renames the file
// into place only when the ciphertext and the plaintext both match.
func (a *app) decrypt(ctx context.Context, path string, f *decryptFlags) error {
	if err := refuseExisting(f.out); err != nil {
		return err
	}
	in, err := a.openSealed(path, f.payload, f.identity)
	if err != nil {
		return err
	}
	defer in.payload.Close()
	a.removeStale(f.out)
	plain, err := atomicfile.Create(f.out, 0o600)
	if err != nil {
		return failErr(err)
	}
	defer plain.Abort()
	opts := []custody.PayloadOption{custody.DecryptTo(plain, in.ids...)}
	if f.item != "" {
		opts = append(opts, custody.ForItem(f.item))
	}
	m, err := in.bundle.MatchPayload(ctx, in.payload, opts...)
	switch {
	case err != nil:
		return failErr(fmt.Errorf("%s: %w; nothing was written", f.payload, err))
	case len(m.Violations) > 0:
		return invalidErr(fmt.Errorf("%s: %s; nothing was written", f.payload, joinViolations(m.Violations)),
			"run 'evidctl verify' for the details")
	}
	if err := plain.Commit(); err != nil {
		return failErr(fmt.Errorf("writing %s: %w", f.out, err))
	}
	fmt.Fprintf(a.stdout, "item %s (%s): payload and plaintext match the chain\nwrote %s\n", custody.Escape(m.Item.ID), custody.Escape(m.Item.Description), f.out)
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
	pol, err := readPolicy(trust)
	if err != nil {
		return err
	}
	rep, err := custody.Verify(ctx, b, pol)
	if err != nil {
		return failErr(err)
	}
	if !rep.Valid {
		_ = rep.WriteText(a.stdout)
		return invalidErr(fmt.Errorf("%s does not verify under %s; nothing was decrypted", path, trust))
	}
	fmt.Fprintf(a.stdout, "%s verifies under %s (%d %s)\n", path, trust, len(rep.Events), plural(len(rep.Events), "event", "events"))
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
