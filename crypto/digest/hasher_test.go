package digest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHasher(t *testing.T) {
	data := make([]byte, 3*blockSize+12345)
	_, _ = rand.Read(data)
	tests := []struct {
		name  string
		extra []Algorithm
		size  int
		chunk int // write size
		want  []Algorithm
	}{
		{"sha256 only, empty", nil, 0, 1, []Algorithm{SHA256}},
		{"sha256 only", nil, len(data), 4096, []Algorithm{SHA256}},
		{"all four, empty", []Algorithm{SHA512, SHA1, MD5}, 0, 1, []Algorithm{SHA256, SHA512, SHA1, MD5}},
		{"all four, tiny writes", []Algorithm{MD5, SHA1, SHA512}, 70000, 7, []Algorithm{SHA256, MD5, SHA1, SHA512}},
		{"all four, one big write", []Algorithm{SHA512, SHA1, MD5}, len(data), len(data), []Algorithm{SHA256, SHA512, SHA1, MD5}},
		{"exact block", []Algorithm{MD5}, blockSize, blockSize, []Algorithm{SHA256, MD5}},
		{"odd chunks", []Algorithm{SHA1}, len(data), 100003, []Algorithm{SHA256, SHA1}},
		{"sha256 and duplicates ignored", []Algorithm{SHA256, MD5, MD5}, 1000, 10, []Algorithm{SHA256, MD5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := data[:tt.size]
			h, err := NewHasher(tt.extra...)
			require.NoError(t, err)
			for p := in; len(p) > 0; {
				n := min(tt.chunk, len(p))
				w, err := h.Write(p[:n])
				require.NoError(t, err)
				require.Equal(t, n, w)
				p = p[n:]
			}
			require.Equal(t, int64(tt.size), h.Size())
			set := h.Sum()
			require.Equal(t, tt.want, set.Algorithms())
			ref := reference(in)
			for _, d := range set {
				require.Equal(t, ref[d.Algorithm], d.Hex(), d.Algorithm)
			}
			require.Equal(t, set, h.Sum(), "Sum is idempotent")
			_, err = h.Write([]byte("more"))
			require.ErrorIs(t, err, ErrHasherClosed)
		})
	}
}

// TestHasherDoesNotRetain overwrites each buffer right after Write returns:
// the digests must still be those of the original data.
func TestHasherDoesNotRetain(t *testing.T) {
	data := make([]byte, 2*blockSize+999)
	_, _ = rand.Read(data)
	h, err := NewHasher(SHA512, SHA1, MD5)
	require.NoError(t, err)
	buf := make([]byte, 8192)
	for p := data; len(p) > 0; {
		n := copy(buf, p)
		_, err := h.Write(buf[:n])
		require.NoError(t, err)
		for i := range buf {
			buf[i] = 0xff
		}
		p = p[n:]
	}
	ref := reference(data)
	for _, d := range h.Sum() {
		require.Equal(t, ref[d.Algorithm], d.Hex(), d.Algorithm)
	}
}

func TestNewHasherUnknown(t *testing.T) {
	_, err := NewHasher(SHA512, "whirlpool")
	require.ErrorIs(t, err, ErrUnknownAlgorithm)
	require.ErrorContains(t, err, `"whirlpool"`)
}

func TestReader(t *testing.T) {
	data := bytes.Repeat([]byte("evidence "), 100000)
	tests := []struct {
		name  string
		r     io.Reader
		extra []Algorithm
	}{
		{"plain", bytes.NewReader(data), nil},
		{"one byte reads", iotest.OneByteReader(bytes.NewReader(data[:5000])), []Algorithm{MD5}},
		{"half reads, all", iotest.HalfReader(bytes.NewReader(data)), []Algorithm{SHA512, SHA1, MD5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, n, err := Reader(tt.r, tt.extra...)
			require.NoError(t, err)
			want := data
			if n < int64(len(data)) {
				want = data[:n]
			}
			require.Equal(t, int64(len(want)), n)
			ref := reference(want)
			for _, d := range set {
				require.Equal(t, ref[d.Algorithm], d.Hex())
			}
		})
	}
}

func TestReaderError(t *testing.T) {
	boom := errors.New("disk on fire")
	_, _, err := Reader(iotest.ErrReader(boom), MD5)
	require.ErrorIs(t, err, boom)
	_, _, err = Reader(bytes.NewReader(nil), "crc")
	require.ErrorIs(t, err, ErrUnknownAlgorithm)
}

// TestHasherDroppedWithoutSum checks that the workers of an abandoned Hasher
// exit once it is garbage collected.
func TestHasherDroppedWithoutSum(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		h, err := NewHasher(SHA512, SHA1, MD5)
		require.NoError(t, err)
		_, _ = h.Write(make([]byte, 3*blockSize))
	}()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before, "hashing goroutines still running")
}
