package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/ledger"
)

// signFlags say who signs an event and where it is logged.
type signFlags struct {
	key  string
	cert string
	who  actorFlags
	home homeFlags
	spec ledgerSpec
}

func (f *signFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.key, "key", "", "your signing key (PREFIX.key from keygen)")
	cmd.Flags().StringVar(&f.cert, "cert", "", "your X.509 certificate (PEM, leaf then intermediates) for the key, carried in every event you sign, for policies that trust certificate roots (default: PREFIX.crt beside PREFIX.key, if present)")
	f.who.register(cmd, "actor")
	f.home.register(cmd, true)
}

// validate checks the flags without any I/O.
func (f *signFlags) validate() error {
	if f.key == "" {
		return usageErr("--key is required (your signing key)", "make one with 'evidctl keygen --out PREFIX'")
	}
	if err := f.who.validate(); err != nil {
		return err
	}
	spec, err := f.home.ledgerSpec()
	f.spec = spec
	return err
}

// session is an open custodian and its ledger.
type session struct {
	custodian *custody.Custodian
	ledger    ledger.Ledger
}

func (s *session) close() { _ = s.ledger.Close() }

// open loads the signing key (asking for its password), opens the ledger and returns
// the custodian.
func (a *app) open(ctx context.Context, f *signFlags) (*session, error) {
	if _, err := os.Stat(f.key); err != nil {
		return nil, fileErr("signing key", f.key, err)
	}
	who, err := f.who.party(f.key)
	if err != nil {
		return nil, err
	}
	actor := custody.Actor{Party: who}
	signer, err := a.loadSigner(f.key)
	if err != nil {
		return nil, err
	}
	cert := f.cert
	if sibling := strings.TrimSuffix(f.key, ".key") + ".crt"; cert == "" && sibling != f.key {
		if _, err := os.Stat(sibling); err == nil {
			cert = sibling
		}
	}
	if cert != "" {
		if actor.Certificate, err = certificateFor(cert, signer); err != nil {
			return nil, err
		}
	}
	l, err := openLedger(ctx, f.spec)
	if err != nil {
		return nil, err
	}
	c, err := custody.NewCustodian(signer, actor, l)
	if err != nil {
		_ = l.Close()
		return nil, usageErr(err.Error(), "check --actor and --jurisdiction, or the key's .id.json profile")
	}
	return &session{custodian: c, ledger: l}, nil
}

// detailFlags are the facts an event records: case, place, purpose, legal authority, tool.
type detailFlags struct {
	caseID, location, purpose          string
	kind, basis, ref, requesting, reqd string
	tool, toolVersion                  string
	defaultKind                        custody.LegalKind
	needKind                           bool
}

func (f *detailFlags) registerLegal(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.kind, "legal-kind", "", "legal authority: "+legalKinds())
	cmd.Flags().StringVar(&f.basis, "legal-basis", "", `legal basis, e.g. "UNTOC art. 18"`)
	cmd.Flags().StringVar(&f.ref, "legal-ref", "", "reference of the order or request")
	cmd.Flags().StringVar(&f.requesting, "requesting-authority", "", "the requesting authority")
	cmd.Flags().StringVar(&f.reqd, "requested-authority", "", "the requested authority")
}

func (f *detailFlags) registerCase(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.caseID, "case", "", "case identifier")
	cmd.Flags().StringVar(&f.location, "location", "", "where this happens")
}

func (f *detailFlags) registerPurpose(cmd *cobra.Command, required bool) {
	usage := "why"
	if required {
		usage += " (required)"
	}
	cmd.Flags().StringVar(&f.purpose, "purpose", "", usage)
}

func (f *detailFlags) registerTool(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.tool, "tool", "", "name of the tool used")
	cmd.Flags().StringVar(&f.toolVersion, "tool-version", "", "version of the tool used")
}

func legalKinds() string {
	s := make([]string, len(custody.LegalKinds))
	for i, k := range custody.LegalKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func (f *detailFlags) validate() error {
	if f.kind != "" && !slices.Contains(custody.LegalKinds, custody.LegalKind(f.kind)) {
		return usageErr(fmt.Sprintf("--legal-kind %q is not one of %s", f.kind, legalKinds()))
	}
	if f.kind == "" && f.defaultKind == "" && (f.basis != "" || f.ref != "" || f.requesting != "" || f.reqd != "") {
		return usageErr("--legal-basis, --legal-ref and the authorities need --legal-kind", "kinds: "+legalKinds())
	}
	if f.needKind && f.kind == "" && f.defaultKind == "" {
		return usageErr("--legal-kind is required", "kinds: "+legalKinds())
	}
	if f.toolVersion != "" && f.tool == "" {
		return usageErr("--tool-version needs --tool")
	}
	return nil
}

func (f *detailFlags) details() custody.Details {
	d := custody.Details{Case: f.caseID, Location: f.location, Purpose: f.purpose}
	kind := custody.LegalKind(f.kind)
	if kind == "" {
		kind = f.defaultKind
	}
	if kind != "" {
		d.Legal = &custody.Legal{Kind: kind, Basis: f.basis, Reference: f.ref, Requesting: f.requesting, Requested: f.reqd}
	}
	if f.tool != "" {
		d.Tool = &custody.Tool{Name: f.tool, Version: f.toolVersion}
	}
	return d
}

// bundleName strips the bundle suffix: case.custody.json → case.
func bundleName(path string) string {
	return strings.TrimSuffix(path, custody.BundleSuffix)
}

func requireOut(out, what string) error {
	if out == "" {
		return usageErr("--out NAME is required", "the command writes "+what)
	}
	if strings.HasSuffix(out, custody.BundleSuffix) || strings.HasSuffix(out, custody.PayloadSuffix) {
		return usageErr(fmt.Sprintf("--out %s: give the name without a suffix", out), "for example --out case writes case.custody.json and case.age")
	}
	return nil
}

// certificateFor reads a PEM certificate chain and checks that its leaf certifies the
// signing key, so that no event is signed with a certificate that cannot verify it.
func certificateFor(path string, signer *sign.Signer) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fileErr("certificate", path, err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return "", usageErr(fmt.Sprintf("certificate %s: no PEM CERTIFICATE block", path))
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", usageErr(fmt.Sprintf("certificate %s: %v", path, err))
	}
	id, err := sign.KeyID(cert.PublicKey)
	if err != nil || id != signer.KeyID() {
		return "", usageErr(fmt.Sprintf("certificate %s does not certify the signing key %s", path, signer.KeyID()),
			"give the certificate issued for this key (its first PEM block is the leaf)")
	}
	return string(data), nil
}
