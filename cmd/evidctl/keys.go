package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/evidctl/evidctl/crypto/seal"
	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
)

// profile is PREFIX.id.json: who a key's holder is, so commands need not repeat it.
type profile struct {
	Name         string `json:"name,omitempty"`
	Organization string `json:"organization,omitempty"`
	Role         string `json:"role,omitempty"`
	Jurisdiction string `json:"jurisdiction,omitempty"`
	KeyID        string `json:"keyId,omitempty"`
	AgeRecipient string `json:"ageRecipient,omitempty"`
}

// keyBase strips a key file's suffix: lab.key, lab.pub → lab.
func keyBase(path string) string {
	for _, s := range []string{".key", ".pub", ".pem"} {
		if strings.HasSuffix(path, s) {
			return strings.TrimSuffix(path, s)
		}
	}
	return path
}

// readProfile reads the profile beside a key file, if there is one.
func readProfile(keyPath string) (profile, error) {
	var p profile
	path := keyBase(keyPath) + ".id.json"
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, failErr(fmt.Errorf("reading profile %s: %w", path, err))
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return p, failErr(fmt.Errorf("profile %s: %w", path, err), "the profile is the JSON that 'evidctl keygen' wrote")
	}
	return p, nil
}

// checkJurisdiction normalises and checks an ISO 3166-1 alpha-2 code.
func checkJurisdiction(flag, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if up := strings.ToUpper(v); custody.ValidJurisdiction(up) {
		return up, nil
	}
	return "", usageErr(fmt.Sprintf("--%s %q is not an ISO 3166-1 alpha-2 country code", flag, v), "use two letters such as FR, DE, BR")
}

// actorFlags say who signs; the key's profile fills what they leave out.
type actorFlags struct {
	name, org, role, jurisdiction string
}

func (f *actorFlags) register(cmd *cobra.Command, nameFlag string) {
	cmd.Flags().StringVar(&f.name, nameFlag, "", "your name as the event records it (default: from the key's .id.json profile)")
	cmd.Flags().StringVar(&f.org, "org", "", "your organisation (default: from the profile)")
	cmd.Flags().StringVar(&f.role, "role", "", "your role (default: from the profile)")
	cmd.Flags().StringVar(&f.jurisdiction, "jurisdiction", "", "your jurisdiction, ISO 3166-1 alpha-2 (default: from the profile)")
}

func (f *actorFlags) validate() error {
	j, err := checkJurisdiction("jurisdiction", f.jurisdiction)
	f.jurisdiction = j
	return err
}

// party merges the flags over the profile of the key at keyPath.
func (f *actorFlags) party(keyPath string) (custody.Party, error) {
	p, err := readProfile(keyPath)
	if err != nil {
		return custody.Party{}, err
	}
	a := custody.Party{Name: cmp.Or(f.name, p.Name), Organization: cmp.Or(f.org, p.Organization), Role: cmp.Or(f.role, p.Role),
		Jurisdiction: cmp.Or(f.jurisdiction, p.Jurisdiction)}
	if a.Name == "" {
		return a, usageErr("who is signing? no name given and no profile beside "+keyPath,
			"pass --actor NAME (and --org, --role, --jurisdiction), or create the key with 'evidctl keygen --name … --org …'")
	}
	return a, nil
}

// passFunc reads a key's password: $EVIDCTL_PASSWORD, else a prompt on the terminal.
func (a *app) passFunc() sign.PassFunc {
	return func(confirm bool) ([]byte, error) {
		if pw := os.Getenv("EVIDCTL_PASSWORD"); pw != "" {
			return []byte(pw), nil
		}
		f, ok := a.stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return nil, usageErr("a password is needed for the signing key, but there is no terminal to ask on",
				"set $EVIDCTL_PASSWORD, or run evidctl in a terminal")
		}
		pw, err := a.prompt(f, "Enter password for the signing key: ")
		if err != nil || !confirm {
			return pw, err
		}
		again, err := a.prompt(f, "Confirm password: ")
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(pw, again) {
			return nil, usageErr("the passwords do not match")
		}
		return pw, nil
	}
}

func (a *app) prompt(f *os.File, text string) ([]byte, error) {
	fmt.Fprint(a.stderr, text)
	pw, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(a.stderr)
	if err != nil {
		return nil, failErr(fmt.Errorf("reading password: %w", err))
	}
	return pw, nil
}

