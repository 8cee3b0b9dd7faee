package seal

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"testing/iotest"

	"filippo.io/age"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/digest"
)

func TestSealOpenRoundTrip(t *testing.T) {
	keys := testKeys(t)
	sizes := []int{0, 1, 64 << 10, 64<<10 + 1, chunkSize, 3*chunkSize + 7}
	for _, kind := range []string{"x25519", "hybrid", "ssh-ed25519", "ssh-rsa"} {
		for _, size := range sizes {
			t.Run(kind+"/"+strconv.Itoa(size), func(t *testing.T) {
				r, ids := keys[kind].parse(t)
				pt := randomBytes(t, size)
				sealed, res := sealBytes(t, pt, r)

				require.Equal(t, int64(size), res.PlaintextSize)
				require.Equal(t, int64(len(sealed)), res.CiphertextSize)
				require.Equal(t, sha256Hex(pt), res.Plaintext.SHA256().Hex())
				require.Equal(t, sha256Hex(sealed), res.Ciphertext.Hex())
				require.Equal(t, []digest.Algorithm{digest.SHA256}, res.Plaintext.Algorithms())

				var out bytes.Buffer
				got, err := Open(t.Context(), &out, bytes.NewReader(sealed), ids,
					WithExpectedPlaintext(res.Plaintext), WithExpectedCiphertext(res.Ciphertext))
				require.NoError(t, err)
				require.True(t, bytes.Equal(pt, out.Bytes()), "plaintext differs")
				require.Equal(t, res.Ciphertext, got.Ciphertext)
				require.NoError(t, got.Plaintext.Match(res.Plaintext))
				require.Equal(t, res.PlaintextSize, got.PlaintextSize)
				require.Equal(t, res.CiphertextSize, got.CiphertextSize)

				d, n, err := CiphertextDigest(bytes.NewReader(sealed))
				require.NoError(t, err)
				require.True(t, d.Equal(res.Ciphertext))
				require.Equal(t, res.CiphertextSize, n)
			})
		}
	}
}

func TestSealMultipleRecipients(t *testing.T) {
	keys := testKeys(t)
	x, xids := keys["x25519"].parse(t)
	s, sids := keys["ssh-ed25519"].parse(t)
	sealed, _ := sealBytes(t, []byte("for two custodians"), x, s)
	for name, ids := range map[string][]age.Identity{"x25519": xids, "ssh": sids} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := Open(t.Context(), &out, bytes.NewReader(sealed), ids)
			require.NoError(t, err)
			require.Equal(t, "for two custodians", out.String())
		})
	}
}

func TestSealExtraDigests(t *testing.T) {
	r, ids := testKeys(t)["x25519"].parse(t)
	pt := randomBytes(t, 2*chunkSize+3)
	var sealed bytes.Buffer
	res, err := Seal(t.Context(), &sealed, iotest.HalfReader(bytes.NewReader(pt)), []age.Recipient{r},
		WithDigests(digest.SHA512, digest.MD5))
	require.NoError(t, err)
	want, _, err := digest.Reader(bytes.NewReader(pt), digest.SHA512, digest.MD5)
	require.NoError(t, err)
	require.Equal(t, want, res.Plaintext)

	// Open computes the algorithms of the expected set even without WithDigests.
	got, err := Open(t.Context(), io.Discard, bytes.NewReader(sealed.Bytes()), ids, WithExpectedPlaintext(want))
	require.NoError(t, err)
	require.Equal(t, want, got.Plaintext)
}

func TestSealExpectedPlaintext(t *testing.T) {
	r, _ := testKeys(t)["x25519"].parse(t)
	other := digest.Set{digest.SHA256Bytes([]byte("something else"))}
	_, err := Seal(t.Context(), io.Discard, bytes.NewReader([]byte("evidence")), []age.Recipient{r}, WithExpectedPlaintext(other))
	require.ErrorIs(t, err, ErrPlaintextMismatch)
	var me *digest.MismatchError
	require.ErrorAs(t, err, &me)
}

