package tsa_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/sigstore/timestamp-authority/pkg/x509/testutils"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/ledger/tsa"
	"github.com/evidctl/evidctl/ledger/tsa/tsatest"
)

// checkpointWith returns a checkpoint note of origin at size, with the extension lines
// given, signed by a fresh key.
func checkpointWith(t testing.TB, origin string, size int, extension string) []byte {
	t.Helper()
	skey, _, err := note.GenerateKey(rand.Reader, origin)
	require.NoError(t, err)
	signer, err := note.NewSigner(skey)
	require.NoError(t, err)
	root := sha256.Sum256([]byte(fmt.Sprint(origin, size)))
	body := fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
	msg, err := note.Sign(&note.Note{Text: body + extension}, signer)
	require.NoError(t, err)
	return msg
}

// checkpoint returns a signed checkpoint note.
func checkpoint(t testing.TB, origin string, size int) []byte {
	return checkpointWith(t, origin, size, "")
}

// stampedCheckpoint returns a checkpoint of example.org/log at size and the token the
// test authority server gave for it.
func stampedCheckpoint(t testing.TB, server *tsatest.TSA, size int) (cp, token []byte) {
	t.Helper()
	cp = checkpoint(t, "example.org/log", size)
	token, err := newClient(t, server.URL).Request(t.Context(), cp)
	require.NoError(t, err)
	return cp, token
}

// imprint returns tsa.Imprint of a checkpoint.
func imprint(t testing.TB, cp []byte) []byte {
	t.Helper()
	h, err := tsa.Imprint(cp)
	require.NoError(t, err)
	return h[:]
}

// testCA is a time-stamping PKI made in the test: root, intermediate (time-stamping
// EKU) and a signing certificate with the critical time-stamping EKU, all from
// sigstore/timestamp-authority's test utilities.
type testCA struct {
	root, intermediate, leaf *x509.Certificate
	rootKey, intKey, leafKey crypto.Signer
}

func newCA(t testing.TB) *testCA {
	t.Helper()
	root, rootKey, err := testutils.GenerateRootCa()
	require.NoError(t, err)
	inter, intKey, err := testutils.GenerateSubordinateCa(root, rootKey)
	require.NoError(t, err)
	leaf, leafKey, err := testutils.GenerateLeafCert(inter, intKey)
	require.NoError(t, err)
	return &testCA{root: root, intermediate: inter, leaf: leaf, rootKey: rootKey, intKey: intKey, leafKey: leafKey}
}

// authority returns the policy entry trusting ca's root (and intermediate, if asked).
func (ca *testCA) authority(name string, withIntermediate bool) tsa.Authority {
	a := tsa.Authority{Name: name, Roots: []*x509.Certificate{ca.root}}
	if withIntermediate {
		a.Intermediates = []*x509.Certificate{ca.intermediate}
	}
	return a
}

func (ca *testCA) verifier(t testing.TB) *tsa.Verifier {
	t.Helper()
	v, err := tsa.NewVerifier(ca.authority("test CA", false))
	require.NoError(t, err)
	return v
}

// issue makes a certificate from template, signed by ca's intermediate, with a fresh key.
func (ca *testCA) issue(t testing.TB, template *x509.Certificate) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	if template.SerialNumber == nil {
		template.SerialNumber = big.NewInt(time.Now().UnixNano())
	}
	if template.NotBefore.IsZero() {
		template.NotBefore, template.NotAfter = time.Now().Add(-time.Minute), time.Now().Add(time.Hour)
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca.intermediate, key.Public(), ca.intKey)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert, key
}

// stamp describes a token to mint.
type stamp struct {
	imprint  []byte
	hash     crypto.Hash // default SHA-256
	at       time.Time   // default now
	nonce    *big.Int
	signer   *x509.Certificate // default ca.leaf
	key      crypto.Signer
	chain    []*x509.Certificate // certificates besides the signer's; default the intermediate
	noCerts  bool                // certReq false: the token carries no certificate
	leafOnly bool                // the token carries the signer's certificate only
}

// response mints a DER TimeStampResp with github.com/digitorus/timestamp, as
// sigstore/timestamp-authority's server does.
func (ca *testCA) response(t testing.TB, s stamp) []byte {
	t.Helper()
	resp, err := ca.mint(s)
	require.NoError(t, err)
	return resp
}

// mint is response for other goroutines than the test's.
func (ca *testCA) mint(s stamp) ([]byte, error) {
	if s.signer == nil {
		s.signer, s.key = ca.leaf, ca.leafKey
	}
	if s.hash == 0 {
		s.hash = crypto.SHA256
	}
	if s.at.IsZero() {
		s.at = time.Now()
	}
	if s.chain == nil && !s.leafOnly {
		s.chain = []*x509.Certificate{ca.intermediate}
	}
	ts := timestamp.Timestamp{
		HashAlgorithm:     s.hash,
		HashedMessage:     s.imprint,
		Time:              s.at.UTC(),
		Nonce:             s.nonce,
		Policy:            asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 2},
		Accuracy:          time.Second,
		AddTSACertificate: !s.noCerts,
		Certificates:      s.chain,
	}
	return ts.CreateResponseWithOpts(s.signer, s.key, crypto.SHA256)
}

// token mints a DER TimeStampToken.
func (ca *testCA) token(t testing.TB, s stamp) []byte {
	t.Helper()
	ts, err := timestamp.ParseResponse(ca.response(t, s))
	require.NoError(t, err)
	return ts.RawToken
}

func pemOf(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// subject is a distinguished name for test certificates.
func subject(cn string) pkix.Name { return pkix.Name{CommonName: cn, Organization: []string{"test"}} }
