package tsa

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
)

// Authority is one time-stamping authority a verifier trusts: its root certificates
// (trust anchors: a CA, or the TSA's own certificate), optional intermediate CA
// certificates for tokens that do not carry their chain, and an optional name.
type Authority struct {
	// Name names the authority in reports; empty means the signing certificate's subject.
	Name string
	// Roots are the trust anchors. At least one.
	Roots []*x509.Certificate
	// Intermediates may complete chains from a token's signer to Roots.
	Intermediates []*x509.Certificate
}

// ParseAuthority builds an Authority from PEM: rootsPEM holds one or more CERTIFICATE
// blocks, intermediatesPEM zero or more. Any other block, or text outside the blocks,
// is refused.
func ParseAuthority(name string, rootsPEM, intermediatesPEM []byte) (Authority, error) {
	roots, err := parseCertificates(rootsPEM)
	if err != nil {
		return Authority{}, fmt.Errorf("reading the roots of TSA %q: %w", name, err)
	}
	if len(roots) == 0 {
		return Authority{}, fmt.Errorf("reading the roots of TSA %q: no certificate", name)
	}
	intermediates, err := parseCertificates(intermediatesPEM)
	if err != nil {
		return Authority{}, fmt.Errorf("reading the intermediates of TSA %q: %w", name, err)
	}
	return Authority{Name: name, Roots: roots, Intermediates: intermediates}, nil
}

// parseCertificates decodes PEM CERTIFICATE blocks, strictly.
func parseCertificates(b []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for rest := bytes.TrimSpace(b); len(rest) > 0; rest = bytes.TrimSpace(rest) {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("not PEM, or text outside the PEM blocks")
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block %d is %q, want CERTIFICATE", len(certs)+1, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// Verifier checks tokens against the authorities of a trust policy. It is safe for
// concurrent use. It remembers the last verifiedMemo results, so that the receipts of
// one checkpoint, which all carry one token, cost one verification.
type Verifier struct {
	authorities []trusted
	verified    *fifoCache[[sha256.Size]byte, Timestamp]
}

// verifiedMemo is how many verified tokens a Verifier remembers.
const verifiedMemo = 4096

type trusted struct {
	name          string
	roots         *x509.CertPool
	intermediates []*x509.Certificate
}

// NewVerifier returns a Verifier that trusts exactly these authorities. It fails when
// there are none, or one has no root.
func NewVerifier(authorities ...Authority) (*Verifier, error) {
	if len(authorities) == 0 {
		return nil, errors.New("a TSA verifier needs at least one trusted authority")
	}
	v := &Verifier{verified: newFIFOCache[[sha256.Size]byte, Timestamp](verifiedMemo)}
	for i, a := range authorities {
		if len(a.Roots) == 0 {
			return nil, fmt.Errorf("trusted TSA %d (%q) has no root certificate", i+1, a.Name)
		}
		t := trusted{name: a.Name, roots: x509.NewCertPool(), intermediates: slices.Clone(a.Intermediates)}
		for _, r := range a.Roots {
			t.roots.AddCert(r)
		}
		v.authorities = append(v.authorities, t)
	}
	return v, nil
}

// Timestamp is what a verified token proves: the checkpoint existed at Time, within
// Accuracy, by the word of Authority.
type Timestamp struct {
	// Time is the token's genTime: when the TSA saw the checkpoint.
	Time time.Time
	// Accuracy is the TSA's stated accuracy of Time; zero when the token states none.
	Accuracy time.Duration
	// Authority is the trusted authority's configured name, or Subject when it has none.
	Authority string
	// Subject is the distinguished name of the certificate that signed the token.
	Subject string
	// Serial is the token's serial number, unique per TSA.
	Serial *big.Int
	// Policy is the TSA policy the token was issued under (a dotted OID).
	Policy string
}

// clone returns a copy of t that shares nothing with it.
func (t Timestamp) clone() *Timestamp {
	if t.Serial != nil {
		t.Serial = new(big.Int).Set(t.Serial)
	}
	return &t
}

// Earliest returns the earliest instant Time may stand for: Time - Accuracy.
func (t *Timestamp) Earliest() time.Time { return t.Time.Add(-t.Accuracy) }

// Latest returns the latest instant Time may stand for: Time + Accuracy. The checkpoint
// existed by then: this is the upper bound of the events under it.
func (t *Timestamp) Latest() time.Time { return t.Time.Add(t.Accuracy) }

// Verify checks that token is an RFC 3161 TimeStampToken (DER) over checkpoint (a signed
// checkpoint note, whose own signatures the caller verifies, with ledger.Trust), issued
// by an authority v trusts, and returns the time it proves.
//
// The checks, in order: the token is well formed and within MaxTokenSize, with exactly
// one signer whose certificate it carries (ErrMalformed); its signature verifies
// (ErrBadSignature); its imprint is SHA-256 of the checkpoint body ([ImprintError],
// ErrWrongCheckpoint); the signing certificate has the one, critical, time-stamping
// extended key usage of RFC 3161 section 2.3 ([UsageError], ErrNotTimestamping); and it
// chains to a trusted authority's roots, every certificate valid at the token's time and
// allowing time-stamping ([UntrustedError], ErrUntrusted).
//
// The chain is judged at the token's time, not now, so a token stays valid after its TSA
// certificate expires: a bundle is verified years later. This relies on what RFC 3161
// and ETSI EN 319 421 require of a TSA, that its key signs nothing after its
// certificate's life. Revocation is not checked, nor the TSA policy OID (it is reported);
// to stop trusting an authority, take it out of the policy.
func (v *Verifier) Verify(token, checkpoint []byte) (*Timestamp, error) {
	want, err := Imprint(checkpoint)
	if err != nil {
		return nil, err
	}
	// Verify is a function of the token, the checkpoint body and the policy, which a
	// Verifier never changes: a result already proven is proven.
	memo := sha256.New()
	memo.Write(want[:])
	memo.Write(token)
	key := [sha256.Size]byte(memo.Sum(nil))
	if ts, ok := v.verified.get(key); ok {
		return ts.clone(), nil
	}
	ts, err := v.verify(token, want)
	if err != nil {
		return nil, err
	}
	v.verified.put(key, *ts)
	return ts.clone(), nil
}

// verify is Verify without the memo.
func (v *Verifier) verify(token []byte, want [sha256.Size]byte) (*Timestamp, error) {
	p, err := inspect(token, want)
	if err != nil {
		return nil, err
	}
	name, err := v.chain(p)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = p.signer.Subject.String()
	}
	return p.timestamp(name), nil
}

// checkImprint checks that the token's imprint is SHA-256 and equals want.
func (p *parsedToken) checkImprint(want [sha256.Size]byte) error {
	if p.ts.HashAlgorithm != crypto.SHA256 || !bytes.Equal(p.ts.HashedMessage, want[:]) {
		return &ImprintError{Want: want[:], Got: p.ts.HashedMessage, Algorithm: p.ts.HashAlgorithm.String()}
	}
	return nil
}

// oidExtKeyUsage is the extended key usage extension (RFC 5280 section 4.2.1.12).
var oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}

