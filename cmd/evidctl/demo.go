package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/crypto/seal"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/atomicfile"
	"github.com/evidctl/evidctl/internal/testkit"
	"github.com/evidctl/evidctl/ledger/ledgerurl"
	"github.com/evidctl/evidctl/ledger/posixlog"
)

type demoFlags struct{ keep string }

func (f *demoFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.keep, "keep", "", "keep the case in DIR (new or empty) instead of a temporary directory")
}

func (f *demoFlags) validate([]string) error { return nil }

func (a *app) demoCommand() *cobra.Command {
	f := &demoFlags{}
	return command(&cobra.Command{
		Use:   "demo [--keep DIR]",
		Short: "run a whole cross-border case in a temporary directory and verify it",
		Long: `demo runs a cross-border case end to end, with nothing to set up: a forensic lab in
France acquires a disk image and transfers it to the central authority of Germany,
which receives it and reseals it to a prosecutor in Brazil, who receives it. The
prosecutor's identity then verifies the bundle and decrypts the payload. Last, one byte
of a copy of the payload is changed, and verification shows the change caught.

Two witnesses of the requesting state, its central authority and a court, run in the
same process on 127.0.0.1 and cosign every checkpoint of the log: every receipt is
witnessed, the verification requires both, and the report names them.

Everything happens in a temporary directory on an embedded log, removed at the end.
With --keep DIR it happens in DIR and stays: each party's public key (NAME.pub), age
identity (NAME.age.txt, 0600) and recipient, the log (DIR is an evidctl home) and the
witnesses' directories, the bundle case.custody.json, the payloads case.age and
case-tampered.age, the trust policy trust.json and the report case-report.md. The
demo's signing keys exist only in memory.`,
		Args: noArgs,
	}, f, func(ctx context.Context, _ []string) error {
		dir, cleanup, err := demoDir(f.keep)
		if err != nil {
			return err
		}
		defer cleanup()
		return a.demo(ctx, dir, f.keep != "")
	})
}

// demoDir is the demo's directory: --keep DIR (created, or empty) or a temporary one
// that cleanup removes.
func demoDir(keep string) (dir string, cleanup func(), err error) {
	if keep == "" {
		dir, err := os.MkdirTemp("", "evidctl-demo-")
		if err != nil {
			return "", nil, failErr(err)
		}
		return dir, func() { _ = os.RemoveAll(dir) }, nil
	}
	entries, err := os.ReadDir(keep)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(keep, 0o777); err != nil {
			return "", nil, failErr(fmt.Errorf("creating %s: %w", keep, err))
		}
	case err != nil:
		return "", nil, failErr(fmt.Errorf("--keep %s: %w", keep, err))
	case len(entries) > 0:
		return "", nil, usageErr(fmt.Sprintf("--keep %s is not empty", keep), "give a new or empty directory: the demo never overwrites a file")
	}
	return keep, func() {}, nil
}

func (a *app) step(format string, args ...any) {
	fmt.Fprintf(a.stdout, "==> "+format+"\n", args...)
}

// demoCase is the demo's case as it goes: where it is kept, the policy that trusts the
// log and the parties, and the parties.
type demoCase struct {
	dir                        string
	policy                     *custody.Policy
	lab, authority, prosecutor *testkit.Party
	bundle                     *custody.Bundle
	payload                    []byte // the current sealed payload
	keep                       bool
}

func (a *app) demo(ctx context.Context, dir string, keep bool) (err error) {
	a.step("setting up in %s: an embedded log, two witnesses and three parties", dir)
	ws, err := startDemoWitnesses(ctx, dir)
	if err != nil {
		return failErr(err)
	}
	defer func() {
		if serr := ws.stop(); err == nil && serr != nil {
			err = failErr(serr)
		}
	}()
	c := &demoCase{dir: dir, policy: &custody.Policy{}, keep: keep}
	l, err := a.demoLog(ctx, c, ws)
	if err != nil {
		return err
	}
	defer l.Close()
	parties := []**testkit.Party{&c.lab, &c.authority, &c.prosecutor}
	for i, who := range []custody.Party{
		{Name: "A. Examiner", Organization: "Laboratoire de criminalistique", Role: "forensic examiner", Jurisdiction: "FR"},
		{Name: "B. Officer", Organization: "Bundesamt für Justiz", Role: "central authority", Jurisdiction: "DE"},
		{Name: "C. Promotora", Organization: "Ministério Público Federal", Role: "prosecutor", Jurisdiction: "BR"},
	} {
		if *parties[i], err = testkit.MakeParty(who, l, c.policy); err != nil {
			return failErr(err)
		}
		if err := c.writeParty([]string{"lab", "authority", "prosecutor"}[i], *parties[i]); err != nil {
			return err
		}
		a.step("party %s, key %s", who, (*parties[i]).Actor.KeyID[:16])
	}
	if err := c.writeHome(); err != nil {
		return err
	}
	if err := a.demoCustody(ctx, c); err != nil {
		return err
	}
	if err := a.demoVerify(ctx, c); err != nil {
		return err
	}
	return a.demoTamper(ctx, c)
}

