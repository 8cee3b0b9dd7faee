package seal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/digest"
)

// boundarySizes straddle the sizes that matter to the seal pipeline: a
// payload chunk (64 KiB), a slot (chunkSize, four chunks), more slots than
// the pipeline holds (ringSlots), and odd sizes.
var boundarySizes = []int{
	0, 1, plainChunkSize - 1, plainChunkSize, plainChunkSize + 1,
	3*plainChunkSize + 5, chunkSize - 1, chunkSize, chunkSize + 1,
	4 * chunkSize, (ringSlots+1)*chunkSize + plainChunkSize, (2*ringSlots+1)*chunkSize + 12345,
}

// ageReference seals pt with age's own writer to r, and returns the age file
// with what came before the payload (header and nonce) and the file key.
func ageReference(t *testing.T, pt []byte, r age.Recipient) (file, header, fileKey []byte) {
	t.Helper()
	c := &fileKeyCapture{r: r}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, c)
	require.NoError(t, err)
	header = bytes.Clone(buf.Bytes())
	_, err = w.Write(pt)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes(), header, bytes.Clone(c.key)
}

// TestSealPayloadMatchesAge: for the same file key and nonce, the parallel
// pipeline writes the age file byte for byte as age's own STREAM writer
// does, whatever the sizes of the reads, with the digests of what it read
// and wrote.
func TestSealPayloadMatchesAge(t *testing.T) {
	r, _ := testKeys(t)["x25519"].parse(t)
	for _, size := range boundarySizes {
		pt := randomBytes(t, size)
		want, header, fileKey := ageReference(t, pt, r)
		for name, reader := range readSizes {
			if name == "one byte" && size > 2*chunkSize {
				continue
			}
			t.Run(fmt.Sprintf("%d/%s", size, name), func(t *testing.T) {
				aead, err := payloadAEAD(fileKey, header[len(header)-payloadNonceLen:])
				require.NoError(t, err)
				ph, _ := digest.NewHasher()
				ch, _ := digest.NewHasher()
				var got bytes.Buffer
				require.NoError(t, sealPayload(t.Context(), &got, reader(pt), header, aead, ph, ch))
				require.True(t, bytes.Equal(want, got.Bytes()), "the age files differ (%d and %d bytes)", len(want), got.Len())
				require.Equal(t, sha256Hex(pt), ph.Sum().SHA256().Hex())
				require.Equal(t, int64(size), ph.Size())
				require.Equal(t, sha256Hex(want), ch.Sum().SHA256().Hex())
				require.Equal(t, int64(len(want)), ch.Size())
			})
		}
	}
}

// TestSealDecryptsWithAge: Seal's file to several recipients opens with
// age.Decrypt for each of them, at every boundary size.
func TestSealDecryptsWithAge(t *testing.T) {
	keys := testKeys(t)
	var rs []age.Recipient
	var ids [][]age.Identity
	for _, kind := range []string{"x25519", "ssh-ed25519", "ssh-rsa"} {
		r, id := keys[kind].parse(t)
		rs, ids = append(rs, r), append(ids, id)
	}
	for _, size := range boundarySizes {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			pt := randomBytes(t, size)
			sealed, res := sealBytes(t, pt, rs...)
			require.Equal(t, sha256Hex(sealed), res.Ciphertext.Hex())
			require.Equal(t, int64(len(sealed)), res.CiphertextSize)
			require.Equal(t, sha256Hex(pt), res.Plaintext.SHA256().Hex())
			for i, id := range ids {
				got, err := ageVerdict(sealed, id...)
				require.NoError(t, err, "recipient %d", i)
				require.True(t, bytes.Equal(pt, got), "recipient %d: age.Decrypt gives other bytes", i)
			}
		})
	}
}

// TestInteropAgeCLIDecryptsSealBoundaries: the stock age CLI opens Seal's
// files at the pipeline's boundary sizes, sealed to two recipients.
func TestInteropAgeCLIDecryptsSealBoundaries(t *testing.T) {
	agePath := ageCLI(t)
	keys := testKeys(t)
	x, _ := keys["x25519"].parse(t)
	s, _ := keys["ssh-ed25519"].parse(t)
	dir := t.TempDir()
	for _, size := range boundarySizes {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			pt := randomBytes(t, size)
			sealed, _ := sealBytes(t, pt, x, s)
			sealedFile := filepath.Join(dir, "payload.age")
			require.NoError(t, os.WriteFile(sealedFile, sealed, 0o600))
			for _, kind := range []string{"x25519", "ssh-ed25519"} {
				keyFile := filepath.Join(dir, kind)
				require.NoError(t, os.WriteFile(keyFile, keys[kind].identity, 0o600))
				var stderr bytes.Buffer
				cmd := exec.Command(agePath, "-d", "-i", keyFile, sealedFile)
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				require.NoError(t, err, "age -d -i %s: %s", kind, stderr.String())
				require.True(t, bytes.Equal(pt, out), "%s: age -d gives other bytes", kind)
			}
		})
	}
}

