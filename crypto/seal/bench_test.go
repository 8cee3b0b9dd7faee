package seal

import (
	"bytes"
	"io"
	"strconv"
	"testing"

	"filippo.io/age"
)

// benchSizes are in memory; bigger sizes, on files, are for
// bench/cmd/sealbench (bench/seal.sh, bench/all.sh).
var benchSizes = []int{1 << 20, 64 << 20}

func sizeName(n int) string { return strconv.Itoa(n>>20) + "MiB" }

// Each benchmark with an age-only twin (the baseline: age's own streaming
// reader or writer, no hashing) runs at the same sizes; compare MB/s.

func BenchmarkSeal(b *testing.B) {
	r, _ := testKeys(b)["x25519"].parse(b)
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			pt := randomBytes(b, size)
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := Seal(b.Context(), io.Discard, bytes.NewReader(pt), []age.Recipient{r}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAgeEncrypt is Seal's baseline: age.Encrypt alone, no hashing.
func BenchmarkAgeEncrypt(b *testing.B) {
	r, _ := testKeys(b)["x25519"].parse(b)
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			pt := randomBytes(b, size)
			b.SetBytes(int64(size))
			for b.Loop() {
				w, err := age.Encrypt(io.Discard, r)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(w, bytes.NewReader(pt)); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify: the court's check, both digests compared, no plaintext
// written.
func BenchmarkVerify(b *testing.B) {
	r, ids := testKeys(b)["x25519"].parse(b)
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			sealed, res := sealBytes(b, randomBytes(b, size), r)
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := Verify(b.Context(), bytes.NewReader(sealed), ids,
					WithExpectedCiphertext(res.Ciphertext), WithExpectedPlaintext(res.Plaintext)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpen is Verify with a destination (io.Discard here).
func BenchmarkOpen(b *testing.B) {
	r, ids := testKeys(b)["x25519"].parse(b)
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			sealed, res := sealBytes(b, randomBytes(b, size), r)
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := Open(b.Context(), io.Discard, bytes.NewReader(sealed), ids,
					WithExpectedCiphertext(res.Ciphertext), WithExpectedPlaintext(res.Plaintext)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAgeDecrypt is the baseline of Verify and Open: age.Decrypt
// alone, no hashing (what "age -d -o /dev/null" does).
func BenchmarkAgeDecrypt(b *testing.B) {
	r, ids := testKeys(b)["x25519"].parse(b)
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			sealed, _ := sealBytes(b, randomBytes(b, size), r)
			buf := make([]byte, chunkSize)
			b.SetBytes(int64(size))
			for b.Loop() {
				pr, err := age.Decrypt(bytes.NewReader(sealed), ids...)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.CopyBuffer(io.Discard, pr, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
