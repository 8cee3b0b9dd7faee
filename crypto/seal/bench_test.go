package seal

import (
	"bytes"
	"io"
	"testing"

	"filippo.io/age"
)

const benchSize = 64 << 20

func BenchmarkSeal(b *testing.B) {
	r, _ := testKeys(b)["x25519"].parse(b)
	pt := randomBytes(b, benchSize)
	b.SetBytes(benchSize)
	for b.Loop() {
		if _, err := Seal(b.Context(), io.Discard, bytes.NewReader(pt), []age.Recipient{r}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAgeEncrypt is the baseline: age.Encrypt alone, no hashing.
func BenchmarkAgeEncrypt(b *testing.B) {
	r, _ := testKeys(b)["x25519"].parse(b)
	pt := randomBytes(b, benchSize)
	b.SetBytes(benchSize)
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
}

func BenchmarkOpen(b *testing.B) {
	r, ids := testKeys(b)["x25519"].parse(b)
	sealed, res := sealBytes(b, randomBytes(b, benchSize), r)
	b.SetBytes(benchSize)
	for b.Loop() {
		if _, err := Open(b.Context(), io.Discard, bytes.NewReader(sealed), ids,
			WithExpectedCiphertext(res.Ciphertext), WithExpectedPlaintext(res.Plaintext)); err != nil {
			b.Fatal(err)
		}
	}
}
