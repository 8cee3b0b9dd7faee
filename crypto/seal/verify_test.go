package seal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/digest"
)

// verifyCase is one input to the single-pass path and what it must yield.
type verifyCase struct {
	name   string
	input  []byte
	ids    []age.Identity
	opts   []Option
	want   error // nil, ErrNoIdentity, a corrupt kind, ErrCiphertextMismatch, ErrPlaintextMismatch
	chunk  int64 // for a *CorruptError: the chunk at fault (-1: header)
	offset int64 // for a *CorruptError: the offset at fault
}

// verifyCases builds the table shared by Verify, Open and OpenFile: a
// payload of 5 chunks and a bit, and every way it can go wrong.
func verifyCases(t *testing.T) (pt []byte, res Result, cases []verifyCase) {
	keys := testKeys(t)
	r, ids := keys["x25519"].parse(t)
	_, wrongIDs := keys["hybrid"].parse(t)
	pt = randomBytes(t, 5*plainChunkSize+1000)
	sealed, res := sealBytes(t, pt, r)
	payload := int64(headerEnd(sealed)) + payloadNonceLen // offset of chunk 0
	chunkAt := func(i int64) int64 { return payload + i*sealedChunkSize }
	flip := func(i int64) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x20
		return b
	}
	// An exact multiple of 64 KiB ends with a full-length final chunk.
	full, _ := sealBytes(t, randomBytes(t, 2*plainChunkSize), r)
	fullEnd := int64(len(full))
	n := int64(len(sealed))
	otherPT := digest.Set{digest.SHA256Bytes([]byte("not it"))}
	cases = []verifyCase{
		{name: "good payload", input: sealed, ids: ids,
			opts: []Option{WithExpectedCiphertext(res.Ciphertext), WithExpectedPlaintext(res.Plaintext)}},
		{name: "wrong identity", input: sealed, ids: wrongIDs, want: ErrNoIdentity},
		{name: "tampered byte in the middle", input: flip(chunkAt(2) + 3000), ids: ids, want: ErrAltered, chunk: 2, offset: chunkAt(2)},
		{name: "tampered tag of the first chunk", input: flip(chunkAt(1) - 1), ids: ids, want: ErrAltered, chunk: 0, offset: chunkAt(0)},
		{name: "tampered header MAC", input: flip(payload - payloadNonceLen - 5), ids: ids, want: ErrBadHeader, chunk: -1, offset: 0},
		{name: "tampered nonce", input: flip(payload - 1), ids: ids, want: ErrAltered, chunk: 0, offset: chunkAt(0)},
		{name: "truncated at a chunk boundary", input: sealed[:chunkAt(3)], ids: ids, want: ErrTruncated, chunk: 3, offset: chunkAt(3)},
		{name: "truncated inside a chunk", input: sealed[:chunkAt(3)+100], ids: ids, want: ErrAltered, chunk: 3, offset: chunkAt(3)},
		{name: "truncated inside a tag", input: sealed[:chunkAt(3)+5], ids: ids, want: ErrTruncated, chunk: 3, offset: chunkAt(3)},
		{name: "last byte missing", input: sealed[:n-1], ids: ids, want: ErrAltered, chunk: 5, offset: chunkAt(5)},
		{name: "truncated in the nonce", input: sealed[:payload-3], ids: ids, want: ErrTruncated, chunk: -1, offset: payload - 3},
		{name: "truncated in the header", input: sealed[:40], ids: ids, want: ErrTruncated, chunk: -1, offset: 40},
		{name: "empty file", input: nil, ids: ids, want: ErrTruncated, chunk: -1, offset: 0},
		{name: "not an age file", input: []byte("just some plaintext\n"), ids: ids, want: ErrBadHeader, chunk: -1, offset: 0},
		{name: "extra bytes after a short final chunk", input: append(bytes.Clone(sealed), "more"...), ids: ids, want: ErrAltered, chunk: 5, offset: chunkAt(5)},
		{name: "extra bytes after a full final chunk", input: append(bytes.Clone(full), "more"...), ids: ids, want: ErrTrailingData, chunk: -1, offset: fullEnd},
		{name: "wrong expected ciphertext digest", input: sealed, ids: ids,
			opts: []Option{WithExpectedCiphertext(digest.SHA256Bytes(nil)), WithExpectedPlaintext(res.Plaintext)}, want: ErrCiphertextMismatch},
		{name: "wrong expected plaintext digest", input: sealed, ids: ids,
			opts: []Option{WithExpectedCiphertext(res.Ciphertext), WithExpectedPlaintext(otherPT)}, want: ErrPlaintextMismatch},
		{name: "tampered, with expected digests", input: flip(chunkAt(4)), ids: ids,
			opts: []Option{WithExpectedCiphertext(res.Ciphertext), WithExpectedPlaintext(res.Plaintext)}, want: ErrAltered, chunk: 4, offset: chunkAt(4)},
	}
	return pt, res, cases
}

// classes are the error classes a caller branches on; exactly one holds.
var classes = []error{ErrNoIdentity, ErrCorrupt, ErrCiphertextMismatch, ErrPlaintextMismatch}

