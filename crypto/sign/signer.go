package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/kms"
	"github.com/sigstore/sigstore/pkg/signature/options"

	"github.com/evidctl/evidctl/internal/smallfile"
)

// ErrNoKMSProvider means no sigstore KMS provider is registered for the scheme of a
// KMS key URI. The error text names the scheme.
var ErrNoKMSProvider = errors.New("no KMS provider registered")

// Signer signs DSSE envelopes with one key. It wraps a sigstore
// signature.SignerVerifier (or any crypto.Signer, see [NewSigner]) and knows its
// public key and [KeyID]. A Signer is safe for concurrent use if the key behind it
// is.
type Signer struct {
	sv       signature.SignerVerifier
	verifier *Verifier
	// external is set for keys held outside this process (crypto.Signer, KMS): each
	// signature they make is checked before it is used.
	external bool
}

// LoadSigner opens an encrypted private key file in the sigstore/cosign format
// (PEM type "ENCRYPTED SIGSTORE PRIVATE KEY" or "ENCRYPTED COSIGN PRIVATE KEY").
// pass is called once, with confirm false. A wrong password gives [ErrWrongPassword];
// a corrupt file gives [ErrMalformedKey]. Unencrypted keys are refused.
func LoadSigner(privPEM []byte, pass PassFunc) (*Signer, error) {
	priv, err := parsePrivateKeyPEM(privPEM, pass)
	if err != nil {
		return nil, err
	}
	sv, err := signature.LoadSignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
	}
	return newSigner(sv, priv.Public(), false)
}

// maxKeyFile bounds a private key file: a PEM block of a few kilobytes at most.
const maxKeyFile = 1 << 20

// LoadSignerFile is [LoadSigner] on the content of the file at path, which may hold at
// most 1 MiB (a longer one is refused without being read to its end).
func LoadSignerFile(path string, pass PassFunc) (*Signer, error) {
	b, err := smallfile.Read(path, maxKeyFile)
	if err != nil {
		return nil, fmt.Errorf("reading private key: %w", err)
	}
	s, err := LoadSigner(b, pass)
	if err != nil {
		return nil, fmt.Errorf("loading private key %s: %w", path, err)
	}
	return s, nil
}

// NewSigner wraps any crypto.Signer: an in-memory key, a PKCS #11 or HSM handle, a
// remote signer. Supported keys are ECDSA (P-256, P-384, P-521; s.Sign receives a
// SHA-256 digest), Ed25519 (s.Sign receives the whole message, opts crypto.Hash(0))
// and RSA of at least 2048 bits (s.Sign receives a SHA-256 digest with opts
// crypto.SHA256, which selects PKCS #1 v1.5). Signatures made by a key that is not an
// in-memory *ecdsa.PrivateKey, ed25519.PrivateKey or *rsa.PrivateKey are verified
// before use.
func NewSigner(s crypto.Signer) (*Signer, error) {
	if s == nil {
		return nil, errors.New("making a signer: nil crypto.Signer")
	}
	pub := s.Public()
	if err := checkPublicKey(pub); err != nil {
		return nil, err
	}
	switch s.(type) {
	case *ecdsa.PrivateKey, ed25519.PrivateKey, *rsa.PrivateKey:
		sv, err := signature.LoadSignerVerifier(s, crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
		}
		return newSigner(sv, pub, false)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
	}
	return newSigner(&cryptoSigner{s: s, pub: pub, Verifier: v}, pub, true)
}

