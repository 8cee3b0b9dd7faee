package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Vectors made by the stock cosign CLI: see testdata/cosign/README.md.
func TestCosignVectors(t *testing.T) {
	dir := filepath.Join("testdata", "cosign")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		return b
	}
	pass := func(bool) ([]byte, error) { return []byte("evidctl-cosign-vector"), nil }
	ctx := context.Background()

	s, err := LoadSignerFile(filepath.Join(dir, "cosign.key"), pass)
	require.NoError(t, err)
	v, err := LoadVerifier(read("cosign.pub"))
	require.NoError(t, err)
	require.Equal(t, v.KeyID(), s.KeyID())

	t.Run("wrong password", func(t *testing.T) {
		_, err := LoadSigner(read("cosign.key"), testPass)
		require.ErrorIs(t, err, ErrWrongPassword)
	})

	t.Run("sign-blob signature verifies", func(t *testing.T) {
		sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(read("blob.sig"))))
		require.NoError(t, err)
		require.NoError(t, v.sv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(read("blob.txt"))))
	})

	t.Run("attest-blob envelope verifies", func(t *testing.T) {
		env, err := ParseEnvelope(read("envelope.json"))
		require.NoError(t, err)
		require.Equal(t, "application/vnd.in-toto+json", env.PayloadType)
		require.Equal(t, strings.TrimSpace(string(read("statement.json"))), string(env.Payload))
		require.Empty(t, env.Signatures[0].KeyID) // cosign leaves keyid empty
		ids, err := env.Verify(ctx, 1, v)
		require.NoError(t, err)
		require.Equal(t, []string{v.KeyID()}, ids)

		other := testSigner(t, ECDSAP256, "a").Verifier()
		_, err = env.Verify(ctx, 1, other)
		require.ErrorIs(t, err, ErrUnknownKey)
	})

	t.Run("our envelope from the cosign key", func(t *testing.T) {
		env, err := SignEnvelope(ctx, testInTotoTyp, []byte(testPayload), s)
		require.NoError(t, err)
		_, err = env.Verify(ctx, 1, v)
		require.NoError(t, err)
	})
}
