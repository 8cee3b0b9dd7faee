package seal

import (
	"bytes"
	"io"
	"strconv"
	"testing"

	"filippo.io/age"

	"github.com/evidctl/evidctl/crypto/digest"
)

// benchSizes are in memory; bigger sizes, on files, are for
// bench/cmd/sealbench (bench/seal.sh, bench/all.sh).
var benchSizes = []int{1 << 20, 64 << 20}

// sealBenchSizes add, for Seal and its age twin, a size at which the
// pipeline's start and end weigh nothing.
var sealBenchSizes = append(benchSizes[:len(benchSizes):len(benchSizes)], 256<<20)

func sizeName(n int) string { return strconv.Itoa(n>>20) + "MiB" }

// Each benchmark with an age-only twin (the baseline: age's own streaming
// reader or writer, no hashing) runs at the same sizes; compare MB/s, and
// cpu-s/GiB (CPU time of the process per GiB, which the load of other
// processes inflates far less than wall time).

// meterCPU starts measuring; call the function it returns after the loop.
func meterCPU(b *testing.B, size int) func() {
	start := cpuTime()
	return func() {
		if used := cpuTime() - start; used > 0 {
			b.ReportMetric(used.Seconds()/float64(b.N)/float64(size)*(1<<30), "cpu-s/GiB")
		}
	}
}

// benchPlain runs encrypt on a plaintext of each of sealBenchSizes, to the x25519 test recipient.
func benchPlain(b *testing.B, encrypt func(pt []byte, r age.Recipient) error) {
	r, _ := testKeys(b)["x25519"].parse(b)
	for _, size := range sealBenchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			pt := randomBytes(b, size)
			b.SetBytes(int64(size))
			defer meterCPU(b, size)()
			for b.Loop() {
				if err := encrypt(pt, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSeal(b *testing.B) {
	benchPlain(b, func(pt []byte, r age.Recipient) error {
		_, err := Seal(b.Context(), io.Discard, bytes.NewReader(pt), []age.Recipient{r})
		return err
	})
}

// BenchmarkAgeEncrypt is Seal's baseline: age.Encrypt alone, no hashing.
func BenchmarkAgeEncrypt(b *testing.B) {
	benchPlain(b, func(pt []byte, r age.Recipient) error {
		w, err := age.Encrypt(io.Discard, r)
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, bytes.NewReader(pt)); err != nil {
			return err
		}
		return w.Close()
	})
}

// benchSealed runs open on a sealed payload of each size; open gets the
// payload and the digests Seal recorded.
func benchSealed(b *testing.B, open func(sealed []byte, ids []age.Identity, res Result) error) {
	r, ids := testKeys(b)["x25519"].parse(b)
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) {
			sealed, res := sealBytes(b, randomBytes(b, size), r)
			b.SetBytes(int64(size))
			defer meterCPU(b, size)()
			for b.Loop() {
				if err := open(sealed, ids, res); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify: the court's check, both digests compared, no plaintext
// written.
func BenchmarkVerify(b *testing.B) {
	benchSealed(b, func(sealed []byte, ids []age.Identity, res Result) error {
		_, err := Verify(b.Context(), bytes.NewReader(sealed), ids,
			WithExpectedCiphertext(res.Ciphertext), WithExpectedPlaintext(res.Plaintext))
		return err
	})
}

// BenchmarkOpen is Verify with a destination (io.Discard here).
func BenchmarkOpen(b *testing.B) {
	benchSealed(b, func(sealed []byte, ids []age.Identity, res Result) error {
		_, err := Open(b.Context(), io.Discard, bytes.NewReader(sealed), ids,
			WithExpectedCiphertext(res.Ciphertext), WithExpectedPlaintext(res.Plaintext))
		return err
	})
}

// BenchmarkAgeDecrypt is the baseline of Verify and Open: age.Decrypt
// alone, no hashing (what "age -d -o /dev/null" does).
func BenchmarkAgeDecrypt(b *testing.B) {
	buf := make([]byte, chunkSize)
	benchSealed(b, func(sealed []byte, ids []age.Identity, _ Result) error {
		pr, err := age.Decrypt(bytes.NewReader(sealed), ids...)
		if err != nil {
			return err
		}
		_, err = io.CopyBuffer(io.Discard, pr, buf)
		return err
	})
}

// BenchmarkSealSmall is Seal of the small files of a bulk disclosure (one line, a
// few KiB, one age chunk), in memory, against the pipeline they took before
// (BenchmarkSealSmall/pipeline): the cost per file besides age's own X25519 wrap.
func BenchmarkSealSmall(b *testing.B) {
	r, _ := testKeys(b)["x25519"].parse(b)
	rs := []age.Recipient{r}
	for _, size := range []int{27, 4 << 10, smallMax} {
		pt := randomBytes(b, size)
		b.Run(strconv.Itoa(size)+"B", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Seal(b.Context(), io.Discard, bytes.NewReader(pt), rs); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(strconv.Itoa(size)+"B/pipeline", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ph, _ := digest.NewHasher()
				ch, _ := digest.NewHasher()
				if err := sealPipeline(b.Context(), io.Discard, bytes.NewReader(pt), rs, ph, ch); err != nil {
					b.Fatal(err)
				}
				ph.Sum()
				ch.Sum()
			}
		})
	}
}
