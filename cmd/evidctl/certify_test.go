package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/evidctl/evidctl/crypto/sign"
)

// certify plays a PKI for scripts: it issues a root certificate and a code-signing leaf
// certificate for a public key, naming an email address:
// certify PUB.pem EMAIL ROOT_OUT.pem LEAF_OUT.pem.
func certify(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: certify PUB.pem EMAIL ROOT_OUT.pem LEAF_OUT.pem")
	}
	pubPEM, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	v, err := sign.LoadVerifier(pubPEM)
	ts.Check(err)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	now := time.Now()
	root := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Justice PKI"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, root, root, &caKey.PublicKey, caKey)
	ts.Check(err)
	rootCert, err := x509.ParseCertificate(rootDER)
	ts.Check(err)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: args[1]},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), EmailAddresses: []string{args[1]},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, rootCert, v.Public(), caKey)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rootDER}), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs(args[3]), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}), 0o644))
}
