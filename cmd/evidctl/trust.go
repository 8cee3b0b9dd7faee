package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
)

func (a *app) trustCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trust",
		Short: "write and read a trust policy (the logs and signers a verifier trusts)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageErr("trust needs a subcommand: init, add-log, add-signer or show", "run 'evidctl trust --help'")
		},
	}
	cmd.AddCommand(a.trustInitCommand(), a.trustAddLogCommand(), a.trustAddSignerCommand(), a.trustShowCommand())
	return cmd
}

func requireTrust(path string) error {
	if path == "" {
		return usageErr("--trust FILE is required", "the trust policy names the logs and signers to trust; create one with 'evidctl trust init --trust FILE'")
	}
	return nil
}

func readPolicy(path string) (*custody.Policy, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, failErr(fmt.Errorf("trust policy %s does not exist", path), "create it with 'evidctl trust init --trust "+path+"'")
		}
		return nil, failErr(err)
	}
	p, err := custody.ReadPolicy(path)
	if err != nil {
		return nil, failErr(err)
	}
	return p, nil
}

func (a *app) trustInitCommand() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "init --trust FILE",
		Short: "create an empty trust policy",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireTrust(path); err != nil {
				return err
			}
			data, err := (&custody.Policy{}).MarshalJSON()
			if err != nil {
				return failErr(err)
			}
			if err := writeNew([]newFile{{path, 0o644, append(data, '\n')}}); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "wrote empty trust policy %s\n", path)
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "trust", "", "trust policy file to create")
	return cmd
}

func (a *app) trustAddLogCommand() *cobra.Command {
	var path, origin, key, keyFile string
	var witnesses, witnessFiles []string
	var quorum int
	var h homeFlags
	cmd := &cobra.Command{
		Use:   "add-log --trust FILE [--origin ORIGIN --key VKEY] [--witness VKEY ... --quorum N]",
		Short: "trust a log (default: the home's embedded log)",
		Long: `add-log trusts a log's checkpoints: its origin and C2SP note verifier key. With
--witness (repeatable) and --quorum N, a checkpoint is accepted only when N of those
witnesses cosigned it (C2SP tlog-cosignature).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireTrust(path); err != nil {
				return err
			}
			if keyFile != "" {
				if key != "" {
					return usageErr("give --key or --key-file, not both")
				}
				b, err := os.ReadFile(keyFile)
				if err != nil {
					return fileErr("log verifier key", keyFile, err)
				}
				key = strings.TrimSpace(string(b))
			}
			if origin != "" && key == "" {
				return usageErr("--origin needs --key VKEY (the log's note verifier key)")
			}
			for _, wf := range witnessFiles {
				b, err := os.ReadFile(wf)
				if err != nil {
					return fileErr("witness key", wf, err)
				}
				witnesses = append(witnesses, strings.TrimSpace(string(b)))
			}
			if quorum < 0 || quorum > len(witnesses) {
				return usageErr(fmt.Sprintf("--quorum %d with %d --witness keys", quorum, len(witnesses)),
					"the quorum counts witnesses: give at least that many --witness keys")
			}
			p, err := readPolicy(path)
			if err != nil {
				return err
			}
			if key == "" {
				dir, err := h.dir()
				if err != nil {
					return err
				}
				if origin, key, err = homeLog(dir); err != nil {
					return err
				}
			} else if origin == "" {
				origin = originOf(key)
			}
			if err := p.AddLog(custody.TrustedLog{Origin: origin, Key: key, Witnesses: witnesses, Quorum: quorum}); err != nil {
				return usageErr(err.Error(), "the key is the 'verifier key' line that 'evidctl init' printed")
			}
			if err := p.WriteFile(path); err != nil {
				return failErr(err)
			}
			fmt.Fprintf(a.stdout, "trusting log %s in %s\n", origin, path)
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "trust", "", "trust policy file")
	cmd.Flags().StringVar(&origin, "origin", "", "log origin (default: the key's name)")
	cmd.Flags().StringVar(&key, "key", "", "log note verifier key (origin+hash+base64)")
	cmd.Flags().StringVar(&keyFile, "key-file", "", "file holding the log's note verifier key (e.g. KEY.pub from 'init --trillian')")
	cmd.Flags().StringArrayVar(&witnesses, "witness", nil, "note verifier key of a witness whose cosignatures count (repeatable)")
	cmd.Flags().StringArrayVar(&witnessFiles, "witness-file", nil, "file holding a witness's note verifier key (repeatable)")
	cmd.Flags().IntVar(&quorum, "quorum", 0, "how many of the witnesses must have cosigned a checkpoint")
	h.register(cmd, false)
	return cmd
}

func originOf(vkey string) string {
	origin, _, _ := strings.Cut(vkey, "+")
	return origin
}

func (a *app) trustAddSignerCommand() *cobra.Command {
	var path, keyPath, roots string
	var ident custody.Identity
	var who actorFlags
	cmd := &cobra.Command{
		Use:   "add-signer --trust FILE --name NAME --org ORG --role ROLE --jurisdiction CC --key PUB.pem",
		Short: "trust a signer's public key for the identity named",
		Long: `add-signer trusts a public key for a named party. When PUB.pem has a sibling
profile (PREFIX.id.json, written by keygen) its fields are the defaults.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireTrust(path); err != nil {
				return err
			}
			if (keyPath == "") == (roots == "") {
				return usageErr("add-signer needs --key PUB.pem (the signer's public key) or --roots CA.pem with identity constraints, not both")
			}
			if err := who.validate(); err != nil {
				return err
			}
			if roots != "" {
				return a.addCertifiedSigner(path, roots, ident, who)
			}
			return a.addSigner(path, keyPath, who)
		},
	}
	cmd.Flags().StringVar(&path, "trust", "", "trust policy file")
	cmd.Flags().StringVar(&keyPath, "key", "", "the signer's public key (PEM)")
	cmd.Flags().StringVar(&roots, "roots", "", "instead of --key: root certificates (PEM) that certify the signer")
	cmd.Flags().StringVar(&ident.Subject, "identity-subject", "", "with --roots: the certificate's subject common name")
	cmd.Flags().StringVar(&ident.Email, "identity-email", "", "with --roots: an email address the certificate names")
	cmd.Flags().StringVar(&ident.URI, "identity-uri", "", "with --roots: a URI the certificate names")
	cmd.Flags().StringVar(&ident.DNS, "identity-dns", "", "with --roots: a DNS name the certificate names")
	who.register(cmd, "name")
	return cmd
}

