package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
	"github.com/evidctl/evidctl/ledger/posixlog"
)

func (a *app) demoCommand() *cobra.Command {
	return command(&cobra.Command{
		Use:   "demo",
		Short: "run a whole cross-border case in a temporary directory and verify it",
		Long: `demo runs a cross-border case end to end, with nothing to set up: a forensic lab in
France acquires a disk image and transfers it to the central authority of Germany,
which receives it and reseals it to a prosecutor in Brazil, who receives it. The
prosecutor's identity then verifies the bundle and decrypts the payload. Everything
happens in a temporary directory on an embedded log, which is removed at the end.

Two witnesses of the requesting state, its central authority and a court, run in the
same process on 127.0.0.1 and cosign every checkpoint of the log: every receipt is
witnessed, the verification requires both, and the report names them.`,
		Args: noArgs,
	}, noFlags{}, func(ctx context.Context, _ []string) error {
		dir, err := os.MkdirTemp("", "evidctl-demo-")
		if err != nil {
			return failErr(err)
		}
		defer os.RemoveAll(dir)
		return a.demo(ctx, dir)
	})
}

func (a *app) step(format string, args ...any) {
	fmt.Fprintf(a.stdout, "==> "+format+"\n", args...)
}

func (a *app) demo(ctx context.Context, dir string) (err error) {
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
	policy := &custody.Policy{}
	l, err := testkit.NewLog(ctx, filepath.Join(dir, "log"), "evidctl.local/demo", policy, posixlog.WithWitnessPolicy(ws.policy))
	if err != nil {
		return failErr(err)
	}
	defer l.Close()
	if err := ws.accept(l.Origin(), l.VerifierKey()); err != nil {
		return failErr(err)
	}
	if err := policy.AddLog(custody.TrustedLog{Origin: l.Origin(), Key: l.VerifierKey(), WitnessPolicy: string(ws.policy)}); err != nil {
		return failErr(err)
	}
	for i, w := range ws.names {
		a.step("witness %s, run by %s (the requesting state), cosigns every checkpoint; the verifier requires it", w, ws.who[i])
	}
	var ps [3]*testkit.Party
	for i, who := range []custody.Party{
		{Name: "A. Examiner", Organization: "Laboratoire de criminalistique", Role: "forensic examiner", Jurisdiction: "FR"},
		{Name: "B. Officer", Organization: "Bundesamt für Justiz", Role: "central authority", Jurisdiction: "DE"},
		{Name: "C. Promotora", Organization: "Ministério Público Federal", Role: "prosecutor", Jurisdiction: "BR"},
	} {
		if ps[i], err = testkit.MakeParty(who, l, policy); err != nil {
			return failErr(err)
		}
		a.step("party %s, key %s", who, ps[i].Actor.KeyID[:16])
	}
	return a.demoCase(ctx, dir, policy, ps[0], ps[1], ps[2])
}

func (a *app) demoCase(ctx context.Context, dir string, policy *custody.Policy, lab, authority, prosecutor *testkit.Party) error {
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
	return a.demoVerify(ctx, dir, b, policy, prosecutor, resealed.Bytes())
}

func (a *app) demoVerify(ctx context.Context, dir string, b *custody.Bundle, policy *custody.Policy, prosecutor *testkit.Party, payload []byte) error {
	bundlePath := filepath.Join(dir, "case"+custody.BundleSuffix)
	if err := b.WriteFile(bundlePath); err != nil {
		return failErr(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "case"+custody.PayloadSuffix), payload, 0o644); err != nil {
		return failErr(err)
	}
	a.step("wrote case.custody.json (%d events) and case.age", len(b.Events))
	b, err := custody.ReadBundle(bundlePath)
	if err != nil {
		return failErr(err)
	}
	a.step("verifying with the prosecutor's identity:")
	rep, err := custody.Verify(ctx, b, policy, custody.WithPayload("case.age", bytes.NewReader(payload)),
		custody.WithIdentities(prosecutor.Identity))
	if err != nil {
		return failErr(err)
	}
	fmt.Fprintln(a.stdout)
	if err := rep.WriteText(a.stdout); err != nil {
		return failErr(err)
	}
	if !rep.Valid {
		return invalidErr(fmt.Errorf("the demo case did not verify"))
	}
	return nil
}
