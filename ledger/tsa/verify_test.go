package tsa_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/ledger/tsa"
	"github.com/evidctl/evidctl/ledger/tsa/tsatest"
)

func TestRoundTripWithTheTimestampAuthorityServer(t *testing.T) {
	server := tsatest.New(t)
	client, err := tsa.NewClient(server.URL)
	require.NoError(t, err)
	cp := checkpoint(t, "example.org/log", 7)

	before := time.Now()
	token, err := client.Request(t.Context(), cp)
	require.NoError(t, err)
	after := time.Now()

	v, err := tsa.NewVerifier(server.Authority())
	require.NoError(t, err)
	ts, err := v.Verify(token, cp)
	require.NoError(t, err)
	require.Equal(t, tsatest.Name, ts.Authority)
	require.Contains(t, ts.Subject, "Test TSA Timestamping")
	require.Equal(t, time.Second, ts.Accuracy, "the sigstore server states an accuracy of one second")
	require.False(t, ts.Latest().Before(before.Truncate(time.Second)), "genTime %v is before the request at %v", ts.Time, before)
	require.False(t, ts.Earliest().After(after), "genTime %v is after the answer at %v", ts.Time, after)
	require.NotNil(t, ts.Serial)
	require.NotEmpty(t, ts.Policy)
	require.EqualValues(t, 1, server.Requests())

	// The roots alone suffice: the server includes its chain in the token.
	roots, err := tsa.ParseAuthority("", server.RootsPEM, nil)
	require.NoError(t, err)
	v, err = tsa.NewVerifier(roots)
	require.NoError(t, err)
	ts, err = v.Verify(token, cp)
	require.NoError(t, err)
	require.Equal(t, ts.Subject, ts.Authority, "an authority without a name is reported by its signer's subject")
}

func TestTokenCoversTheBodyNotTheSignatures(t *testing.T) {
	ca := newCA(t)
	cp := checkpoint(t, "example.org/log", 3)
	token := ca.token(t, stamp{imprint: imprint(t, cp)})

	// The same checkpoint with a witness cosignature added: same body, same token.
	witness, _, err := note.GenerateKey(rand.Reader, "witness.example")
	require.NoError(t, err)
	ws, err := note.NewSigner(witness)
	require.NoError(t, err)
	_, err = note.Open(cp, note.VerifierList())
	var unverified *note.UnverifiedNoteError
	require.ErrorAs(t, err, &unverified)
	n := unverified.Note
	cosigned, err := note.Sign(&note.Note{Text: n.Text, Sigs: n.UnverifiedSigs}, ws)
	require.NoError(t, err)
	require.NotEqual(t, cp, cosigned)
	require.Equal(t, imprint(t, cp), imprint(t, cosigned))

	_, err = ca.verifier(t).Verify(token, cosigned)
	require.NoError(t, err)
}

func TestImprintIsSHA256OfTheBody(t *testing.T) {
	cp := checkpoint(t, "example.org/log", 1)
	body, _, ok := bytes.Cut(cp, []byte("\n\n"))
	require.True(t, ok)
	h, err := tsa.Imprint(cp)
	require.NoError(t, err)
	require.Equal(t, sha256Hex(append(body, '\n')), fmt.Sprintf("%x", h))

	for _, bad := range []string{"", "not a note\n", "origin\n1\nnot base64\n\n— k+1+AAAA\n"} {
		_, err := tsa.Imprint([]byte(bad))
		require.ErrorIs(t, err, tsa.ErrMalformed, "%q", bad)
	}
}