// demoLog makes the demo's embedded log, cosigned by the witnesses, and has the policy
// trust it under their witness policy.
func (a *app) demoLog(ctx context.Context, c *demoCase, ws *demoWitnesses) (*testkit.Log, error) {
	l, err := testkit.NewLog(ctx, filepath.Join(c.dir, ledgerurl.HomeLogDir), "evidctl.local/demo", c.policy, posixlog.WithWitnessPolicy(ws.policy))
	if err != nil {
		return nil, failErr(err)
	}
	if err := ws.accept(l.Origin(), l.VerifierKey()); err != nil {
		_ = l.Close()
		return nil, failErr(err)
	}
	if err := c.policy.AddLog(custody.TrustedLog{Origin: l.Origin(), Key: l.VerifierKey(), WitnessPolicy: string(ws.policy)}); err != nil {
		_ = l.Close()
		return nil, failErr(err)
	}
	for i, w := range ws.names {
		a.step("witness %s, run by %s (the requesting state), cosigns every checkpoint; the verifier requires it", w, ws.who[i])
	}
	return l, nil
}

// writeParty writes a party's public key, age identity and recipient.
func (c *demoCase) writeParty(name string, p *testkit.Party) error {
	id, err := seal.FormatIdentity(p.Identity, time.Now().UTC())
	if err != nil {
		return failErr(err)
	}
	prefix := filepath.Join(c.dir, name)
	return writeNew([]newFile{{prefix + ".pub", 0o644, p.PublicPEM}, {prefix + ".age.txt", 0o600, id},
		{prefix + ".recipient.txt", 0o644, []byte(p.Recipient + "\n")}})
}

// writeHome writes the log's verifier key and the trust policy: with the log, the
// directory is an evidctl home.
func (c *demoCase) writeHome() error {
	if err := writeNew([]newFile{{filepath.Join(c.dir, ledgerurl.HomeLogVerifierKey), 0o644, []byte(c.policy.Logs[0].Key + "\n")}}); err != nil {
		return err
	}
	if err := c.policy.WriteFile(filepath.Join(c.dir, "trust.json")); err != nil {
		return failErr(err)
	}
	return nil
}

func (a *app) demoCustody(ctx context.Context, c *demoCase) error {
	lab, authority, prosecutor := c.lab, c.authority, c.prosecutor
	image := make([]byte, 1<<20)
	_, _ = rand.Read(image)
	mla := &custody.Legal{Kind: custody.MLA, Basis: "UNTOC art. 18", Reference: "MLA 2026/44", Requesting: "MPF Brazil", Requested: "BfJ Germany"}
	var payload bytes.Buffer
	b, err := lab.Custodian.Acquire(ctx, custody.Evidence{Description: "laptop.dd", MediaType: "application/octet-stream",
		Source: bytes.NewReader(image), Sealed: &payload},
		custody.Sealing{Recipients: []string{lab.Recipient, authority.Recipient}},
		custody.Details{Case: "FR-2026-17", Location: "Lyon", Legal: &custody.Legal{Kind: custody.Domestic, Basis: "CPP art. 56"}})
	if err != nil {
		return failErr(err)
	}
	a.step("lab (FR) acquired laptop.dd (%d bytes), sealed to itself and the central authority: %d-byte payload", len(image), payload.Len())
	var resealed bytes.Buffer
	for _, s := range []struct {
		done   string
		record func() (*custody.Record, error)
	}{
		{"lab (FR) transferred the item to the central authority (DE)", func() (*custody.Record, error) {
			return lab.Custodian.Transfer(ctx, b, "", authority.Actor, custody.Details{Purpose: "execution of the MLA request", Legal: mla})
		}},
		{"central authority (DE) received it after checking the payload digest", func() (*custody.Record, error) {
			return authority.Custodian.Receive(ctx, b, "", bytes.NewReader(payload.Bytes()), custody.Details{})
		}},
		{"central authority (DE) resealed the payload to the prosecutor (BR)", func() (*custody.Record, error) {
			return authority.Custodian.Reseal(ctx, b, "", bytes.NewReader(payload.Bytes()), []age.Identity{authority.Identity}, &resealed,
				custody.Sealing{Recipients: []string{prosecutor.Recipient}}, custody.Details{Purpose: "seal to the requesting prosecutor"})
		}},
		{"central authority (DE) transferred the item to the prosecutor (BR)", func() (*custody.Record, error) {
			return authority.Custodian.Transfer(ctx, b, "", prosecutor.Actor, custody.Details{Purpose: "transmission to the requesting state", Legal: mla})
		}},
		{"prosecutor (BR) received it", func() (*custody.Record, error) {
			return prosecutor.Custodian.Receive(ctx, b, "", bytes.NewReader(resealed.Bytes()), custody.Details{})
		}},
	} {
		if _, err := s.record(); err != nil {
			return failErr(err)
		}
		a.step("%s", s.done)
	}
	c.bundle, c.payload = b, resealed.Bytes()
	return nil
}