// TestSealRecipientRules: the pipeline, which wraps the first recipient to
// learn the file key, keeps age's rules on mixing recipients: the same
// refusals, with age's own words, and a scrypt recipient alone still works.
func TestSealRecipientRules(t *testing.T) {
	keys := testKeys(t)
	x, _ := keys["x25519"].parse(t)
	h, _ := keys["hybrid"].parse(t)
	scrypt := func() *age.ScryptRecipient {
		r, err := age.NewScryptRecipient("correct horse")
		require.NoError(t, err)
		r.SetWorkFactor(10)
		return r
	}
	pt := randomBytes(t, chunkSize+1) // the pipeline, not the small path
	tests := []struct {
		name string
		rs   []age.Recipient
	}{
		{"scrypt then x25519", []age.Recipient{scrypt(), x}},
		{"x25519 then scrypt", []age.Recipient{x, scrypt()}},
		{"two scrypt", []age.Recipient{scrypt(), scrypt()}},
		{"hybrid then x25519", []age.Recipient{h, x}},
		{"x25519 then hybrid", []age.Recipient{x, h}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ageErr := age.Encrypt(io.Discard, tt.rs...)
			require.Error(t, ageErr)
			_, err := Seal(t.Context(), io.Discard, bytes.NewReader(pt), tt.rs)
			require.Error(t, err)
			// A scrypt recipient's label is random: compare the rest.
			random := regexp.MustCompile(`[0-9a-f]{32}`)
			require.Equal(t, random.ReplaceAllString("seal: encrypting: "+ageErr.Error(), "L"), random.ReplaceAllString(err.Error(), "L"))
		})
	}
	t.Run("scrypt alone", func(t *testing.T) {
		sealed, _ := sealBytes(t, pt, scrypt())
		id, err := age.NewScryptIdentity("correct horse")
		require.NoError(t, err)
		got, err := ageVerdict(sealed, id)
		require.NoError(t, err)
		require.True(t, bytes.Equal(pt, got))
	})
}

// failingWriter accepts n bytes and then fails with err.
type failingWriter struct {
	n   int
	err error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, w.err
	}
	w.n -= len(p)
	return len(p), nil
}

// TestSealPipelineFailures: a failure at any point of a long seal (the
// reader's source, the writer's destination) is returned, after every
// stage stopped, whether the slots are all in use or not.
func TestSealPipelineFailures(t *testing.T) {
	r, _ := testKeys(t)["x25519"].parse(t)
	boom := errors.New("device failure")
	size := (3*ringSlots + 1) * chunkSize
	tests := []struct {
		name    string
		dst     io.Writer
		src     io.Reader
		wantMsg string
	}{
		{"read error in the first slot", io.Discard, &errAfter{n: plainChunkSize + 7, err: boom}, "reading plaintext"},
		{"read error at a slot boundary", io.Discard, &errAfter{n: ringSlots * chunkSize, err: boom}, "reading plaintext"},
		{"read error late", io.Discard, &errAfter{n: 2*ringSlots*chunkSize + 3, err: boom}, "reading plaintext"},
		{"write error on the header", &failingWriter{err: boom}, bytes.NewReader(make([]byte, size)), "writing sealed payload"},
		{"write error after a few slots", &failingWriter{n: 3 * chunkSize, err: boom}, bytes.NewReader(make([]byte, size)), "writing sealed payload"},
		{"short write", shortWriter{}, bytes.NewReader(make([]byte, size)), "writing sealed payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Seal(t.Context(), tt.dst, tt.src, []age.Recipient{r})
			require.ErrorContains(t, err, tt.wantMsg)
			if _, short := tt.dst.(shortWriter); short {
				require.ErrorIs(t, err, io.ErrShortWrite)
			} else {
				require.ErrorIs(t, err, boom)
			}
		})
	}
}

// TestSealSlotsCleared: the slots the pipeline gives back hold neither
// plaintext nor ciphertext, after a success or a failure.
func TestSealSlotsCleared(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items on purpose")
	}
	r, _ := testKeys(t)["x25519"].parse(t)
	pt := bytes.Repeat([]byte{0xee}, (ringSlots+2)*chunkSize)
	for name, dst := range map[string]io.Writer{"success": io.Discard, "write error": &failingWriter{n: chunkSize, err: errors.New("full")}} {
		t.Run(name, func(t *testing.T) {
			_, _ = Seal(t.Context(), dst, bytes.NewReader(pt), []age.Recipient{r})
			for range ringSlots {
				s := slotPool.Get().(*sealSlot)
				require.Equal(t, bytes.Repeat([]byte{0}, len(s.buf)), s.buf, "a pooled slot still holds data")
				require.Empty(t, s.done, "a pooled slot holds a stale token")
			}
		})
	}
}
