package seal

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestInteropVerifyAgeCLIOutput: the single pass opens what the stock age
// CLI writes, at the sizes where chunking has edges, and OpenFile's file is
// the original.
func TestInteropVerifyAgeCLIOutput(t *testing.T) {
	agePath := ageCLI(t)
	k := testKeys(t)["x25519"]
	_, ids := k.parse(t)
	for _, size := range []int{0, 1, plainChunkSize, 2 * plainChunkSize, 2*plainChunkSize + 1, chunkSize + 5} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			dir := t.TempDir()
			pt := randomBytes(t, size)
			in, sealedPath := filepath.Join(dir, "in"), filepath.Join(dir, "in.age")
			require.NoError(t, os.WriteFile(in, pt, 0o600))
			msg, err := exec.Command(agePath, "-r", k.recipient, "-o", sealedPath, in).CombinedOutput()
			require.NoError(t, err, "age -r: %s", msg)
			sealed, err := os.ReadFile(sealedPath)
			require.NoError(t, err)

			res, err := Verify(t.Context(), bytes.NewReader(sealed), ids)
			require.NoError(t, err)
			require.Equal(t, sha256Hex(pt), res.Plaintext.SHA256().Hex())
			require.Equal(t, sha256Hex(sealed), res.Ciphertext.Hex())

			out := filepath.Join(dir, "out")
			_, err = OpenFile(t.Context(), out, bytes.NewReader(sealed), ids,
				WithExpectedCiphertext(res.Ciphertext), WithExpectedPlaintext(res.Plaintext))
			require.NoError(t, err)
			got, err := os.ReadFile(out)
			require.NoError(t, err)
			require.True(t, bytes.Equal(pt, got))
		})
	}
}

// TestInteropVerdicts: for the damaged payloads of the verify table, the
// stock age CLI and Verify agree on whether the payload opens.
func TestInteropVerdicts(t *testing.T) {
	agePath := ageCLI(t)
	k := testKeys(t)["x25519"]
	keyFile := filepath.Join(t.TempDir(), "key")
	require.NoError(t, os.WriteFile(keyFile, k.identity, 0o600))
	_, _, cases := verifyCases(t)
	_, ids := k.parse(t)
	for _, tt := range cases {
		if tt.opts != nil || tt.want == ErrNoIdentity {
			continue // digests and other keys are not age's business
		}
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "payload.age")
			require.NoError(t, os.WriteFile(p, tt.input, 0o600))
			ageErr := exec.Command(agePath, "-d", "-i", keyFile, "-o", os.DevNull, p).Run()
			_, err := Verify(t.Context(), bytes.NewReader(tt.input), ids)
			require.Equal(t, ageErr == nil, err == nil, "age -d: %v; Verify: %v", ageErr, err)
		})
	}
}