// loadSigner opens an encrypted signing key.
func (a *app) loadSigner(path string) (*sign.Signer, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fileErr("signing key", path, err)
	}
	s, err := sign.LoadSignerFile(path, a.passFunc())
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return nil, err
		}
		return nil, failErr(fmt.Errorf("opening signing key %s: %w", path, err))
	}
	return s, nil
}

var keyTypes = []string{string(sign.ECDSAP256), string(sign.Ed25519), string(sign.RSA3072)}

func (a *app) keygenCommand() *cobra.Command {
	var out, kt string
	var withAge bool
	var who actorFlags
	cmd := &cobra.Command{
		Use:   "keygen --out PREFIX [--type ecdsa-p256|ed25519|rsa-3072] [--age] [--name N --org O --role R --jurisdiction CC]",
		Short: "make a signing key (PREFIX.key, PREFIX.pub), optionally an age identity and a profile",
		Long: `keygen makes an encrypted signing key PREFIX.key (cosign-compatible PEM, 0600, password
from $EVIDCTL_PASSWORD or the terminal) and its public key PREFIX.pub. With --age it also
makes an age identity PREFIX.age.txt (0600) and PREFIX.recipient.txt (its public
recipient, to share). Identity flags are saved in PREFIX.id.json, a profile that later
commands read beside the key. Existing files are never overwritten.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageErr("keygen needs --out PREFIX", "for example: evidctl keygen --out lab --age --name 'A. Examiner' --org 'Lab' --jurisdiction FR")
			}
			if !slices.Contains(keyTypes, kt) {
				return usageErr(fmt.Sprintf("--type %q is not one of %s", kt, strings.Join(keyTypes, ", ")))
			}
			if err := who.validate(); err != nil {
				return err
			}
			return a.keygen(out, sign.KeyType(kt), withAge, who)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "prefix of the files to write")
	cmd.Flags().StringVar(&kt, "type", string(sign.ECDSAP256), "key type: "+strings.Join(keyTypes, ", "))
	cmd.Flags().BoolVar(&withAge, "age", false, "also make an age identity (PREFIX.age.txt) for sealed payloads")
	who.register(cmd, "name")
	return cmd
}

func (a *app) keygen(prefix string, kt sign.KeyType, withAge bool, who actorFlags) error {
	paths := []string{prefix + ".key", prefix + ".pub"}
	withProfile := who != (actorFlags{})
	if withAge {
		paths = append(paths, prefix+".age.txt", prefix+".recipient.txt")
	}
	if withProfile {
		paths = append(paths, prefix+".id.json")
	}
	if err := refuseExisting(paths...); err != nil {
		return err
	}
	pw, err := a.passFunc()(true)
	if err != nil {
		return err
	}
	if len(pw) == 0 {
		return usageErr("the password is empty", "a signing key must be protected by a password")
	}
	kp, err := sign.GenerateKeyPair(kt, pw)
	if err != nil {
		return failErr(err)
	}
	files := []newFile{{prefix + ".key", 0o600, kp.PrivatePEM}, {prefix + ".pub", 0o644, kp.PublicPEM}}
	prof := profile{Name: who.name, Organization: who.org, Role: who.role, Jurisdiction: who.jurisdiction, KeyID: kp.KeyID}
	if withAge {
		id, err := seal.GenerateX25519()
		if err != nil {
			return failErr(err)
		}
		text, err := seal.FormatIdentity(id, time.Now().UTC())
		if err != nil {
			return failErr(err)
		}
		prof.AgeRecipient = id.Recipient().String()
		files = append(files, newFile{prefix + ".age.txt", 0o600, text},
			newFile{prefix + ".recipient.txt", 0o644, []byte(prof.AgeRecipient + "\n")})
	}
	if withProfile {
		data, _ := json.MarshalIndent(prof, "", "  ")
		files = append(files, newFile{prefix + ".id.json", 0o644, append(data, '\n')})
	}
	if err := writeNew(files); err != nil {
		return err
	}
	a.printKeygen(a.stdout, files, kp.KeyID, prof.AgeRecipient)
	return nil
}

func (a *app) printKeygen(w io.Writer, files []newFile, keyID, recipient string) {
	for _, f := range files {
		fmt.Fprintf(w, "wrote %s\n", f.path)
	}
	fmt.Fprintf(w, "key id: %s\n", keyID)
	if recipient != "" {
		fmt.Fprintf(w, "age recipient: %s\n", recipient)
	}
}