func TestVerifyRefuses(t *testing.T) {
	ca := newCA(t)
	other := newCA(t)
	cp := checkpoint(t, "example.org/log", 5)
	good := imprint(t, cp)
	noEKU, noEKUKey := ca.issue(t, &x509.Certificate{Subject: subject("no EKU"), KeyUsage: x509.KeyUsageDigitalSignature})
	nonCritical, nonCriticalKey := ca.issue(t, &x509.Certificate{Subject: subject("non-critical EKU"), KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}})
	codeSigning, codeSigningKey := ca.issue(t, &x509.Certificate{Subject: subject("code signing"), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}})
	twoEKUs, twoEKUsKey := ca.issue(t, &x509.Certificate{Subject: subject("two EKUs"), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping, x509.ExtKeyUsageCodeSigning}})

	otherCP := checkpoint(t, "example.org/log", 6)
	tests := []struct {
		name  string
		token []byte
		cp    []byte
		v     *tsa.Verifier
		want  error
	}{
		{"token over another checkpoint", ca.token(t, stamp{imprint: imprint(t, otherCP)}), cp, nil, tsa.ErrWrongCheckpoint},
		{"token over another log's checkpoint of the same size", ca.token(t, stamp{imprint: imprint(t, checkpoint(t, "example.org/other", 5))}), cp, nil, tsa.ErrWrongCheckpoint},
		{"imprint with SHA-512", ca.token(t, stamp{imprint: sha512Of(cp), hash: crypto.SHA512}), cp, nil, tsa.ErrWrongCheckpoint},
		{"TSA not in the policy", other.token(t, stamp{imprint: good}), cp, nil, tsa.ErrUntrusted},
		{"policy of another TSA", ca.token(t, stamp{imprint: good}), cp, verifierOf(t, other.authority("other", true)), tsa.ErrUntrusted},
		{"signing certificate without EKU", ca.token(t, stamp{imprint: good, signer: noEKU, key: noEKUKey}), cp, nil, tsa.ErrNotTimestamping},
		{"EKU not critical", ca.token(t, stamp{imprint: good, signer: nonCritical, key: nonCriticalKey}), cp, nil, tsa.ErrNotTimestamping},
		{"EKU code signing", ca.token(t, stamp{imprint: good, signer: codeSigning, key: codeSigningKey}), cp, nil, tsa.ErrNotTimestamping},
		{"EKU time-stamping and code signing", ca.token(t, stamp{imprint: good, signer: twoEKUs, key: twoEKUsKey}), cp, nil, tsa.ErrNotTimestamping},
		{"genTime before the certificate's validity", ca.token(t, stamp{imprint: good, at: ca.leaf.NotBefore.Add(-time.Hour)}), cp, nil, tsa.ErrUntrusted},
		{"genTime after the certificate's validity", ca.token(t, stamp{imprint: good, at: ca.leaf.NotAfter.Add(time.Hour)}), cp, nil, tsa.ErrUntrusted},
		{"no certificate in the token", ca.token(t, stamp{imprint: good, noCerts: true}), cp, nil, tsa.ErrMalformed},
		{"intermediate neither in the token nor the policy", ca.token(t, stamp{imprint: good, leafOnly: true}), cp, nil, tsa.ErrUntrusted},
		{"trailing data", append(ca.token(t, stamp{imprint: good}), 0), cp, nil, tsa.ErrMalformed},
		{"empty", nil, cp, nil, tsa.ErrMalformed},
		{"too large", make([]byte, tsa.MaxTokenSize+1), cp, nil, tsa.ErrMalformed},
		{"a response, not a token", ca.response(t, stamp{imprint: good}), cp, nil, tsa.ErrMalformed},
		{"a certificate, not a token", ca.leaf.Raw, cp, nil, tsa.ErrMalformed},
		{"genTime altered", alterTime(t, ca.token(t, stamp{imprint: good})), cp, nil, tsa.ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.v
			if v == nil {
				v = ca.verifier(t)
			}
			_, err := v.Verify(tc.token, tc.cp)
			t.Log(err)
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestVerifyErrorsCarryEvidence(t *testing.T) {
	ca, other := newCA(t), newCA(t)
	cp, otherCP := checkpoint(t, "example.org/log", 5), checkpoint(t, "example.org/log", 6)

	_, err := ca.verifier(t).Verify(ca.token(t, stamp{imprint: imprint(t, otherCP)}), cp)
	var imprintErr *tsa.ImprintError
	require.ErrorAs(t, err, &imprintErr)
	require.Equal(t, imprint(t, cp), imprintErr.Want)
	require.Equal(t, imprint(t, otherCP), imprintErr.Got)
	require.Equal(t, "SHA-256", imprintErr.Algorithm)

	_, err = ca.verifier(t).Verify(other.token(t, stamp{imprint: imprint(t, cp)}), cp)
	var untrusted *tsa.UntrustedError
	require.ErrorAs(t, err, &untrusted)
	require.Equal(t, other.leaf.Subject.String(), untrusted.Subject)
	require.Equal(t, other.intermediate.Subject.String(), untrusted.Issuer)
	require.Len(t, untrusted.Reasons, 1)
	require.Contains(t, err.Error(), `TSA "test CA"`)

	noEKU, key := ca.issue(t, &x509.Certificate{Subject: subject("no EKU")})
	_, err = ca.verifier(t).Verify(ca.token(t, stamp{imprint: imprint(t, cp), signer: noEKU, key: key}), cp)
	var usage *tsa.UsageError
	require.ErrorAs(t, err, &usage)
	require.Contains(t, usage.Subject, "no EKU")
	require.Contains(t, usage.Reason, "absent")
}

func TestVerifyWithIntermediatesFromThePolicy(t *testing.T) {
	ca := newCA(t)
	cp := checkpoint(t, "example.org/log", 2)
	token := ca.token(t, stamp{imprint: imprint(t, cp), leafOnly: true})

	v := verifierOf(t, ca.authority("with intermediate", true))
	ts, err := v.Verify(token, cp)
	require.NoError(t, err)
	require.Equal(t, "with intermediate", ts.Authority)
}

func TestVerifyPicksTheAuthorityThatChains(t *testing.T) {
	a, b := newCA(t), newCA(t)
	cp := checkpoint(t, "example.org/log", 2)
	v := verifierOf(t, a.authority("A", false), b.authority("B", false))
	for name, ca := range map[string]*testCA{"A": a, "B": b} {
		ts, err := v.Verify(ca.token(t, stamp{imprint: imprint(t, cp)}), cp)
		require.NoError(t, err)
		require.Equal(t, name, ts.Authority)
	}
}

func TestVerifyJudgesTheChainAtTheTokensTime(t *testing.T) {
	// A token from inside the certificate's validity verifies whatever the clock says
	// now; the same certificate at a genTime outside it does not (TestVerifyRefuses).
	ca := newCA(t)
	cp := checkpoint(t, "example.org/log", 2)
	at := ca.leaf.NotBefore.Add(30 * time.Second)
	ts, err := ca.verifier(t).Verify(ca.token(t, stamp{imprint: imprint(t, cp), at: at}), cp)
	require.NoError(t, err)
	require.True(t, ts.Time.Equal(at.UTC().Truncate(time.Second)) || ts.Time.Equal(at.UTC()), "genTime %v, minted at %v", ts.Time, at)
}

func TestParseAuthorityRefuses(t *testing.T) {
	ca := newCA(t)
	good := pemOf(ca.root)
	tests := []struct {
		name                 string
		roots, intermediates []byte
	}{
		{"no roots", nil, nil},
		{"blank roots", []byte("\n \n"), nil},
		{"text, not PEM", []byte("hello"), nil},
		{"text after the roots", append(bytes.Clone(good), "junk"...), nil},
		{"a private key block", []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), nil},
		{"a certificate that does not parse", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), nil},
		{"bad intermediates", good, []byte("junk")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tsa.ParseAuthority("x", tc.roots, tc.intermediates)
			require.Error(t, err)
			require.NotContains(t, err.Error(), "AAAA", "errors do not echo the input")
		})
	}
	a, err := tsa.ParseAuthority("x", append(pemOf(ca.root), pemOf(ca.intermediate)...), pemOf(ca.intermediate))
	require.NoError(t, err)
	require.Len(t, a.Roots, 2)
	require.Len(t, a.Intermediates, 1)
}

