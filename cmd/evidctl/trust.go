package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgerurl"
)

// The trust policy: the logs and signers a verifier trusts.

func (a *app) trustCommand() *cobra.Command {
	cmd := command(&cobra.Command{
		Use:   "trust",
		Short: "write and read a trust policy (the logs and signers a verifier trusts)",
		Args:  noArgs,
	}, noFlags{}, func(context.Context, []string) error {
		return usageErr("trust needs a subcommand: init, add-log, add-signer, add-tsa, revoke-signer, set-time or show", "run 'evidctl trust --help'")
	})
	cmd.AddCommand(a.trustInitCommand(), a.trustAddLogCommand(), a.trustAddSignerCommand(), a.trustShowCommand(),
		a.trustAddTSACommand(), a.trustRevokeSignerCommand(), a.trustSetTimeCommand())
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

// writePolicy rewrites the policy file at path in place (through a link, its target).
func writePolicy(p *custody.Policy, path string) error {
	target, err := inPlace(path)
	if err != nil {
		return err
	}
	if err := p.WriteFile(target); err != nil {
		return failErr(err)
	}
	return nil
}

// trustFlags name the policy file; every trust subcommand needs one.
type trustFlags struct {
	path  string
	usage string // of --trust, when not "trust policy file"
}

func (f *trustFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.path, "trust", "", cmp.Or(f.usage, "trust policy file"))
}

func (f *trustFlags) validate([]string) error { return requireTrust(f.path) }

func (a *app) trustInitCommand() *cobra.Command {
	f := &trustFlags{usage: "trust policy file to create"}
	return command(&cobra.Command{
		Use:   "init --trust FILE",
		Short: "create an empty trust policy",
		Args:  noArgs,
	}, f, func(context.Context, []string) error {
		data, err := (&custody.Policy{}).MarshalJSON()
		if err != nil {
			return failErr(err)
		}
		if err := writeNew([]newFile{{f.path, 0o644, append(data, '\n')}}); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "wrote empty trust policy %s\n", f.path)
		return nil
	})
}

type addLogFlags struct {
	trustFlags
	origin, key, keyFile    string
	witnesses, witnessFiles []string
	quorum                  int
	witnessPolicy           string
	home                    homeFlags
}

func (f *addLogFlags) register(cmd *cobra.Command) {
	f.trustFlags.register(cmd)
	cmd.Flags().StringVar(&f.origin, "origin", "", "log origin (default: the key's name)")
	cmd.Flags().StringVar(&f.key, "key", "", "log note verifier key (origin+hash+base64)")
	cmd.Flags().StringVar(&f.keyFile, "key-file", "", "file holding the log's note verifier key (e.g. KEY.pub from 'init --trillian')")
	cmd.Flags().StringArrayVar(&f.witnesses, "witness", nil, "note verifier key of a witness whose cosignatures count (repeatable)")
	cmd.Flags().StringArrayVar(&f.witnessFiles, "witness-file", nil, "file holding a witness's note verifier key (repeatable)")
	cmd.Flags().IntVar(&f.quorum, "quorum", 0, "how many of the witnesses must have cosigned a checkpoint")
	cmd.Flags().StringVar(&f.witnessPolicy, "witness-policy", "", "instead of --witness and --quorum: a witness policy file (the log operator's; URLs are ignored)")
	f.home.register(cmd, false)
}

func (f *addLogFlags) validate([]string) error {
	if err := requireTrust(f.path); err != nil {
		return err
	}
	if f.keyFile != "" && f.key != "" {
		return usageErr("give --key or --key-file, not both")
	}
	if f.origin != "" && f.key == "" && f.keyFile == "" {
		return usageErr("--origin needs --key VKEY (the log's note verifier key)")
	}
	if f.witnessPolicy != "" && (len(f.witnesses)+len(f.witnessFiles) > 0 || f.quorum != 0) {
		return usageErr("give --witness-policy or --witness and --quorum, not both",
			"the witness policy names the witnesses and the quorum itself")
	}
	if n := len(f.witnesses) + len(f.witnessFiles); f.quorum < 0 || f.quorum > n {
		return usageErr(fmt.Sprintf("--quorum %d with %d --witness keys", f.quorum, n),
			"the quorum counts witnesses: give at least that many --witness keys")
	}
	if f.key == "" && f.keyFile == "" {
		_, err := f.home.dir()
		return err
	}
	return nil
}

