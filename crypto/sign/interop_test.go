package sign

// Interoperability with code paths that are not ours: sigstore's key-file loader
// and go-securesystemslib's DSSE envelope verifier and signer, over plain
// standard-library crypto.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"
)

// plainKeyID computes a key id without this package.
func plainKeyID(t testing.TB, pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// plainVerifier is a go-securesystemslib dsse.Verifier over the standard library
// only: ECDSA ASN.1 over SHA-256, Ed25519, RSA PKCS #1 v1.5 over SHA-256.
type plainVerifier struct {
	pub   crypto.PublicKey
	keyID string
}

func (p plainVerifier) Verify(_ context.Context, data, sig []byte) error {
	sum := sha256.Sum256(data)
	switch k := p.pub.(type) {
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, sum[:], sig) {
			return errors.New("ecdsa: bad signature")
		}
		return nil
	case ed25519.PublicKey:
		if !ed25519.Verify(k, data, sig) {
			return errors.New("ed25519: bad signature")
		}
		return nil
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig)
	}
	return errors.New("unsupported key")
}

func (p plainVerifier) KeyID() (string, error)   { return p.keyID, nil }
func (p plainVerifier) Public() crypto.PublicKey { return p.pub }

// plainSigner is a go-securesystemslib dsse.Signer over the standard library only.
type plainSigner struct {
	key   crypto.Signer
	keyID string
}

func (p plainSigner) Sign(_ context.Context, data []byte) ([]byte, error) {
	if _, ok := p.key.(ed25519.PrivateKey); ok {
		return p.key.Sign(rand.Reader, data, crypto.Hash(0))
	}
	sum := sha256.Sum256(data)
	return p.key.Sign(rand.Reader, sum[:], crypto.SHA256)
}

func (p plainSigner) KeyID() (string, error) { return p.keyID, nil }

// Our key files open with sigstore's own loader, and what it signs verifies here.
func TestInteropSigstoreLoadsOurKeyFile(t *testing.T) {
	for _, kt := range keyTypes {
		t.Run(string(kt), func(t *testing.T) {
			kp := testKeyPair(t, kt)
			path := filepath.Join(t.TempDir(), "cosign.key")
			require.NoError(t, os.WriteFile(path, kp.PrivatePEM, 0o600))

			sv, err := signature.LoadSignerVerifierFromPEMFile(path, crypto.SHA256, cryptoutils.PassFunc(testPass))
			require.NoError(t, err)
			pub, err := sv.PublicKey()
			require.NoError(t, err)
			require.Equal(t, kp.KeyID, plainKeyID(t, pub))

			pae := PAE(testInTotoTyp, []byte(testPayload))
			sig, err := sv.SignMessage(bytes.NewReader(pae))
			require.NoError(t, err)
			env := &Envelope{
				PayloadType: testInTotoTyp,
				Payload:     []byte(testPayload),
				Signatures:  []Signature{{KeyID: kp.KeyID, Sig: sig}},
			}
			v, err := LoadVerifier(kp.PublicPEM)
			require.NoError(t, err)
			ids, err := env.Verify(context.Background(), 1, v)
			require.NoError(t, err)
			require.Equal(t, []string{kp.KeyID}, ids)

			// And the other way: sigstore's verifier accepts our signature.
			ours, err := SignEnvelope(context.Background(), testInTotoTyp, []byte(testPayload), loadTestSigner(t, kp))
			require.NoError(t, err)
			require.NoError(t, sv.VerifySignature(bytes.NewReader(ours.Signatures[0].Sig), bytes.NewReader(pae)))
		})
	}
}

func loadTestSigner(t *testing.T, kp *KeyPair) *Signer {
	t.Helper()
	s, err := LoadSigner(kp.PrivatePEM, testPass)
	require.NoError(t, err)
	return s
}

// Our envelopes, as JSON, verify with go-securesystemslib's EnvelopeVerifier over a
// plain standard-library verifier; tampering is caught there too.
func TestInteropSecuresystemslibVerifiesOurEnvelopes(t *testing.T) {
	for _, kt := range keyTypes {
		t.Run(string(kt), func(t *testing.T) {
			key := rawKey(t, kt, "a")
			s, err := NewSigner(key)
			require.NoError(t, err)
			env, err := SignEnvelope(context.Background(), testInTotoTyp, []byte(testPayload), s)
			require.NoError(t, err)
			b, err := json.Marshal(env)
			require.NoError(t, err)

			var theirs ssldsse.Envelope
			require.NoError(t, json.Unmarshal(b, &theirs))
			require.Equal(t, plainKeyID(t, key.Public()), theirs.Signatures[0].KeyID)
			ev, err := ssldsse.NewEnvelopeVerifier(plainVerifier{pub: key.Public(), keyID: plainKeyID(t, key.Public())})
			require.NoError(t, err)
			accepted, err := ev.Verify(context.Background(), &theirs)
			require.NoError(t, err)
			require.Len(t, accepted, 1)

			theirs.PayloadType = "text/plain"
			_, err = ev.Verify(context.Background(), &theirs)
			require.Error(t, err)
		})
	}
}

// Envelopes made by go-securesystemslib's EnvelopeSigner over plain keys parse and
// verify here.
func TestInteropSecuresystemslibEnvelopesVerifyHere(t *testing.T) {
	for _, kt := range keyTypes {
		t.Run(string(kt), func(t *testing.T) {
			key := rawKey(t, kt, "a")
			es, err := ssldsse.NewEnvelopeSigner(plainSigner{key: key, keyID: plainKeyID(t, key.Public())})
			require.NoError(t, err)
			theirs, err := es.SignPayload(context.Background(), testInTotoTyp, []byte(testPayload))
			require.NoError(t, err)
			b, err := json.Marshal(theirs)
			require.NoError(t, err)

			env, err := ParseEnvelope(b)
			require.NoError(t, err)
			v, err := NewVerifier(key.Public())
			require.NoError(t, err)
			ids, err := env.Verify(context.Background(), 1, v)
			require.NoError(t, err)
			require.Equal(t, []string{plainKeyID(t, key.Public())}, ids)
			require.Equal(t, sha256.Sum256(ssldsse.PAE(theirs.PayloadType, []byte(testPayload))), env.Commitment())
		})
	}
}
