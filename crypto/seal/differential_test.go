package seal

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/require"
)

// fuzzIdentity is a fixed test key, so that a saved fuzz corpus stays
// meaningful from one run to the next.
const fuzzIdentity = "AGE-SECRET-KEY-1KEAP9YHTH2V0SD928UG6EMM66FXQA4MS22KQGQS9C6MZ3F5V7QKS60HG6F"

func fixedIdentity(t testing.TB) *age.X25519Identity {
	t.Helper()
	id, err := age.ParseX25519Identity(fuzzIdentity)
	require.NoError(t, err)
	return id
}

// ageVerdict is what the reference, age.Decrypt, makes of input.
func ageVerdict(input []byte, ids ...age.Identity) ([]byte, error) {
	r, err := age.Decrypt(bytes.NewReader(input), ids...)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// requireSameVerdict checks that Open agrees with age.Decrypt on input:
// both accept it with the same plaintext, or both refuse it, for the same
// class of reason (no identity, or anything else).
func requireSameVerdict(t testing.TB, input []byte, ids ...age.Identity) {
	t.Helper()
	want, ageErr := ageVerdict(input, ids...)
	var out bytes.Buffer
	res, err := Open(t.Context(), &out, bytes.NewReader(input), ids)
	if ageErr == nil {
		if err != nil {
			t.Fatalf("age accepts a payload that Open refuses: %v", err)
		}
		if !bytes.Equal(want, out.Bytes()) {
			t.Fatalf("Open and age disagree on the plaintext")
		}
		return
	}
	if err == nil {
		t.Fatalf("Open accepts a payload that age refuses: %v", ageErr)
	}
	ageNoMatch := errors.As(ageErr, new(*age.NoIdentityMatchError))
	if ageNoMatch != errors.Is(err, ErrNoIdentity) {
		t.Fatalf("age says %v, Open says %v", ageErr, err)
	}
	if !ageNoMatch && !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a payload age refuses is not ErrCorrupt: %v", err)
	}
	if res.Ciphertext.Hex() != sha256Hex(input) || res.CiphertextSize != int64(len(input)) {
		t.Fatalf("no ciphertext digest for a refused payload: %+v", res)
	}
}

// TestOpenAgreesWithAge mutates sealed files in the ways that matter
// (flipped bytes, truncation and extension around chunk boundaries) and
// checks that the single pass agrees with age.Decrypt on each.
func TestOpenAgreesWithAge(t *testing.T) {
	id := fixedIdentity(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 100, plainChunkSize, plainChunkSize + 1, 2*plainChunkSize + 300} {
		sealed, _ := sealBytes(t, randomBytes(t, size), id.Recipient())
		var inputs [][]byte
		for range 40 {
			b := bytes.Clone(sealed)
			b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
			inputs = append(inputs, b)
		}
		payload := headerEnd(sealed) + payloadNonceLen
		for _, cut := range []int{0, 1, payload - 1, payload, payload + 15, payload + 16, payload + 17,
			payload + sealedChunkSize - 1, payload + sealedChunkSize, payload + sealedChunkSize + 16, len(sealed) - 1} {
			if cut >= 0 && cut <= len(sealed) {
				inputs = append(inputs, sealed[:cut])
			}
		}
		inputs = append(inputs, append(bytes.Clone(sealed), 0), append(bytes.Clone(sealed), make([]byte, sealedChunkSize)...))
		for i, in := range inputs {
			t.Run("", func(t *testing.T) {
				t.Logf("size %d, input %d (%d bytes)", size, i, len(in))
				requireSameVerdict(t, in, id)
			})
		}
	}
}

// FuzzOpenAgreesWithAge: whatever the bytes, the single pass and age.Decrypt
// agree, and nothing panics.
func FuzzOpenAgreesWithAge(f *testing.F) {
	id := fixedIdentity(f)
	for _, size := range []int{0, 1, 300, plainChunkSize} {
		sealed, _ := sealBytes(f, randomBytes(f, size), id.Recipient())
		f.Add(sealed)
	}
	f.Add([]byte(ageIntro + "-> X25519 abc\n\n--- AAAA\n"))
	f.Add([]byte("age-encryption.org/v1\n---"))
	f.Fuzz(func(t *testing.T, input []byte) {
		requireSameVerdict(t, input, id)
	})
}

// decryptSplit runs the decrypter stage alone on input cut into pieces of
// the sizes split gives, to reach boundaries the reader stage (which fills
// whole ring buffers) never makes: a header or nonce across buffers, a
// chunk in many pieces.
func decryptSplit(t *testing.T, input []byte, ids []age.Identity, split func(i int) int) ([]byte, error) {
	g := newGroup(t.Context())
	sealed, plain := newRing(g.ctx), newRing(g.ctx)
	d := &decrypter{sealed: sealed, plain: plain, ids: ids, observe: io.Discard}
	g.run(func() error {
		for i, rest := 0, input; len(rest) > 0; i++ {
			b, err := sealed.get()
			if err != nil {
				return err
			}
			n := copy(b[:min(split(i), len(b))], rest)
			rest = rest[n:]
			if err := sealed.put(b[:n]); err != nil {
				return err
			}
		}
		sealed.closeWrite()
		return nil
	})
	g.run(d.run)
	var out bytes.Buffer
	g.run(func() error { return plain.drain(&out, io.Discard) })
	require.NoError(t, g.wait())
	return out.Bytes(), d.fault
}

func TestDecrypterSplits(t *testing.T) {
	pt, _, cases := verifyCases(t)
	rng := rand.New(rand.NewPCG(3, 4))
	splits := map[string]func(int) int{
		"one byte at a time for a while": func(i int) int {
			if i < 400 {
				return 1
			}
			return chunkSize
		},
		"odd sizes":   func(i int) int { return []int{7, 65551, 65553, 3, 100000}[i%5] },
		"random":      func(int) int { return 1 + rng.IntN(chunkSize) },
		"whole chunk": func(int) int { return sealedChunkSize },
	}
	for _, tt := range cases {
		if tt.opts != nil {
			continue // digests are not the decrypter's business
		}
		for name, split := range splits {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				out, fault := decryptSplit(t, tt.input, tt.ids, split)
				if tt.want == nil {
					require.NoError(t, fault)
					require.True(t, bytes.Equal(pt, out))
					return
				}
				require.ErrorIs(t, fault, tt.want)
				var ce *CorruptError
				if errors.As(fault, &ce) {
					require.Equal(t, tt.chunk, ce.Chunk)
					require.Equal(t, tt.offset, ce.Offset)
				}
				require.True(t, bytes.HasPrefix(pt, out), "only authenticated plaintext is passed on")
			})
		}
	}
}
