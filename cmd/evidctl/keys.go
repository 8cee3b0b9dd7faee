package main

import (
	"bytes"
	"context"
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
	"github.com/evidctl/evidctl/internal/smallfile"
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
	data, err := smallfile.Read(path, keyFileLimit)
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

// loadSigner opens an encrypted signing key with the password pass gives.
func (a *app) loadSigner(path string, pass sign.PassFunc) (*sign.Signer, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fileErr("signing key", path, err)
	}
	s, err := sign.LoadSignerFile(path, pass)
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

type keygenFlags struct {
	out, keyType string
	withAge      bool
	who          actorFlags
}

func (f *keygenFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.out, "out", "", "prefix of the files to write")
	cmd.Flags().StringVar(&f.keyType, "type", string(sign.ECDSAP256), "key type: "+strings.Join(keyTypes, ", "))
	cmd.Flags().BoolVar(&f.withAge, "age", false, "also make an age identity (PREFIX.age.txt) for sealed payloads")
	f.who.register(cmd, "name")
}

func (f *keygenFlags) validate([]string) error {
	if f.out == "" {
		return usageErr("keygen needs --out PREFIX", "for example: evidctl keygen --out lab --age --name 'A. Examiner' --org 'Lab' --jurisdiction FR")
	}
	if !slices.Contains(keyTypes, f.keyType) {
		return usageErr(fmt.Sprintf("--type %q is not one of %s", f.keyType, strings.Join(keyTypes, ", ")))
	}
	return f.who.validate()
}

func (a *app) keygenCommand() *cobra.Command {
	f := &keygenFlags{}
	return command(&cobra.Command{
		Use:   "keygen --out PREFIX [--type ecdsa-p256|ed25519|rsa-3072] [--age] [--name N --org O --role R --jurisdiction CC]",
		Short: "make a signing key (PREFIX.key, PREFIX.pub), optionally an age identity and a profile",
		Long: `keygen makes an encrypted signing key PREFIX.key (cosign-compatible PEM, 0600, password
from $EVIDCTL_PASSWORD or the terminal) and its public key PREFIX.pub. With --age it also
makes an age identity PREFIX.age.txt (0600) and PREFIX.recipient.txt (its public
recipient, to share). Identity flags are saved in PREFIX.id.json, a profile that later
commands read beside the key. Existing files are never overwritten.`,
		Args: noArgs,
	}, f, func(context.Context, []string) error {
		return a.keygen(f.out, sign.KeyType(f.keyType), f.withAge, f.who)
	})
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
