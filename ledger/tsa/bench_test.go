package tsa_test

import (
	"testing"

	"github.com/evidctl/evidctl/ledger/tsa/tsatest"
)

// BenchmarkVerify verifies one token: the openssl-issued vector (P-256 signer, its
// intermediate in the token, the root in the policy). Tokens are per checkpoint, so a
// bundle of N events pays this once per distinct checkpoint, not N times.
func BenchmarkVerify(b *testing.B) {
	cp, token, _ := readVector(b)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		_, _, v := readVector(b) // a fresh Verifier: nothing remembered
		b.StartTimer()
		if _, err := v.Verify(token, cp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyRemembered verifies a token the Verifier has verified before: the cost
// for every receipt of a checkpoint after its first.
func BenchmarkVerifyRemembered(b *testing.B) {
	cp, token, v := readVector(b)
	if _, err := v.Verify(token, cp); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(token, cp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenCached is the cost the Decorator adds to an append whose checkpoint already has
// its token: a cache hit.
func BenchmarkTokenCached(b *testing.B) {
	server := tsatest.New(b)
	c := newClient(b, server.URL)
	cp := checkpoint(b, "example.org/log", 1)
	if _, err := c.Token(b.Context(), cp); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Token(b.Context(), cp); err != nil {
			b.Fatal(err)
		}
	}
}