// checkUsage applies RFC 3161 section 2.3 to the signing certificate, as `openssl ts
// -verify` does: the extended key usage is exactly id-kp-timeStamping and critical, and
// the key usage, when present, allows only digitalSignature and nonRepudiation.
func checkUsage(c *x509.Certificate) error {
	fail := func(reason string) error { return &UsageError{Subject: c.Subject.String(), Reason: reason} }
	if len(c.ExtKeyUsage) != 1 || len(c.UnknownExtKeyUsage) != 0 || c.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping {
		return fail(fmt.Sprintf("extended key usage is %s, want exactly timeStamping", describeEKU(c)))
	}
	for _, ext := range c.Extensions {
		if ext.Id.Equal(oidExtKeyUsage) && !ext.Critical {
			return fail("the extended key usage extension is not critical")
		}
	}
	const allowed = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	if c.KeyUsage != 0 && (c.KeyUsage&^allowed != 0 || c.KeyUsage&allowed == 0) {
		return fail(fmt.Sprintf("key usage %#x allows more than digitalSignature and nonRepudiation", c.KeyUsage))
	}
	return nil
}

// describeEKU lists a certificate's extended key usages for an error message.
func describeEKU(c *x509.Certificate) string {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return "absent"
	}
	var names []string
	for _, u := range c.ExtKeyUsage {
		names = append(names, ekuName(u))
	}
	for _, oid := range c.UnknownExtKeyUsage {
		names = append(names, oid.String())
	}
	return strings.Join(names, ", ")
}

func ekuName(u x509.ExtKeyUsage) string {
	switch u {
	case x509.ExtKeyUsageAny:
		return "any"
	case x509.ExtKeyUsageServerAuth:
		return "serverAuth"
	case x509.ExtKeyUsageClientAuth:
		return "clientAuth"
	case x509.ExtKeyUsageCodeSigning:
		return "codeSigning"
	case x509.ExtKeyUsageEmailProtection:
		return "emailProtection"
	case x509.ExtKeyUsageTimeStamping:
		return "timeStamping"
	case x509.ExtKeyUsageOCSPSigning:
		return "OCSPSigning"
	}
	return fmt.Sprintf("usage#%d", u)
}

// chain verifies the signer against each trusted authority in turn and returns the name
// of the first that accepts it.
func (v *Verifier) chain(p *parsedToken) (string, error) {
	at := p.ts.Time
	var reasons []error
	for _, a := range v.authorities {
		intermediates := x509.NewCertPool()
		for _, c := range p.ts.Certificates {
			intermediates.AddCert(c)
		}
		for _, c := range a.intermediates {
			intermediates.AddCert(c)
		}
		_, err := p.signer.Verify(x509.VerifyOptions{
			Roots:         a.roots,
			Intermediates: intermediates,
			CurrentTime:   at,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
		})
		if err == nil {
			return a.name, nil
		}
		reasons = append(reasons, fmt.Errorf("TSA %q: %v", a.name, err))
	}
	return "", &UntrustedError{
		Subject: p.signer.Subject.String(),
		Issuer:  p.signer.Issuer.String(),
		At:      at,
		Reasons: reasons,
	}
}