func TestNewVerifierRefuses(t *testing.T) {
	_, err := tsa.NewVerifier()
	require.Error(t, err)
	_, err = tsa.NewVerifier(tsa.Authority{Name: "rootless"})
	require.ErrorContains(t, err, "rootless")
}

func verifierOf(t testing.TB, as ...tsa.Authority) *tsa.Verifier {
	t.Helper()
	v, err := tsa.NewVerifier(as...)
	require.NoError(t, err)
	return v
}

func sha512Of(b []byte) []byte {
	body, _, _ := bytes.Cut(b, []byte("\n\n"))
	h := sha512.Sum512(append(bytes.Clone(body), '\n'))
	return h[:]
}

func sha256Hex(b []byte) string {
	h := crypto.SHA256.New()
	h.Write(b)
	return fmt.Sprintf("%x", h.Sum(nil))
}

// alterTime changes one digit of the token's genTime (a GeneralizedTime, in the signed
// TSTInfo), leaving the structure intact.
func alterTime(t testing.TB, token []byte) []byte {
	t.Helper()
	year := []byte(fmt.Sprintf("%c%c", asn1.TagGeneralizedTime, 15)) // tag, length of YYYYMMDDHHMMSSZ
	i := bytes.Index(token, year)
	require.GreaterOrEqual(t, i, 0, "no GeneralizedTime in the token")
	out := bytes.Clone(token)
	out[i+2+3] ^= 1 // the year's last digit
	return out
}

func TestVerifierRemembersOnlyWhatItProved(t *testing.T) {
	cp, token, v := readVector(t)
	first, err := v.Verify(token, cp)
	require.NoError(t, err)
	serial := new(big.Int).Set(first.Serial)
	first.Serial.SetInt64(0) // a caller's copy
	first.Authority = "changed"

	again, err := v.Verify(token, cp)
	require.NoError(t, err)
	require.Equal(t, serial, again.Serial)
	require.Equal(t, "openssl vector", again.Authority)

	// A failure is not remembered as anything: the same token over another checkpoint.
	for range 2 {
		_, err = v.Verify(token, checkpoint(t, "example.org/openssl", 43))
		require.ErrorIs(t, err, tsa.ErrWrongCheckpoint)
	}
}

func TestVerifyRefusesEveryTruncation(t *testing.T) {
	cp, token, v := readVector(t)
	for n := range len(token) {
		_, err := v.Verify(token[:n], cp)
		require.ErrorIs(t, err, tsa.ErrMalformed, "token cut to %d of %d bytes", n, len(token))
	}
	for i := range 200 {
		garbage := make([]byte, 1+i*7)
		_, _ = rand.Read(garbage)
		garbage[0] = 0x30 // a SEQUENCE, to get past the first byte
		_, err := v.Verify(garbage, cp)
		require.ErrorIs(t, err, tsa.ErrMalformed)
	}
}

func TestForeignRootsDoNotTrustTheTestAuthority(t *testing.T) {
	cp, token := stampedCheckpoint(t, tsatest.New(t), 1)
	foreign, err := tsa.ParseAuthority("foreign", tsatest.ForeignRootsPEM(t), nil)
	require.NoError(t, err)
	_, err = verifierOf(t, foreign).Verify(token, cp)
	require.ErrorIs(t, err, tsa.ErrUntrusted)
}