// demoVerify writes the bundle and the payload, reads the bundle back and verifies it
// with the prosecutor's identity, printing the report and writing it as Markdown.
func (a *app) demoVerify(ctx context.Context, c *demoCase) error {
	bundlePath := filepath.Join(c.dir, "case"+custody.BundleSuffix)
	if err := c.bundle.WriteFile(bundlePath); err != nil {
		return failErr(err)
	}
	if err := writeNew([]newFile{{filepath.Join(c.dir, "case"+custody.PayloadSuffix), 0o644, c.payload}}); err != nil {
		return err
	}
	a.step("wrote case.custody.json (%d %s) and case.age", len(c.bundle.Events), plural(len(c.bundle.Events), "event", "events"))
	b, err := custody.ReadBundle(bundlePath)
	if err != nil {
		return failErr(err)
	}
	a.step("verifying with the prosecutor's identity:")
	rep, err := custody.Verify(ctx, b, c.policy, custody.WithPayload("case.age", bytes.NewReader(c.payload)),
		custody.WithIdentities(c.prosecutor.Identity))
	if err != nil {
		return failErr(err)
	}
	fmt.Fprintln(a.stdout)
	if err := rep.WriteText(a.stdout); err != nil {
		return failErr(err)
	}
	fmt.Fprintln(a.stdout)
	if !rep.Valid {
		return invalidErr(fmt.Errorf("the demo case did not verify"))
	}
	report := filepath.Join(c.dir, "case-report.md")
	err = atomicfile.Write(report, 0o644, func(w io.Writer) error {
		return rep.WriteMarkdown(w, "Chain of custody verification: the demo case",
			"bundle: case.custody.json", "trust policy: trust.json", "sealed payload checked: case.age",
			"payload decrypted with the prosecutor's identity and its plaintext checked (nothing written)")
	})
	if err != nil {
		return failErr(err)
	}
	return nil
}

// demoTamper flips one byte of a copy of the payload and shows verification catch it.
func (a *app) demoTamper(ctx context.Context, c *demoCase) error {
	tampered := bytes.Clone(c.payload)
	off := len(tampered) / 2
	tampered[off] ^= 0x01
	if err := writeNew([]newFile{{filepath.Join(c.dir, "case-tampered.age"), 0o644, tampered}}); err != nil {
		return err
	}
	a.step("tamper check: flipped byte %d of a copy of the payload, case-tampered.age, and verified again:", off)
	rep, err := custody.Verify(ctx, c.bundle, c.policy, custody.WithPayload("case-tampered.age", bytes.NewReader(tampered)))
	if err != nil {
		return failErr(err)
	}
	if rep.Valid {
		return invalidErr(errors.New("the demo's tampered payload verified: the change was not caught"))
	}
	for _, f := range rep.Failures {
		fmt.Fprintf(a.stdout, "    %s: rule %s: %s\n", f.Where("bundle"), f.Rule, f.Detail)
		if f.Expected != "" {
			fmt.Fprintf(a.stdout, "      expected: %s\n      found:    %s\n", f.Expected, f.Found)
		}
	}
	a.step("the one-byte change was caught: the demo succeeded")
	if c.keep {
		a.step("kept in %s: NAME.pub, NAME.age.txt, NAME.recipient.txt, the log (an evidctl home), the witnesses' directories, case.custody.json, case.age, case-tampered.age, trust.json, case-report.md", c.dir)
		a.step("verify it again: evidctl verify %s --trust %s --identity %s", filepath.Join(c.dir, "case"+custody.BundleSuffix),
			filepath.Join(c.dir, "trust.json"), filepath.Join(c.dir, "prosecutor.age.txt"))
	}
	return nil
}
