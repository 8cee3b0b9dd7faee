package sign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	certNotBefore = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	certNotAfter  = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	signingTime   = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
)

type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func newCert(t *testing.T, tmpl *x509.Certificate, parent *testCA, key crypto.Signer) *x509.Certificate {
	t.Helper()
	n, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	require.NoError(t, err)
	tmpl.SerialNumber = n
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore, tmpl.NotAfter = certNotBefore, certNotAfter
	}
	parentCert, parentKey := tmpl, key
	if parent != nil {
		parentCert, parentKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, key.Public(), parentKey)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return c
}

func newCA(t *testing.T, name string, parent *testCA) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	c := newCert(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}, parent, key)
	return &testCA{cert: c, key: key}
}

func leafTemplate(t *testing.T) *x509.Certificate {
	t.Helper()
	u, err := url.Parse("https://lab.example.org/examiners/ana")
	require.NoError(t, err)
	return &x509.Certificate{
		Subject:        pkix.Name{CommonName: "Ana Examiner"},
		URIs:           []*url.URL{u},
		EmailAddresses: []string{"ana@lab.example.org"},
		DNSNames:       []string{"signer.lab.example.org"},
		KeyUsage:       x509.KeyUsageDigitalSignature,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
}

func certPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func pool(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

func TestVerifierFromCertificate(t *testing.T) {
	root := newCA(t, "Lab Root CA", nil)
	other := newCA(t, "Other Root CA", nil)
	inter := newCA(t, "Lab Signing CA", root)
	signer := rawKey(t, ECDSAP256, "cert-leaf")
	leaf := newCert(t, leafTemplate(t), inter, signer)
	direct := newCert(t, leafTemplate(t), root, signer)
	noEKUTmpl := leafTemplate(t)
	noEKUTmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	noEKU := newCert(t, noEKUTmpl, root, signer)
	all := Identity{Subject: "Ana Examiner", URI: "https://lab.example.org/examiners/ana",
		Email: "ana@lab.example.org", DNS: "SIGNER.lab.example.org"}

	tests := []struct {
		name          string
		pem           []byte
		roots, inters *x509.CertPool
		want          Identity
		at            time.Time
		wantErr       error
		mismatchField string
	}{
		{"ok direct", certPEM(direct), pool(root.cert), nil, Identity{Subject: "Ana Examiner"}, signingTime, nil, ""},
		{"ok chain in PEM", certPEM(leaf, inter.cert), pool(root.cert), nil, all, signingTime, nil, ""},
		{"ok intermediate pool", certPEM(leaf), pool(root.cert), pool(inter.cert), Identity{Email: "ana@lab.example.org"}, signingTime, nil, ""},
		{"missing intermediate", certPEM(leaf), pool(root.cert), nil, all, signingTime, ErrUntrustedCertificate, ""},
		{"expired", certPEM(direct), pool(root.cert), nil, all, certNotAfter.Add(time.Hour), ErrUntrustedCertificate, ""},
		{"not yet valid", certPEM(direct), pool(root.cert), nil, all, certNotBefore.Add(-time.Hour), ErrUntrustedCertificate, ""},
		{"wrong root", certPEM(leaf, inter.cert), pool(other.cert), nil, all, signingTime, ErrUntrustedCertificate, ""},
		{"no code signing usage", certPEM(noEKU), pool(root.cert), nil, all, signingTime, ErrUntrustedCertificate, ""},
		{"wrong subject", certPEM(direct), pool(root.cert), nil, Identity{Subject: "Bob"}, signingTime, nil, "subject"},
		{"wrong uri", certPEM(direct), pool(root.cert), nil, Identity{URI: "https://lab.example.org/x"}, signingTime, nil, "uri"},
		{"wrong email", certPEM(direct), pool(root.cert), nil, Identity{Email: "ANA@lab.example.org"}, signingTime, nil, "email"},
		{"wrong dns", certPEM(direct), pool(root.cert), nil, Identity{DNS: "evil.example.org"}, signingTime, nil, "dns"},
		{"no identity", certPEM(direct), pool(root.cert), nil, Identity{}, signingTime, ErrNoIdentityConstraint, ""},
		{"not PEM", []byte("nope"), pool(root.cert), nil, all, signingTime, ErrMalformedKey, ""},
		{"not a certificate", testKeyPair(t, ECDSAP256).PublicPEM, pool(root.cert), nil, all, signingTime, ErrMalformedKey, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := VerifierFromCertificate(tt.pem, tt.roots, tt.inters, tt.want, tt.at)
			if tt.mismatchField != "" {
				var mm *IdentityMismatchError
				require.ErrorAs(t, err, &mm)
				require.Equal(t, tt.mismatchField, mm.Field)
				require.NotEmpty(t, mm.Found)
				return
			}
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			s, err := NewSigner(signer)
			require.NoError(t, err)
			require.Equal(t, s.KeyID(), v.KeyID())
			env, err := SignEnvelope(context.Background(), testInTotoTyp, []byte(testPayload), s)
			require.NoError(t, err)
			_, err = env.Verify(context.Background(), 1, v)
			require.NoError(t, err)
		})
	}
}

func TestVerifierFromCertificateExplainsFailures(t *testing.T) {
	root := newCA(t, "Lab Root CA", nil)
	leaf := newCert(t, leafTemplate(t), root, rawKey(t, ECDSAP256, "cert-leaf"))

	_, err := VerifierFromCertificate(certPEM(leaf), pool(root.cert), nil, Identity{}, signingTime)
	require.ErrorIs(t, err, ErrNoIdentityConstraint)
	_, err = VerifierFromCertificate(certPEM(leaf), nil, nil, Identity{Subject: "Ana Examiner"}, signingTime)
	require.ErrorContains(t, err, "root pool")
	_, err = VerifierFromCertificate(certPEM(leaf), pool(root.cert), nil, Identity{Subject: "Ana Examiner"}, time.Time{})
	require.ErrorContains(t, err, "time of signing")

	_, err = VerifierFromCertificate(certPEM(leaf), pool(root.cert), nil, Identity{Subject: "Ana Examiner"}, certNotAfter.Add(time.Minute))
	var inv x509.CertificateInvalidError
	require.ErrorAs(t, err, &inv)
	require.Equal(t, x509.Expired, inv.Reason)

	_, err = VerifierFromCertificate(certPEM(leaf), pool(newCA(t, "Other", nil).cert), nil, Identity{Subject: "Ana Examiner"}, signingTime)
	var ua x509.UnknownAuthorityError
	require.ErrorAs(t, err, &ua)

	// Several mismatches are all reported, each with expected and found.
	_, err = VerifierFromCertificate(certPEM(leaf), pool(root.cert), nil,
		Identity{Subject: "Bob", Email: "bob@lab.example.org"}, signingTime)
	require.ErrorContains(t, err, `certificate subject: want "Bob", found ["Ana Examiner"]`)
	require.ErrorContains(t, err, `certificate email: want "bob@lab.example.org", found ["ana@lab.example.org"]`)
	var mm *IdentityMismatchError
	require.True(t, errors.As(err, &mm))
}
