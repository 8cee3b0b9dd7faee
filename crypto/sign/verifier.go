package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

var (
	// ErrUntrustedCertificate means a certificate does not chain to the given roots
	// at the given time (expired, not yet valid, unknown issuer, wrong key usage).
	// The x509 error that explains why is wrapped beside it.
	ErrUntrustedCertificate = errors.New("untrusted certificate")
	// ErrNoIdentityConstraint means [VerifierFromCertificate] was given an [Identity]
	// with no constraint set: any certificate from the roots would be accepted.
	ErrNoIdentityConstraint = errors.New("no identity constraint")
)

// Verifier checks signatures made by one public key. It wraps a sigstore
// signature.Verifier: ECDSA over SHA-256, Ed25519 over the message, RSA PKCS #1
// v1.5 over SHA-256.
type Verifier struct {
	sv    signature.Verifier
	pub   crypto.PublicKey
	keyID string
}

// LoadVerifier reads a public key PEM block of type "PUBLIC KEY" (PKIX), as written
// by [GenerateKeyPair], [Signer.PublicKeyPEM] and cosign.
func LoadVerifier(pubPEM []byte) (*Verifier, error) {
	pub, err := parsePublicKeyPEM(pubPEM)
	if err != nil {
		return nil, err
	}
	return NewVerifier(pub)
}

// NewVerifier returns a verifier for pub: an *ecdsa.PublicKey (P-256, P-384, P-521),
// an ed25519.PublicKey or an *rsa.PublicKey of at least 2048 bits.
func NewVerifier(pub crypto.PublicKey) (*Verifier, error) {
	id, err := KeyID(pub)
	if err != nil {
		return nil, err
	}
	sv, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
	}
	return &Verifier{sv: sv, pub: pub, keyID: id}, nil
}

// KeyID returns the [KeyID] of the verifier's public key.
func (v *Verifier) KeyID() string { return v.keyID }

// Public returns the verifier's public key.
func (v *Verifier) Public() crypto.PublicKey { return v.pub }

// verifyPAE checks sig over the pre-authentication encoding pae.
func (v *Verifier) verifyPAE(ctx context.Context, pae, sig []byte) error {
	return v.sv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(pae), options.WithContext(ctx))
}

// Identity constrains the leaf certificate accepted by [VerifierFromCertificate].
// Every non-empty field must match; empty fields are not checked; at least one must
// be set.
type Identity struct {
	Subject string // subject common name, exact
	URI     string // one of the URI SANs, exact
	Email   string // one of the email SANs, exact
	DNS     string // one of the DNS SANs, ASCII case-insensitive
}

// IdentityMismatchError reports a certificate whose identity is not the one
// required. Field is "subject", "uri", "email" or "dns".
type IdentityMismatchError struct {
	Field string
	Want  string
	Found []string
}

func (e *IdentityMismatchError) Error() string {
	found := "none"
	if len(e.Found) > 0 {
		found = fmt.Sprintf("%q", e.Found)
	}
	return fmt.Sprintf("certificate %s: want %q, found %s", e.Field, e.Want, found)
}

// VerifierFromCertificate returns a verifier for the key of a certificate, after
// checking that it chains to roots at time at (the time of signing, not of
// verification) with the code-signing extended key usage, and that its identity
// matches want.
//
// certPEM holds the leaf certificate first; further CERTIFICATE blocks are used as
// intermediates beside those in intermediates (which may be nil). roots must not be
// nil and at must not be zero. A chain failure wraps [ErrUntrustedCertificate] and
// the x509 error; an identity failure is an [*IdentityMismatchError] (joined, when
// several fields differ).
func VerifierFromCertificate(certPEM []byte, roots *x509.CertPool, intermediates *x509.CertPool, want Identity, at time.Time) (*Verifier, error) {
	switch {
	case roots == nil:
		return nil, errors.New("verifying a certificate needs a root pool")
	case at.IsZero():
		return nil, errors.New("verifying a certificate needs the time of signing")
	case want == Identity{}:
		return nil, ErrNoIdentityConstraint
	}
	leaf, chain, err := parseCertificates(certPEM)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if intermediates != nil {
		pool = intermediates.Clone()
	}
	for _, c := range chain {
		pool.AddCert(c)
	}
	_, err = leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: pool,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUntrustedCertificate, err)
	}
	if err := checkIdentity(leaf, want); err != nil {
		return nil, err
	}
	return NewVerifier(leaf.PublicKey)
}

// parseCertificates reads one or more CERTIFICATE PEM blocks: the leaf, then
// intermediates.
func parseCertificates(certPEM []byte) (*x509.Certificate, []*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := certPEM
	for len(bytes.TrimSpace(rest)) > 0 {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, nil, fmt.Errorf("%w: certificate %d is not PEM", ErrMalformedKey, len(certs))
		}
		if block.Type != "CERTIFICATE" {
			return nil, nil, fmt.Errorf("%w: PEM type %q, want \"CERTIFICATE\"", ErrMalformedKey, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: parsing certificate %d: %w", ErrMalformedKey, len(certs), err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, nil, fmt.Errorf("%w: no certificate", ErrMalformedKey)
	}
	return certs[0], certs[1:], nil
}

func checkIdentity(c *x509.Certificate, want Identity) error {
	uris := make([]string, len(c.URIs))
	for i, u := range c.URIs {
		uris[i] = u.String()
	}
	var errs []error
	check := func(field, w string, found []string, eq func(a, b string) bool) {
		if w == "" {
			return
		}
		if !slices.ContainsFunc(found, func(f string) bool { return eq(w, f) }) {
			errs = append(errs, &IdentityMismatchError{Field: field, Want: w, Found: found})
		}
	}
	exact := func(a, b string) bool { return a == b }
	var cn []string
	if c.Subject.CommonName != "" {
		cn = []string{c.Subject.CommonName}
	}
	check("subject", want.Subject, cn, exact)
	check("uri", want.URI, uris, exact)
	check("email", want.Email, c.EmailAddresses, exact)
	check("dns", want.DNS, c.DNSNames, strings.EqualFold)
	return errors.Join(errs...)
}
