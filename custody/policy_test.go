package custody_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
)

func TestParsePolicyRejects(t *testing.T) {
	d := testkit.New(t, "lab")
	good, err := json.Marshal(d.Policy)
	require.NoError(t, err)
	_, err = custody.ParsePolicy(good)
	require.NoError(t, err)
	vkey := d.Policy.Logs[0].Key
	pub := d.Policy.Signers[0].PublicKey
	const mt = `"mediaType":"application/vnd.evidctl.trust.v1+json"`
	for name, doc := range map[string]string{
		"wrong media type":          `{"mediaType":"application/json","logs":[],"signers":[]}`,
		"unknown field":             `{` + mt + `,"logs":[],"signers":[],"extra":1}`,
		"trailing data":             `{` + mt + `,"logs":[],"signers":[]} {}`,
		"log without origin":        `{` + mt + `,"logs":[{"origin":"","key":"` + vkey + `"}],"signers":[]}`,
		"bad log key":               `{` + mt + `,"logs":[{"origin":"x","key":"not-a-key"}],"signers":[]}`,
		"quorum beyond witnesses":   `{` + mt + `,"logs":[{"origin":"x","key":"` + vkey + `","quorum":1}],"signers":[]}`,
		"signer without name":       `{` + mt + `,"logs":[],"signers":[{"publicKey":` + jsonString(pub) + `}]}`,
		"signer without key":        `{` + mt + `,"logs":[],"signers":[{"name":"a"}]}`,
		"signer with bad key":       `{` + mt + `,"logs":[],"signers":[{"name":"a","publicKey":"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}]}`,
		"signer with bad country":   `{` + mt + `,"logs":[],"signers":[{"name":"a","jurisdiction":"France","publicKey":` + jsonString(pub) + `}]}`,
		"roots without identity":    `{` + mt + `,"logs":[],"signers":[{"name":"a","roots":"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"}]}`,
		"both public key and roots": `{` + mt + `,"logs":[],"signers":[{"name":"a","publicKey":` + jsonString(pub) + `,"roots":"x"}]}`,
		"not json":                  `trust me`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := custody.ParsePolicy([]byte(doc))
			require.Error(t, err)
		})
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// certify issues a root and a leaf certificate for the signer's key with an email SAN,
// the leaf valid from February 2026 to March 2027.
func certify(t *testing.T, s *sign.Signer, email string) (rootPEM, leafPEM string) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	return certifyFor(t, s.Public(), email, now.AddDate(0, -1, 0), now.AddDate(1, 0, 0))
}

// certifyFor issues a root (valid 2015-2035) and a leaf certificate for pub with an
// email SAN, the leaf valid from notBefore to notAfter.
func certifyFor(t *testing.T, pub crypto.PublicKey, email string, notBefore, notAfter time.Time) (rootPEM, leafPEM string) {
	t.Helper()
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	root := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Justice PKI Root"},
		NotBefore: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, root, root, &rootKey.PublicKey, rootKey)
	require.NoError(t, err)
	rootCert, err := x509.ParseCertificate(rootDER)
	require.NoError(t, err)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "A. Examiner"},
		NotBefore: notBefore, NotAfter: notAfter, EmailAddresses: []string{email},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, rootCert, pub, rootKey)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rootDER})),
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}))
}

// TestCertifiedSigner: a signer trusted through certificate roots and identity
// constraints, with its certificate carried inside the signed statement. The certificate
// is judged over the event's trusted interval, so the log is witnessed.
func TestCertifiedSigner(t *testing.T) {
	at := func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }
	d := witnessedLog(t, at)
	p := testkit.NewParty(t, "A. Examiner", "FR")
	rootPEM, leafPEM := certify(t, p.Signer, "examiner@lab.example")
	p.Actor.Certificate = leafPEM
	c, err := custody.NewCustodian(p.Signer, p.Actor, d.log, custody.WithClock(at))
	require.NoError(t, err)
	var sealed bytes.Buffer
	b, err := c.Acquire(context.Background(), custody.Evidence{Source: bytes.NewReader([]byte("x")), Sealed: &sealed},
		custody.Sealing{Recipients: []string{p.Recipient}}, custody.Details{})
	require.NoError(t, err)

	for _, tc := range []struct {
		name  string
		email string
		valid bool
	}{
		{"identity matches", "examiner@lab.example", true},
		{"identity differs", "someone@else.example", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol := &custody.Policy{Logs: d.pol.Logs}
			require.NoError(t, pol.AddSigner(custody.TrustedSigner{Party: custody.Party{Name: "A. Examiner", Jurisdiction: "FR"}, Roots: rootPEM,
				Identity: &custody.Identity{Email: tc.email}}))
			rep, err := custody.Verify(context.Background(), b, pol)
			require.NoError(t, err)
			require.Equal(t, tc.valid, rep.Valid, "%+v", rep.Failures)
			if !tc.valid {
				require.True(t, rep.Failed(custody.RuleSignature, 1))
			}
		})
	}
}
