package tsa_test

import (
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger/tsa"
	"github.com/evidctl/evidctl/ledger/tsa/tsatest"
)

var update = flag.Bool("update", false, "rewrite testdata/openssl from a token openssl issues now")

// The vector in testdata/openssl: a checkpoint, a token over it issued by `openssl ts
// -reply`, and the root of the TSA that issued it.
const (
	vectorDir        = "testdata/openssl"
	vectorCheckpoint = vectorDir + "/checkpoint.txt"
	vectorToken      = vectorDir + "/token.der"
	vectorRoots      = vectorDir + "/roots.pem"
)

// openssl returns the path of the openssl CLI, or skips the test.
func openssl(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed (apt-get install openssl): the interoperability test with an independent RFC 3161 implementation is skipped")
	}
	return path
}

func run(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), name, args...).CombinedOutput()
	return string(out), err
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

// TestOpenSSLVerifiesOurTokens hands tokens the client got from the sigstore server to
// `openssl ts -verify`, which checks them as RFC 3161 and RFC 5816 say, independently of
// the Go libraries.
func TestOpenSSLVerifiesOurTokens(t *testing.T) {
	bin := openssl(t)
	server := tsatest.New(t)
	cp, token := stampedCheckpoint(t, server, 11)
	other := checkpoint(t, "example.org/log", 12)

	dir := t.TempDir()
	tokenFile := write(t, dir, "token.der", token)
	roots := write(t, dir, "roots.pem", server.RootsPEM)
	out, err := run(t, bin, "ts", "-verify", "-token_in", "-in", tokenFile, "-digest", fmt.Sprintf("%x", imprint(t, cp)), "-CAfile", roots)
	require.NoError(t, err, out)
	require.Contains(t, out, "Verification: OK")

	out, err = run(t, bin, "ts", "-verify", "-token_in", "-in", tokenFile, "-digest", fmt.Sprintf("%x", imprint(t, other)), "-CAfile", roots)
	require.Error(t, err, "openssl accepted the token for another checkpoint: %s", out)
	require.Contains(t, out, "message imprint mismatch")

	// A token that carries only its signer's certificate, with the intermediate given apart.
	ca := newCA(t)
	leafOnly := write(t, dir, "leaf-only.der", ca.token(t, stamp{imprint: imprint(t, cp), leafOnly: true}))
	out, err = run(t, bin, "ts", "-verify", "-token_in", "-in", leafOnly, "-digest", fmt.Sprintf("%x", imprint(t, cp)),
		"-CAfile", write(t, dir, "ca-root.pem", pemOf(ca.root)), "-untrusted", write(t, dir, "ca-int.pem", pemOf(ca.intermediate)))
	require.NoError(t, err, out)
}

// TestOpenSSLIssuesTokensWeVerify makes openssl the TSA (`openssl ts -reply`) and checks
// that Verify accepts its token. With -update it rewrites the vector in testdata/openssl.
func TestOpenSSLIssuesTokensWeVerify(t *testing.T) {
	bin := openssl(t)
	ca := newCA(t)
	cp := checkpoint(t, "example.org/openssl", 42)
	dir := t.TempDir()

	key, err := x509.MarshalPKCS8PrivateKey(ca.leafKey)
	require.NoError(t, err)
	conf := fmt.Sprintf(`[ tsa ]
default_tsa = tsa1
[ tsa1 ]
serial = %s
crypto_device = builtin
signer_digest = sha256
default_policy = 1.3.6.1.4.1.4146.2.3
digests = sha256
accuracy = secs:1, millisecs:500
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`, write(t, dir, "serial", []byte("01\n")))
	query := filepath.Join(dir, "query.tsq")
	out, err := run(t, bin, "ts", "-query", "-digest", fmt.Sprintf("%x", imprint(t, cp)), "-sha256", "-cert", "-out", query)
	require.NoError(t, err, out)
	tokenFile := filepath.Join(dir, "token.der")
	out, err = run(t, bin, "ts", "-reply", "-config", write(t, dir, "tsa.cnf", []byte(conf)), "-queryfile", query,
		"-signer", write(t, dir, "signer.pem", pemOf(ca.leaf)), "-inkey", write(t, dir, "signer.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})),
		"-chain", write(t, dir, "chain.pem", pemOf(ca.intermediate)), "-token_out", "-out", tokenFile)
	require.NoError(t, err, out)
	token, err := os.ReadFile(tokenFile)
	require.NoError(t, err)

	ts, err := ca.verifier(t).Verify(token, cp)
	require.NoError(t, err)
	require.Equal(t, 1500*time.Millisecond, ts.Accuracy)
	require.Equal(t, "1.3.6.1.4.1.4146.2.3", ts.Policy)
	require.WithinDuration(t, time.Now(), ts.Time, time.Minute)
	_, err = ca.verifier(t).Verify(token, checkpoint(t, "example.org/openssl", 43))
	require.ErrorIs(t, err, tsa.ErrWrongCheckpoint)

	if *update {
		require.NoError(t, os.MkdirAll(vectorDir, 0o755))
		require.NoError(t, os.WriteFile(vectorCheckpoint, cp, 0o644))
		require.NoError(t, os.WriteFile(vectorToken, token, 0o644))
		require.NoError(t, os.WriteFile(vectorRoots, pemOf(ca.root), 0o644))
	}
}

// TestOpenSSLVector verifies the token openssl issued once (testdata/openssl), long after
// its TSA certificate expired: tokens are judged at their own time.
func TestOpenSSLVector(t *testing.T) {
	cp, token, v := readVector(t)
	ts, err := v.Verify(token, cp)
	require.NoError(t, err)
	require.Equal(t, "openssl vector", ts.Authority)
	require.Equal(t, 1500*time.Millisecond, ts.Accuracy)

	extended := checkpointWith(t, "example.org/openssl", 42, "an extension line\n")
	_, err = v.Verify(token, extended)
	require.ErrorIs(t, err, tsa.ErrWrongCheckpoint, "the same checkpoint with an extension line")

	if bin, err := exec.LookPath("openssl"); err == nil {
		out, err := run(t, bin, "ts", "-verify", "-token_in", "-in", vectorToken, "-digest", fmt.Sprintf("%x", imprint(t, cp)),
			"-CAfile", vectorRoots, "-attime", strconv.FormatInt(ts.Time.Unix(), 10))
		require.NoError(t, err, out)
	}
}

func readVector(t testing.TB) ([]byte, []byte, *tsa.Verifier) {
	t.Helper()
	cp, err := os.ReadFile(vectorCheckpoint)
	require.NoError(t, err)
	token, err := os.ReadFile(vectorToken)
	require.NoError(t, err)
	roots, err := os.ReadFile(vectorRoots)
	require.NoError(t, err)
	a, err := tsa.ParseAuthority("openssl vector", roots, nil)
	require.NoError(t, err)
	return cp, token, verifierOf(t, a)
}
