package seal

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// ageCLI returns the path of the stock age command, or skips the test.
func ageCLI(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("age")
	if err != nil {
		t.Skip("age CLI not on PATH: interoperability with the stock age tool is NOT tested (install it: apt-get install age)")
	}
	return p
}

// interopKinds are the key types every age release since v1.0 supports;
// hybrid (age1pq1) needs age v1.3.0 and is covered in-process.
var interopKinds = []string{"x25519", "ssh-ed25519", "ssh-rsa"}

func TestInteropAgeCLIDecryptsSeal(t *testing.T) {
	agePath := ageCLI(t)
	keys := testKeys(t)
	for _, size := range []int{0, 27, smallMax, 3*chunkSize + 12345} { // in memory, and streamed
		pt := randomBytes(t, size)
		for _, kind := range interopKinds {
			t.Run(fmt.Sprintf("%s/%d", kind, size), func(t *testing.T) {
				dir := t.TempDir()
				keyFile := filepath.Join(dir, "key")
				require.NoError(t, os.WriteFile(keyFile, keys[kind].identity, 0o600))
				r, _ := keys[kind].parse(t)
				sealed, _ := sealBytes(t, pt, r)
				sealedFile := filepath.Join(dir, "payload.age")
				require.NoError(t, os.WriteFile(sealedFile, sealed, 0o600))

				cmd := exec.Command(agePath, "-d", "-i", keyFile, sealedFile)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				require.NoError(t, err, "age -d: %s", stderr.String())
				require.True(t, bytes.Equal(pt, out), "age -d output differs from the sealed plaintext")
			})
		}
	}
}

func TestInteropOpenReadsAgeCLIOutput(t *testing.T) {
	agePath := ageCLI(t)
	keys := testKeys(t)
	pt := randomBytes(t, 2*chunkSize+99)
	for _, kind := range interopKinds {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "plain.bin")
			out := filepath.Join(dir, "plain.bin.age")
			require.NoError(t, os.WriteFile(in, pt, 0o600))
			cmd := exec.Command(agePath, "-r", keys[kind].recipient, "-o", out, in)
			msg, err := cmd.CombinedOutput()
			require.NoError(t, err, "age -r: %s", msg)

			sealed, err := os.ReadFile(out)
			require.NoError(t, err)
			_, ids := keys[kind].parse(t)
			var got bytes.Buffer
			res, err := Open(t.Context(), &got, bytes.NewReader(sealed), ids)
			require.NoError(t, err)
			require.True(t, bytes.Equal(pt, got.Bytes()))
			require.Equal(t, sha256Hex(sealed), res.Ciphertext.Hex())

		})
	}
}

func TestInteropAgeKeygenFile(t *testing.T) {
	ageCLI(t)
	keygen, err := exec.LookPath("age-keygen")
	if err != nil {
		t.Skip("age-keygen not on PATH: key file interoperability NOT tested")
	}
	keyFile := filepath.Join(t.TempDir(), "key.txt")
	msg, err := exec.Command(keygen, "-o", keyFile).CombinedOutput()
	require.NoError(t, err, "age-keygen: %s", msg)
	ids, err := ReadIdentities(keyFile)
	require.NoError(t, err)
	pub, err := RecipientOf(ids[0])
	require.NoError(t, err)
	text, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	require.Contains(t, string(text), "# public key: "+pub+"\n")
}