func TestOptionsAndArgumentErrors(t *testing.T) {
	r, ids := testKeys(t)["x25519"].parse(t)
	sealed, _ := sealBytes(t, []byte("x"), r)
	seal := func(opts ...Option) error {
		_, err := Seal(t.Context(), io.Discard, bytes.NewReader([]byte("x")), []age.Recipient{r}, opts...)
		return err
	}
	open := func(opts ...Option) error {
		_, err := Open(t.Context(), io.Discard, bytes.NewReader(sealed), ids, opts...)
		return err
	}
	tests := []struct {
		name    string
		err     error
		wantErr string
	}{
		{"seal unknown digest", seal(WithDigests("crc32")), `unknown digest algorithm "crc32"`},
		{"seal expected ciphertext", seal(WithExpectedCiphertext(digest.SHA256Bytes(nil))), "applies to Open only"},
		{"seal no recipients", func() error { _, err := Seal(t.Context(), io.Discard, bytes.NewReader(nil), nil); return err }(), "no recipients"},
		{"open empty expected set", open(WithExpectedPlaintext(digest.Set{})), "has no sha256 digest"},
		{"open md5 as ciphertext digest", open(WithExpectedCiphertext(digest.Digest{Algorithm: digest.MD5, Sum: make([]byte, 16)})), "want a sha256 digest"},
		{"open zero ciphertext digest", open(WithExpectedCiphertext(digest.Digest{})), "want a sha256 digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorContains(t, tt.err, tt.wantErr)
		})
	}
}

func TestOpenErrors(t *testing.T) {
	keys := testKeys(t)
	r, ids := keys["x25519"].parse(t)
	_, wrongIDs := keys["hybrid"].parse(t)
	pt := randomBytes(t, 200<<10)
	sealed, _ := sealBytes(t, pt, r)
	hdrEnd := bytes.Index(sealed, []byte("\n---")) + 1

	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	otherPT := digest.Set{digest.SHA256Bytes([]byte("not it"))}
	tests := []struct {
		name  string
		input []byte
		ids   []age.Identity
		opts  []Option
		want  error
	}{
		{"wrong identity", sealed, wrongIDs, nil, ErrNoIdentity},
		{"no identities", sealed, nil, nil, ErrNoIdentity},
		{"empty input", nil, ids, nil, ErrCorrupt},
		{"not an age file", []byte("just some plaintext\n"), ids, nil, ErrCorrupt},
		{"truncated in header", sealed[:hdrEnd/2], ids, nil, ErrCorrupt},
		{"truncated after header", sealed[:hdrEnd+70], ids, nil, ErrCorrupt},
		{"truncated mid payload", sealed[:len(sealed)/2], ids, nil, ErrCorrupt},
		{"last byte missing", sealed[:len(sealed)-1], ids, nil, ErrCorrupt},
		{"trailing data", append(bytes.Clone(sealed), 0), ids, nil, ErrCorrupt},
		{"flipped byte in header MAC", flip(hdrEnd + 6), ids, nil, ErrCorrupt},
		{"flipped byte in payload", flip(len(sealed) - 100), ids, nil, ErrCorrupt},
		{"flipped first payload byte", flip(len(sealed) - 1 - len(pt) - 3*16), ids, nil, ErrCorrupt},
		{"plaintext digest mismatch", sealed, ids, []Option{WithExpectedPlaintext(otherPT)}, ErrPlaintextMismatch},
		{"ciphertext digest mismatch", sealed, ids, []Option{WithExpectedCiphertext(digest.SHA256Bytes(nil))}, ErrCiphertextMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(t.Context(), io.Discard, bytes.NewReader(tt.input), tt.ids, tt.opts...)
			require.ErrorIs(t, err, tt.want)
			for _, other := range []error{ErrNoIdentity, ErrCorrupt, ErrPlaintextMismatch, ErrCiphertextMismatch} {
				if other != tt.want {
					require.NotErrorIs(t, err, other)
				}
			}
			if tt.want == ErrPlaintextMismatch || tt.want == ErrCiphertextMismatch {
				var me *digest.MismatchError
				require.ErrorAs(t, err, &me)
			}
		})
	}
}

func TestOpenFile(t *testing.T) {
	keys := testKeys(t)
	r, ids := keys["x25519"].parse(t)
	_, wrongIDs := keys["ssh-ed25519"].parse(t)
	pt := randomBytes(t, 3*chunkSize/2)
	sealed, res := sealBytes(t, pt, r)
	tests := []struct {
		name  string
		input []byte
		ids   []age.Identity
		opts  []Option
		want  error // nil: success
	}{
		{"success", sealed, ids, []Option{WithExpectedPlaintext(res.Plaintext), WithExpectedCiphertext(res.Ciphertext)}, nil},
		{"plaintext digest mismatch", sealed, ids, []Option{WithExpectedPlaintext(digest.Set{digest.SHA256Bytes(nil)})}, ErrPlaintextMismatch},
		{"ciphertext digest mismatch", sealed, ids, []Option{WithExpectedCiphertext(digest.SHA256Bytes(nil))}, ErrCiphertextMismatch},
		{"wrong identity", sealed, wrongIDs, nil, ErrNoIdentity},
		{"truncated", sealed[:len(sealed)-10], ids, nil, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, existing := range []bool{false, true} {
				dir := t.TempDir()
				path := filepath.Join(dir, "evidence.bin")
				if existing {
					require.NoError(t, os.WriteFile(path, []byte("previous"), 0o600))
				}
				_, err := OpenFile(t.Context(), path, bytes.NewReader(tt.input), tt.ids, tt.opts...)
				ents, derr := os.ReadDir(dir)
				require.NoError(t, derr)
				if tt.want == nil {
					require.NoError(t, err)
					got, err := os.ReadFile(path)
					require.NoError(t, err)
					require.True(t, bytes.Equal(pt, got))
					st, err := os.Stat(path)
					require.NoError(t, err)
					require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
					require.Len(t, ents, 1)
					continue
				}
				require.ErrorIs(t, err, tt.want)
				if existing {
					got, err := os.ReadFile(path)
					require.NoError(t, err)
					require.Equal(t, "previous", string(got), "existing file untouched")
					require.Len(t, ents, 1, "no temporary file left")
				} else {
					require.Empty(t, ents, "a failed OpenFile leaves no file")
				}
			}
		})
	}
}

