package main

import (
	"cmp"
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

// The flags that several commands share. Each command's own flags struct embeds
// these and validates them in its validate method (see command in main.go).

// signFlags say who signs an event and where it is logged.
type signFlags struct {
	key  string
	cert string
	who  actorFlags
	home homeFlags
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
	_, _, err := f.home.ledgerSpec()
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
func (a *app) open(ctx context.Context, f *signFlags, known *custody.Bundle) (*session, error) {
	k, err := a.prepareKey(f)
	if err != nil {
		return nil, err
	}
	return a.openSession(ctx, f, k, known)
}

// keyToOpen is a signing key whose password has been read, not yet opened.
type keyToOpen struct {
	path     string
	who      custody.Party
	password []byte
}

// prepareKey does the quick part of opening a session, which may ask on the terminal:
// it checks that the key exists, reads the signer's profile and the key's password.
func (a *app) prepareKey(f *signFlags) (*keyToOpen, error) {
	if err := checkSigningKey(f.key); err != nil {
		return nil, err
	}
	who, err := f.who.party(f.key)
	if err != nil {
		return nil, err
	}
	pw, err := a.passFunc()(false)
	if err != nil {
		return nil, err
	}
	return &keyToOpen{path: f.key, who: who, password: pw}, nil
}

// openSession does the slow part: it decrypts the key (scrypt: a few hundred
// milliseconds and 64 MiB), reads its certificate, opens the ledger and returns the
// custodian. It asks nothing on the terminal, so it may run beside other work.
func (a *app) openSession(ctx context.Context, f *signFlags, k *keyToOpen, known *custody.Bundle) (*session, error) {
	actor := custody.Actor{Party: k.who}
	signer, err := a.loadSigner(k.path, func(bool) ([]byte, error) { return k.password, nil })
	clear(k.password)
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
	l, err := f.home.openLedger(ctx, a.stderr, known)
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

// pendingSession is a session being opened on another goroutine (openSessionLater).
type pendingSession struct {
	done chan struct{}
	s    *session
	err  error
}

// openSessionLater starts openSession on another goroutine and returns at once; when
// it fails it calls stop, so that work begun meanwhile ends early.
func (a *app) openSessionLater(ctx context.Context, f *signFlags, k *keyToOpen, stop func()) *pendingSession {
	p := &pendingSession{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		if p.s, p.err = a.openSession(ctx, f, k, nil); p.err != nil {
			stop()
		}
	}()
	return p
}

// wait returns the session once it is open, or why it could not be.
func (p *pendingSession) wait() (*session, error) {
	<-p.done
	return p.s, p.err
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
	if err != nil {
		return err
	}
	return f.checkText("")
}

// checkText refuses names, organisations and roles with control or bidi characters;
// prefix is the flags' prefix ("to-" for a transfer's recipient).
func (f *actorFlags) checkText(prefix string) error {
	name := "name"
	if prefix != "" {
		name = prefix + "name"
	}
	return checkTexts(name, f.name, prefix+"org", f.org, prefix+"role", f.role)
}

// checkTexts refuses flag values (given as flag name, value pairs) holding a control,
// format or bidi character: printed later in a report or on a terminal, such text
// could disguise what it says.
func checkTexts(flagValues ...string) error {
	for i := 0; i+1 < len(flagValues); i += 2 {
		if err := custody.CheckText("--"+flagValues[i], flagValues[i+1]); err != nil {
			return usageErr(err.Error(), "type the text without control characters, line breaks or direction overrides")
		}
	}
	return nil
}

// party merges the flags over the profile of the key at keyPath.
func (f *actorFlags) party(keyPath string) (custody.Party, error) {
	p, err := readProfile(keyPath)
	if err != nil {
		return custody.Party{}, err
	}
	who := custody.Party{Name: cmp.Or(f.name, p.Name), Organization: cmp.Or(f.org, p.Organization), Role: cmp.Or(f.role, p.Role),
		Jurisdiction: cmp.Or(f.jurisdiction, p.Jurisdiction)}
	if who.Name == "" {
		return who, usageErr("who is signing? no name given and no profile beside "+keyPath,
			"pass --actor NAME (and --org, --role, --jurisdiction), or create the key with 'evidctl keygen --name … --org …'")
	}
	return who, nil
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

// detailFlags are the facts an event records: case, place, purpose, legal authority, tool.
type detailFlags struct {
	caseID, location, purpose          string
	kind, basis, ref, requesting, reqd string
	tool, toolVersion                  string
	defaultKind                        custody.LegalKind
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
	if err := checkTexts("case", f.caseID, "location", f.location, "purpose", f.purpose, "legal-basis", f.basis, "legal-ref", f.ref,
		"requesting-authority", f.requesting, "requested-authority", f.reqd, "tool", f.tool, "tool-version", f.toolVersion); err != nil {
		return err
	}
	if f.kind != "" && !slices.Contains(custody.LegalKinds, custody.LegalKind(f.kind)) {
		return usageErr(fmt.Sprintf("--legal-kind %q is not one of %s", f.kind, legalKinds()))
	}
	if f.kind == "" && f.defaultKind == "" && (f.basis != "" || f.ref != "" || f.requesting != "" || f.reqd != "") {
		return usageErr("--legal-basis, --legal-ref and the authorities need --legal-kind", "kinds: "+legalKinds())
	}
	if f.toolVersion != "" && f.tool == "" {
		return usageErr("--tool-version needs --tool")
	}
	return nil
}

// requirePurpose refuses an empty --purpose, saying what it is for.
func (f *detailFlags) requirePurpose(why string) error {
	if f.purpose == "" {
		return usageErr("--purpose is required: " + why)
	}
	return nil
}

func (f *detailFlags) details() custody.Details {
	d := custody.Details{Case: f.caseID, Location: f.location, Purpose: f.purpose}
	if kind := cmp.Or(custody.LegalKind(f.kind), f.defaultKind); kind != "" {
		d.Legal = &custody.Legal{Kind: kind, Basis: f.basis, Reference: f.ref, Requesting: f.requesting, Requested: f.reqd}
	}
	if f.tool != "" {
		d.Tool = &custody.Tool{Name: f.tool, Version: f.toolVersion}
	}
	return d
}

// registerItem registers --item, the item an event is about.
func registerItem(cmd *cobra.Command, item *string) {
	cmd.Flags().StringVar(item, "item", "", "item id (default: the bundle's only item)")
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
	data, err := readInputFile("certificate", path, keyFileLimit)
	if err != nil {
		return "", err
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