func (a *app) addSigner(path, keyPath string, who actorFlags) error {
	pub, err := os.ReadFile(keyPath)
	if err != nil {
		return fileErr("public key", keyPath, err)
	}
	v, err := sign.LoadVerifier(pub)
	if err != nil {
		return failErr(fmt.Errorf("public key %s: %w", keyPath, err), "give the PREFIX.pub that keygen wrote, not the private key")
	}
	p, err := readPolicy(path)
	if err != nil {
		return err
	}
	party, err := who.party(keyPath)
	if err != nil {
		return usageErr("add-signer needs --name (no profile beside "+keyPath+" names the signer)", "pass --name, --org, --role and --jurisdiction")
	}
	s := custody.TrustedSigner{Party: party, PublicKey: string(pub)}
	if err := p.AddSigner(s); err != nil {
		return usageErr(err.Error())
	}
	if err := p.WriteFile(path); err != nil {
		return failErr(err)
	}
	fmt.Fprintf(a.stdout, "trusting %s key %s in %s\n", party, v.KeyID(), path)
	return nil
}

// addCertifiedSigner trusts whoever holds a certificate from roots that meets the
// identity constraints, for the identity named.
func (a *app) addCertifiedSigner(path, rootsPath string, ident custody.Identity, who actorFlags) error {
	if ident == (custody.Identity{}) {
		return usageErr("--roots needs at least one identity constraint",
			"pass --identity-email, --identity-subject, --identity-uri or --identity-dns")
	}
	if who.name == "" {
		return usageErr("add-signer --roots needs --name (the party the certificate identifies)")
	}
	pem, err := os.ReadFile(rootsPath)
	if err != nil {
		return fileErr("root certificates", rootsPath, err)
	}
	p, err := readPolicy(path)
	if err != nil {
		return err
	}
	party := custody.Party{Name: who.name, Organization: who.org, Role: who.role, Jurisdiction: who.jurisdiction}
	s := custody.TrustedSigner{Party: party, Roots: string(pem), Identity: &ident}
	if err := p.AddSigner(s); err != nil {
		return usageErr(err.Error())
	}
	if err := p.WriteFile(path); err != nil {
		return failErr(err)
	}
	fmt.Fprintf(a.stdout, "trusting %s certified by the roots in %s in %s\n", party, rootsPath, path)
	return nil
}

func (a *app) trustShowCommand() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "show --trust FILE",
		Short: "print a trust policy",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireTrust(path); err != nil {
				return err
			}
			p, err := readPolicy(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "trust policy %s\nlogs:\n", path)
			for _, l := range p.Logs {
				fmt.Fprintf(a.stdout, "  %s\n    key %s\n", l.Origin, l.Key)
				for _, w := range l.Witnesses {
					fmt.Fprintf(a.stdout, "    witness %s\n", w)
				}
				if l.Quorum > 0 {
					fmt.Fprintf(a.stdout, "    witness quorum %d of %d\n", l.Quorum, len(l.Witnesses))
				}
			}
			fmt.Fprintln(a.stdout, "signers:")
			for _, s := range p.Signers {
				a.showSigner(s)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "trust", "", "trust policy file")
	return cmd
}

func (a *app) showSigner(s custody.TrustedSigner) {
	who := s.Party.String()
	if s.PublicKey == "" {
		fmt.Fprintf(a.stdout, "  %s\n    certified by roots in the policy\n", who)
		return
	}
	id := "(unreadable key)"
	if v, err := sign.LoadVerifier([]byte(s.PublicKey)); err == nil {
		id = v.KeyID()
	}
	fmt.Fprintf(a.stdout, "  %s\n    key %s\n", who, id)
}