func TestOpenFileBadPath(t *testing.T) {
	_, ids := testKeys(t)["x25519"].parse(t)
	_, err := OpenFile(t.Context(), filepath.Join(t.TempDir(), "missing", "x"), bytes.NewReader(nil), ids)
	require.Error(t, err)
}

// errAfter reads n bytes of zeros and then fails with err.
type errAfter struct {
	n   int
	err error
}

func (r *errAfter) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, r.err
	}
	n := min(len(p), r.n)
	clear(p[:n])
	r.n -= n
	return n, nil
}

type failWriter struct{ err error }

func (w failWriter) Write(p []byte) (int, error) { return 0, w.err }

func TestIOErrors(t *testing.T) {
	r, ids := testKeys(t)["x25519"].parse(t)
	sealed, _ := sealBytes(t, randomBytes(t, 3*chunkSize), r)
	boom := errors.New("device failure")
	tests := []struct {
		name string
		run  func() error
	}{
		{"seal read error", func() error {
			_, err := Seal(t.Context(), io.Discard, &errAfter{n: 2*chunkSize + 5, err: boom}, []age.Recipient{r})
			return err
		}},
		{"seal write error", func() error {
			_, err := Seal(t.Context(), failWriter{boom}, bytes.NewReader(make([]byte, 5*chunkSize)), []age.Recipient{r})
			return err
		}},
		{"open read error", func() error {
			src := io.MultiReader(bytes.NewReader(sealed[:chunkSize+100]), iotest.ErrReader(boom))
			_, err := Open(t.Context(), io.Discard, src, ids)
			return err
		}},
		{"open write error", func() error {
			_, err := Open(t.Context(), failWriter{boom}, bytes.NewReader(sealed), ids)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			require.ErrorIs(t, err, boom)
			require.NotErrorIs(t, err, ErrCorrupt, "an I/O error is not a corrupt payload")
		})
	}
}

// endless yields zeros forever and cancels ctx after limit bytes.
type endless struct {
	n, limit int
	cancel   context.CancelFunc
}

func (r *endless) Read(p []byte) (int, error) {
	clear(p)
	r.n += len(p)
	if r.n > r.limit {
		r.cancel()
	}
	return len(p), nil
}

func TestContextCancel(t *testing.T) {
	r, ids := testKeys(t)["x25519"].parse(t)
	sealed, _ := sealBytes(t, randomBytes(t, 3*chunkSize), r)

	t.Run("seal canceled before start", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := Seal(ctx, io.Discard, bytes.NewReader([]byte("x")), []age.Recipient{r})
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("seal canceled mid stream", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		src := &endless{limit: 10 * chunkSize, cancel: cancel}
		_, err := Seal(ctx, io.Discard, src, []age.Recipient{r})
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("open canceled before start", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := Open(ctx, io.Discard, bytes.NewReader(sealed), ids)
		require.ErrorIs(t, err, context.Canceled)
		require.NotErrorIs(t, err, ErrCorrupt)
	})
	t.Run("openfile canceled leaves no file", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		dir := t.TempDir()
		_, err := OpenFile(ctx, filepath.Join(dir, "out"), bytes.NewReader(sealed), ids)
		require.ErrorIs(t, err, context.Canceled)
		ents, _ := os.ReadDir(dir)
		require.Empty(t, ents)
	})
}

func TestCiphertextDigestRejectsNonAge(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"short", "age"},
		{"plaintext", "hello world, this is not sealed"},
		{"armored", "-----BEGIN AGE ENCRYPTED FILE-----\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := CiphertextDigest(bytes.NewReader([]byte(tt.in)))
			require.ErrorIs(t, err, ErrCorrupt)
		})
	}
}