// checkVerify asserts what the single pass returned for tt.
func checkVerify(t *testing.T, tt verifyCase, pt []byte, got Result, err error) {
	t.Helper()
	// The ciphertext digest and size: always, whatever went wrong.
	require.Equal(t, sha256Hex(tt.input), got.Ciphertext.Hex(), "ciphertext digest")
	require.Equal(t, int64(len(tt.input)), got.CiphertextSize, "ciphertext size")
	if tt.want == nil {
		require.NoError(t, err)
		require.Equal(t, sha256Hex(pt), got.Plaintext.SHA256().Hex())
		require.Equal(t, int64(len(pt)), got.PlaintextSize)
		return
	}
	require.ErrorIs(t, err, tt.want)
	n := 0
	for _, c := range classes {
		if errors.Is(err, c) {
			n++
		}
	}
	require.Equal(t, 1, n, "exactly one error class: %v", err)
	switch {
	case errors.Is(err, ErrCorrupt):
		var ce *CorruptError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, tt.want, ce.Kind)
		require.Equal(t, tt.chunk, ce.Chunk, "chunk at fault: %v", err)
		require.Equal(t, tt.offset, ce.Offset, "offset of the fault: %v", err)
		require.Nil(t, got.Plaintext, "no plaintext digest for a payload that does not open")
	case errors.Is(err, ErrNoIdentity):
		var nim *age.NoIdentityMatchError
		require.ErrorAs(t, err, &nim)
		require.Nil(t, got.Plaintext)
	default: // digest mismatches: the payload opened, both digests are known
		var me *digest.MismatchError
		require.ErrorAs(t, err, &me)
		require.Equal(t, sha256Hex(pt), got.Plaintext.SHA256().Hex())
	}
}

func TestVerify(t *testing.T) {
	pt, _, cases := verifyCases(t)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Verify(t.Context(), bytes.NewReader(tt.input), tt.ids, tt.opts...)
			checkVerify(t, tt, pt, got, err)
		})
	}
}

func TestOpenSinglePass(t *testing.T) {
	pt, _, cases := verifyCases(t)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			got, err := Open(t.Context(), &out, bytes.NewReader(tt.input), tt.ids, tt.opts...)
			checkVerify(t, tt, pt, got, err)
			if err == nil || errors.Is(err, ErrPlaintextMismatch) || errors.Is(err, ErrCiphertextMismatch) {
				require.True(t, bytes.Equal(pt, out.Bytes()), "plaintext written")
			} else {
				require.True(t, bytes.HasPrefix(pt, out.Bytes()), "only authenticated plaintext is written")
			}
		})
	}
}

// TestOpenFileSinglePass: a temporary file that becomes the destination
// only when everything matched; on every failure nothing is left behind,
// and an existing file at the destination is untouched.
func TestOpenFileSinglePass(t *testing.T) {
	pt, _, cases := verifyCases(t)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			for _, existing := range []bool{false, true} {
				dir := t.TempDir()
				path := filepath.Join(dir, "image.dd")
				if existing {
					require.NoError(t, os.WriteFile(path, []byte("previous"), 0o600))
				}
				got, err := OpenFile(t.Context(), path, bytes.NewReader(tt.input), tt.ids, tt.opts...)
				checkVerify(t, tt, pt, got, err)
				ents, derr := os.ReadDir(dir)
				require.NoError(t, derr)
				require.Len(t, ents, map[bool]int{false: 0, true: 1}[existing || tt.want == nil], "files in %s: %v", dir, ents)
				content, rerr := os.ReadFile(path)
				switch {
				case tt.want == nil:
					require.NoError(t, rerr)
					require.True(t, bytes.Equal(pt, content))
				case existing:
					require.Equal(t, "previous", string(content), "existing file untouched")
				default:
					require.ErrorIs(t, rerr, os.ErrNotExist, "nothing at the destination")
				}
			}
		})
	}
}

// TestVerifySizes covers the chunk and ring boundaries, for every kind of
// key (hybrid headers are long).
func TestVerifySizes(t *testing.T) {
	keys := testKeys(t)
	sizes := []int{0, 1, plainChunkSize - 1, plainChunkSize, plainChunkSize + 1, 4 * plainChunkSize,
		chunkSize + 17, ringSlots*chunkSize + 3*plainChunkSize}
	for _, kind := range []string{"x25519", "hybrid", "ssh-ed25519"} {
		r, ids := keys[kind].parse(t)
		for _, size := range sizes {
			pt := randomBytes(t, size)
			sealed, res := sealBytes(t, pt, r)
			got, err := Verify(t.Context(), bytes.NewReader(sealed), ids, WithDigests(digest.MD5),
				WithExpectedCiphertext(res.Ciphertext), WithExpectedPlaintext(res.Plaintext))
			require.NoError(t, err, "%s, %d bytes", kind, size)
			want, _, _ := digest.Reader(bytes.NewReader(pt), digest.MD5)
			require.Equal(t, want, got.Plaintext)
			require.Equal(t, int64(size), got.PlaintextSize)
		}
	}
}

// TestVerifyMemoryIsConstant: the bytes allocated by one Verify do not grow
// with the payload (age's own reader allocates 64 KiB per chunk).
func TestVerifyMemoryIsConstant(t *testing.T) {
	r, ids := testKeys(t)["x25519"].parse(t)
	sealed, _ := sealBytes(t, make([]byte, 48<<20), r)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Verify(t.Context(), bytes.NewReader(sealed), ids)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(12<<20), "allocated for a 48 MiB payload")
}

func TestVerifyNoIdentitiesReadsNothing(t *testing.T) {
	_, err := Verify(t.Context(), &errAfter{err: errors.New("must not be read")}, nil)
	require.ErrorIs(t, err, ErrNoIdentity)
}

func TestOpenNilDestination(t *testing.T) {
	_, ids := testKeys(t)["x25519"].parse(t)
	_, err := Open(t.Context(), nil, bytes.NewReader(nil), ids)
	require.ErrorContains(t, err, "use Verify")
}