// LoadKMSSigner opens a key held by a key management service through sigstore's
// KMS registry (github.com/sigstore/sigstore/pkg/signature/kms), for example
// "awskms:///arn:…", "gcpkms://projects/…", "hashivault://name". A provider must be
// registered by importing its package (this module imports none), or be a sigstore
// KMS CLI plugin ("sigstore-kms-NAME" on PATH) as sigstore defines them. If there is
// none for the URI's scheme, the error wraps [ErrNoKMSProvider] and names the
// scheme. Signatures use SHA-256 and are verified before use.
func LoadKMSSigner(ctx context.Context, uri string) (*Signer, error) {
	scheme, _, ok := strings.Cut(uri, "://")
	if !ok || scheme == "" {
		return nil, errors.New("opening KMS key: the reference is not a URI of the form SCHEME://KEY")
	}
	sv, err := kms.Get(ctx, uri, crypto.SHA256)
	if err != nil {
		var notFound *kms.ProviderNotFoundError
		if errors.As(err, &notFound) {
			return nil, fmt.Errorf("%w for scheme %q (import its sigstore kms provider package or install sigstore-kms-%s)",
				ErrNoKMSProvider, scheme, scheme)
		}
		return nil, fmt.Errorf("opening KMS key (scheme %q): %w", scheme, err)
	}
	pub, err := sv.PublicKey(options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("reading KMS public key (scheme %q): %w", scheme, err)
	}
	if err := checkPublicKey(pub); err != nil {
		return nil, err
	}
	return newSigner(sv, pub, true)
}

func newSigner(sv signature.SignerVerifier, pub crypto.PublicKey, external bool) (*Signer, error) {
	v, err := NewVerifier(pub)
	if err != nil {
		return nil, err
	}
	return &Signer{sv: sv, verifier: v, external: external}, nil
}

// KeyID returns the [KeyID] of the signer's public key.
func (s *Signer) KeyID() string { return s.verifier.keyID }

// Public returns the signer's public key.
func (s *Signer) Public() crypto.PublicKey { return s.verifier.pub }

// PublicKeyPEM returns the signer's public key as a "PUBLIC KEY" PEM block, the
// format [LoadVerifier] reads.
func (s *Signer) PublicKeyPEM() ([]byte, error) {
	return cryptoutils.MarshalPublicKeyToPEM(s.verifier.pub)
}

// Verifier returns a [Verifier] for the signer's public key.
func (s *Signer) Verifier() *Verifier { return s.verifier }

// signPAE signs the pre-authentication encoding pae and, for external keys, checks
// the signature before returning it.
func (s *Signer) signPAE(ctx context.Context, pae []byte) ([]byte, error) {
	sig, err := s.sv.SignMessage(bytes.NewReader(pae), options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signing with key %s: %w", s.KeyID(), err)
	}
	if s.external {
		if err := s.verifier.verifyPAE(ctx, pae, sig); err != nil {
			return nil, fmt.Errorf("key %s made a signature that does not verify: %w", s.KeyID(), err)
		}
	}
	return sig, nil
}

// cryptoSigner adapts a crypto.Signer to sigstore's signature.SignerVerifier.
type cryptoSigner struct {
	s   crypto.Signer
	pub crypto.PublicKey
	signature.Verifier
}

var _ signature.SignerVerifier = (*cryptoSigner)(nil)

// SignMessage implements signature.Signer.
func (c *cryptoSigner) SignMessage(message io.Reader, _ ...signature.SignOption) ([]byte, error) {
	msg, err := io.ReadAll(message)
	if err != nil {
		return nil, err
	}
	if _, ok := c.pub.(ed25519.PublicKey); ok {
		return c.s.Sign(rand.Reader, msg, crypto.Hash(0))
	}
	sum := sha256.Sum256(msg)
	return c.s.Sign(rand.Reader, sum[:], crypto.SHA256)
}

// PublicKey implements signature.PublicKeyProvider.
func (c *cryptoSigner) PublicKey(...signature.PublicKeyOption) (crypto.PublicKey, error) {
	return c.pub, nil
}

// checkedSigner is the signature.Signer handed to sigstore's DSSE SignerAdapter: it
// signs through [Signer.signPAE], which checks signatures from external keys.
type checkedSigner struct{ s *Signer }

var _ signature.Signer = checkedSigner{}

// SignMessage implements signature.Signer.
func (c checkedSigner) SignMessage(message io.Reader, opts ...signature.SignOption) ([]byte, error) {
	ctx := context.Background()
	for _, o := range opts {
		o.ApplyContext(&ctx)
	}
	pae, err := io.ReadAll(message)
	if err != nil {
		return nil, err
	}
	return c.s.signPAE(ctx, pae)
}

// PublicKey implements signature.PublicKeyProvider.
func (c checkedSigner) PublicKey(...signature.PublicKeyOption) (crypto.PublicKey, error) {
	return c.s.Public(), nil
}
