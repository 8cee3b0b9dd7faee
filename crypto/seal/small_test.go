package seal

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/digest"
)

// sealedBy seals pt with seal, which hashes into fresh hashers (with the extra
// digests), and returns the age file and the Result the hashers give.
func sealedBy(t *testing.T, pt []byte, r age.Recipient, seal func(dst io.Writer, src []byte, pt, ct *digest.Hasher) error) ([]byte, Result) {
	t.Helper()
	ph, err := digest.NewHasher(digest.SHA512, digest.SHA1, digest.MD5)
	require.NoError(t, err)
	ch, err := digest.NewHasher()
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, seal(&out, pt, ph, ch))
	res, err := (&config{}).result(ph, ch)
	require.NoError(t, err)
	return out.Bytes(), res
}

// TestSmallPathMatchesPipeline: an input Seal holds in memory is sealed to what the
// pipeline makes of it, byte for byte once decrypted (the age file itself differs by
// its random file key and nonce), with the same digests and sizes; and the same
// decryption opens both. Sizes straddle the limit between the two paths.
func TestSmallPathMatchesPipeline(t *testing.T) {
	for _, kind := range []string{"x25519", "ssh-ed25519", "ssh-rsa", "hybrid"} {
		r, ids := testKeys(t)[kind].parse(t)
		for _, size := range []int{0, 1, 27, smallMax - 1, smallMax} {
			t.Run(fmt.Sprintf("%s/%d", kind, size), func(t *testing.T) {
				pt := randomBytes(t, size)
				small, sres := sealedBy(t, pt, r, func(dst io.Writer, src []byte, ph, ch *digest.Hasher) error {
					return sealSmall(dst, src, []age.Recipient{r}, ph, ch)
				})
				piped, pres := sealedBy(t, pt, r, func(dst io.Writer, src []byte, ph, ch *digest.Hasher) error {
					return sealPipeline(t.Context(), dst, bytes.NewReader(src), []age.Recipient{r}, ph, ch)
				})
				require.Equal(t, pres.Plaintext, sres.Plaintext)
				require.Equal(t, pres.PlaintextSize, sres.PlaintextSize)
				require.Equal(t, pres.CiphertextSize, sres.CiphertextSize, "the age files differ in size")
				for _, c := range []struct {
					name   string
					sealed []byte
					res    Result
				}{{"small", small, sres}, {"pipeline", piped, pres}} {
					sum := sha256.Sum256(c.sealed)
					require.Equal(t, sum[:], c.res.Ciphertext.Sum, "%s: ciphertext digest", c.name)
					require.Equal(t, int64(len(c.sealed)), c.res.CiphertextSize, "%s: ciphertext size", c.name)
					got, err := ageVerdict(c.sealed, ids...)
					require.NoError(t, err, "%s: age.Decrypt", c.name)
					require.True(t, bytes.Equal(pt, got), "%s: age.Decrypt gives other bytes", c.name)
					var opened bytes.Buffer
					ores, err := Open(t.Context(), &opened, bytes.NewReader(c.sealed), ids, WithExpectedPlaintext(c.res.Plaintext), WithExpectedCiphertext(c.res.Ciphertext))
					require.NoError(t, err, "%s: Open", c.name)
					require.True(t, bytes.Equal(pt, opened.Bytes()), "%s: Open gives other bytes", c.name)
					require.Equal(t, c.res.Plaintext, ores.Plaintext)
				}
			})
		}
	}
}

// TestSealAcrossTheSmallLimit: Seal gives a complete, faithful age file on either
// side of the in-memory limit, whatever the reads' sizes, with the digests of what
// it read.
func TestSealAcrossTheSmallLimit(t *testing.T) {
	r, ids := testKeys(t)["x25519"].parse(t)
	for _, size := range []int{0, smallMax, smallMax + 1, smallMax + 2, 2*chunkSize + 7} {
		pt := randomBytes(t, size)
		for name, reader := range readSizes {
			t.Run(fmt.Sprintf("%d/%s", size, name), func(t *testing.T) {
				var out bytes.Buffer
				res, err := Seal(t.Context(), &out, reader(pt), []age.Recipient{r}, WithDigests(digest.SHA512))
				require.NoError(t, err)
				want, _, err := digest.Reader(bytes.NewReader(pt), digest.SHA512)
				require.NoError(t, err)
				require.Equal(t, want, res.Plaintext)
				require.Equal(t, int64(size), res.PlaintextSize)
				require.Equal(t, int64(out.Len()), res.CiphertextSize)
				got, err := ageVerdict(out.Bytes(), ids...)
				require.NoError(t, err)
				require.True(t, bytes.Equal(pt, got))
			})
		}
	}
}

// TestSmallSealErrors: the in-memory path fails as the pipeline does: a read error
// or a write error is returned (wrapped), never taken for a short input.
func TestSmallSealErrors(t *testing.T) {
	r, _ := testKeys(t)["x25519"].parse(t)
	boom := errors.New("device failure")
	_, err := Seal(t.Context(), io.Discard, &errAfter{n: 10, err: boom}, []age.Recipient{r})
	require.ErrorIs(t, err, boom)
	require.ErrorContains(t, err, "reading plaintext")
	_, err = Seal(t.Context(), failWriter{boom}, bytes.NewReader([]byte("record")), []age.Recipient{r})
	require.ErrorIs(t, err, boom)
	require.ErrorContains(t, err, "writing sealed payload")
	_, err = Seal(t.Context(), shortWriter{}, bytes.NewReader([]byte("record")), []age.Recipient{r})
	require.ErrorIs(t, err, io.ErrShortWrite)
}

type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }

// TestSmallBuffersCleared: the buffers the in-memory path gives back hold neither
// the plaintext nor the age file.
func TestSmallBuffersCleared(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers on purpose")
	}
	r, _ := testKeys(t)["x25519"].parse(t)
	pt := bytes.Repeat([]byte{0xee}, 1000)
	_, err := Seal(t.Context(), io.Discard, bytes.NewReader(pt), []age.Recipient{r})
	require.NoError(t, err)
	head := smallPool.Get().(*[]byte)
	require.Empty(t, *head)
	require.Equal(t, -1, bytes.IndexByte((*head)[:cap(*head)], 0xee), "the read buffer still holds plaintext")
	out := sealedPool.Get().(*bytes.Buffer)
	require.Zero(t, out.Len())
	full := out.Bytes()[:out.Cap()]
	require.Equal(t, bytes.Repeat([]byte{0}, len(full)), full, "the sealed buffer still holds the age file")
}