func (a *app) trustAddLogCommand() *cobra.Command {
	f := &addLogFlags{}
	return command(&cobra.Command{
		Use:   "add-log --trust FILE [--origin ORIGIN --key VKEY] [--witness-policy FILE | --witness VKEY ... --quorum N]",
		Short: "trust a log (default: the home's embedded log)",
		Long: `add-log trusts a log's checkpoints: its origin and C2SP note verifier key. With
--witness (repeatable) and --quorum N, a checkpoint is accepted only when N of those
witnesses cosigned it (C2SP tlog-cosignature). With --witness-policy FILE, the same
witness policy file the log's operator gave 'evidctl init --witness-policy' ("witness
NAME VKEY [URL]", "group NAME k|any|all MEMBER...", "quorum NAME"; the URLs are
ignored here), a checkpoint is accepted only when its cosignatures meet that quorum.
Without a key, the home's embedded log is trusted, with the witness policy stored in
the home if it has one.`,
		Args: noArgs,
	}, f, func(context.Context, []string) error {
		return a.addLog(f)
	})
}

func (a *app) addLog(f *addLogFlags) error {
	origin, key := f.origin, f.key
	if err := checkNoteVerifier("--key", "", key); err != nil {
		return err
	}
	if f.keyFile != "" {
		var err error
		if key, err = readNoteKey("--key-file", "log verifier key", f.keyFile); err != nil {
			return err
		}
	}
	witnesses := f.witnesses
	for _, w := range witnesses {
		if err := checkNoteVerifier("--witness", "", w); err != nil {
			return err
		}
	}
	for _, wf := range f.witnessFiles {
		w, err := readNoteKey("--witness-file", "witness key", wf)
		if err != nil {
			return err
		}
		witnesses = append(witnesses, w)
	}
	var wp *witnessPolicyFile
	if f.witnessPolicy != "" {
		var err error
		if wp, err = readWitnessPolicy(f.witnessPolicy, false); err != nil {
			return err
		}
	}
	p, err := readPolicy(f.path)
	if err != nil {
		return err
	}
	switch {
	case key == "":
		dir, _ := f.home.dir()
		if origin, key, err = homeLog(dir); err != nil {
			return err
		}
		if wp == nil && len(witnesses) == 0 {
			if wp, err = homeWitnessPolicy(dir); err != nil {
				return err
			}
		}
	case origin == "":
		origin = originOf(key)
	}
	entry := custody.TrustedLog{Origin: origin, Key: key, Witnesses: witnesses, Quorum: f.quorum}
	if wp != nil {
		entry.WitnessPolicy = string(wp.text)
	}
	if err := p.AddLog(entry); err != nil {
		return usageErr(err.Error(), "the key is the 'verifier key' line that 'evidctl init' printed")
	}
	if err := writePolicy(p, f.path); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "trusting log %s in %s\n", origin, f.path)
	if wp != nil {
		fmt.Fprintf(a.stdout, "requiring its witnesses' cosignatures: %s (from %s)\n", wp.describe(), wp.path)
	}
	return nil
}

// readNoteKey reads the note verifier key in the file flag names, refusing any other
// key material without quoting it.
func readNoteKey(flag, what, path string) (string, error) {
	b, err := readKeyFile(what, path)
	if err != nil {
		return "", err
	}
	key := strings.TrimSpace(string(b))
	if key == "" {
		return "", failErr(fmt.Errorf("%s file %s is empty", what, path))
	}
	if err := checkNoteVerifier(flag, path, key); err != nil {
		return "", err
	}
	return key, nil
}

// homeWitnessPolicy reads the witness policy stored in the home dir, or nil when it has
// none.
func homeWitnessPolicy(dir string) (*witnessPolicyFile, error) {
	path := filepath.Join(dir, ledgerurl.HomeWitnessPolicy)
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return readWitnessPolicy(path, false)
}

func originOf(vkey string) string {
	origin, _, _ := strings.Cut(vkey, "+")
	return origin
}

type addSignerFlags struct {
	trustFlags
	key, roots string
	ident      custody.Identity
	who        actorFlags
	validity   validityFlags
}

func (f *addSignerFlags) register(cmd *cobra.Command) {
	f.trustFlags.register(cmd)
	f.validity.register(cmd)
	cmd.Flags().StringVar(&f.key, "key", "", "the signer's public key (PEM)")
	cmd.Flags().StringVar(&f.roots, "roots", "", "instead of --key: root certificates (PEM) that certify the signer")
	cmd.Flags().StringVar(&f.ident.Subject, "identity-subject", "", "with --roots: the certificate's subject common name")
	cmd.Flags().StringVar(&f.ident.Email, "identity-email", "", "with --roots: an email address the certificate names")
	cmd.Flags().StringVar(&f.ident.URI, "identity-uri", "", "with --roots: a URI the certificate names")
	cmd.Flags().StringVar(&f.ident.DNS, "identity-dns", "", "with --roots: a DNS name the certificate names")
	f.who.register(cmd, "name")
}

func (f *addSignerFlags) validate([]string) error {
	if err := requireTrust(f.path); err != nil {
		return err
	}
	if (f.key == "") == (f.roots == "") {
		return usageErr("add-signer needs --key PUB.pem (the signer's public key) or --roots CA.pem with identity constraints, not both")
	}
	if err := f.who.validate(); err != nil {
		return err
	}
	if err := f.validity.validate(); err != nil {
		return err
	}
	switch {
	case f.roots == "":
	case f.ident == (custody.Identity{}):
		return usageErr("--roots needs at least one identity constraint",
			"pass --identity-email, --identity-subject, --identity-uri or --identity-dns")
	case f.who.name == "":
		return usageErr("add-signer --roots needs --name (the party the certificate identifies)")
	}
	return nil
}

