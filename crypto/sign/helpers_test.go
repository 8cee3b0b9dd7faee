package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	testPassword  = "correct horse battery staple"
	testPayload   = `{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"https://evidctl.dev/custody-event/v1","predicate":{}}`
	testInTotoTyp = "application/vnd.in-toto+json"
)

var keyTypes = []KeyType{ECDSAP256, Ed25519, RSA3072}

func testPass(bool) ([]byte, error) { return []byte(testPassword), nil }

// Key files are slow to make and open (scrypt, RSA): make one per type per run.
var (
	keyPairsMu sync.Mutex
	keyPairs   = map[KeyType]*KeyPair{}
	rawKeysMu  sync.Mutex
	rawKeys    = map[string]crypto.Signer{}
)

func testKeyPair(t testing.TB, kt KeyType) *KeyPair {
	t.Helper()
	keyPairsMu.Lock()
	defer keyPairsMu.Unlock()
	if kp, ok := keyPairs[kt]; ok {
		return kp
	}
	kp, err := GenerateKeyPair(kt, []byte(testPassword))
	require.NoError(t, err)
	keyPairs[kt] = kp
	return kp
}

// rawKey returns an in-memory private key of type kt, the same for the same name.
func rawKey(t testing.TB, kt KeyType, name string) crypto.Signer {
	t.Helper()
	rawKeysMu.Lock()
	defer rawKeysMu.Unlock()
	k := string(kt) + "/" + name
	if s, ok := rawKeys[k]; ok {
		return s
	}
	var s crypto.Signer
	var err error
	switch kt {
	case ECDSAP256:
		s, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case Ed25519:
		_, s, err = ed25519.GenerateKey(rand.Reader)
	case RSA3072:
		s, err = rsa.GenerateKey(rand.Reader, 3072)
	}
	require.NoError(t, err)
	rawKeys[k] = s
	return s
}

// weakKeys returns private keys of kinds this package refuses: ECDSA on P-224 and RSA
// of 1024 bits.
func weakKeys(t testing.TB) (*ecdsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	require.NoError(t, err)
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	return p224, rsa1024
}

// testSigner is a fast Signer (no key file) of type kt.
func testSigner(t testing.TB, kt KeyType, name string) *Signer {
	t.Helper()
	s, err := NewSigner(rawKey(t, kt, name))
	require.NoError(t, err)
	return s
}

// opaqueSigner hides the concrete key type, as an HSM handle would.
type opaqueSigner struct{ s crypto.Signer }

func (o opaqueSigner) Public() crypto.PublicKey { return o.s.Public() }
func (o opaqueSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return o.s.Sign(r, digest, opts)
}