func (a *app) trustAddSignerCommand() *cobra.Command {
	f := &addSignerFlags{}
	return command(&cobra.Command{
		Use:   "add-signer --trust FILE --name NAME --org ORG --role ROLE --jurisdiction CC --key PUB.pem",
		Short: "trust a signer's public key for the identity named",
		Long: `add-signer trusts a public key for a named party. When PUB.pem has a sibling
profile (PREFIX.id.json, written by keygen) its fields are the defaults.`,
		Args: noArgs,
	}, f, func(context.Context, []string) error {
		if f.roots != "" {
			return a.addCertifiedSigner(f)
		}
		return a.addSigner(f)
	})
}

func (a *app) addSigner(f *addSignerFlags) error {
	pub, err := readKeyFile("public key", f.key)
	if err != nil {
		return err
	}
	if err := checkPublicKey("--key", f.key, pub); err != nil {
		return err
	}
	v, err := sign.LoadVerifier(pub)
	if err != nil {
		return failErr(fmt.Errorf("public key %s: %w", f.key, err), "give the PREFIX.pub that keygen wrote, not the private key")
	}
	p, err := readPolicy(f.path)
	if err != nil {
		return err
	}
	who, err := f.who.party(f.key)
	if err != nil {
		return usageErr("add-signer needs --name (no profile beside "+f.key+" names the signer)", "pass --name, --org, --role and --jurisdiction")
	}
	s := custody.TrustedSigner{Party: who, PublicKey: string(pub)}
	f.validity.apply(&s)
	return a.trustSigner(p, f.path, s, "key "+v.KeyID())
}

// addCertifiedSigner trusts whoever holds a certificate from the roots that meets the
// identity constraints, for the identity named.
func (a *app) addCertifiedSigner(f *addSignerFlags) error {
	pem, err := readInputFile("root certificates", f.roots, certBundleLimit)
	if err != nil {
		return err
	}
	p, err := readPolicy(f.path)
	if err != nil {
		return err
	}
	who := custody.Party{Name: f.who.name, Organization: f.who.org, Role: f.who.role, Jurisdiction: f.who.jurisdiction}
	ident := f.ident
	s := custody.TrustedSigner{Party: who, Roots: string(pem), Identity: &ident}
	f.validity.apply(&s)
	return a.trustSigner(p, f.path, s, "certified by the roots in "+f.roots)
}

// trustSigner adds the signer to the policy and writes it.
func (a *app) trustSigner(p *custody.Policy, path string, s custody.TrustedSigner, how string) error {
	if err := p.AddSigner(s); err != nil {
		return usageErr(err.Error())
	}
	if err := writePolicy(p, path); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "trusting %s %s in %s\n", custody.Escape(s.Party.String()), how, path)
	return nil
}

func (a *app) trustShowCommand() *cobra.Command {
	f := &trustFlags{}
	return command(&cobra.Command{
		Use:   "show --trust FILE",
		Short: "print a trust policy",
		Args:  noArgs,
	}, f, func(context.Context, []string) error {
		p, err := readPolicy(f.path)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "trust policy %s\nlogs:\n", f.path)
		for _, l := range p.Logs {
			fmt.Fprintf(a.stdout, "  %s\n    key %s\n", l.Origin, l.Key)
			a.showWitnessPolicy(l.WitnessPolicy)
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
			a.showLifecycle(s)
		}
		a.showTime(p)
		return nil
	})
}

// showWitnessPolicy prints a trusted log's witness policy: its witnesses and its quorum.
func (a *app) showWitnessPolicy(text string) {
	if text == "" {
		return
	}
	wp, err := ledger.ParseWitnessPolicy([]byte(text))
	if err != nil {
		fmt.Fprintf(a.stdout, "    witness policy: unreadable (%v)\n", err)
		return
	}
	for _, w := range wp.Witnesses() {
		fmt.Fprintf(a.stdout, "    witness %s %s\n", w.Name, w.VerifierKey)
	}
	fmt.Fprintf(a.stdout, "    witness quorum %s\n", wp.QuorumString())
}

func (a *app) showSigner(s custody.TrustedSigner) {
	if s.PublicKey == "" {
		fmt.Fprintf(a.stdout, "  %s\n    certified by roots in the policy\n", custody.Escape(s.Party.String()))
		return
	}
	id := "(unreadable key)"
	if v, err := sign.LoadVerifier([]byte(s.PublicKey)); err == nil {
		id = v.KeyID()
	}
	fmt.Fprintf(a.stdout, "  %s\n    key %s\n", custody.Escape(s.Party.String()), id)
}
