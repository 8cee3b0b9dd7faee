package ledger_test

import (
	"testing"

	"github.com/evidctl/evidctl/ledger"
)

// BenchmarkVerifyReceipt verifies one receipt (note signature + inclusion path) from a
// tree of 10^6 leaves built in memory: the cost depends only on the path length (20).
func BenchmarkVerifyReceipt(b *testing.B) {
	const size = 1_000_000
	m := newMemLog(b, "example.org/log")
	m.grow(b, size)
	r := m.receipt(b, 765_432, size)
	leaf := leafOf(765_432)
	trust := m.trust()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := trust.VerifyReceipt(r, leaf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseAndVerifyReceipt adds parsing the tlog-proof text.
func BenchmarkParseAndVerifyReceipt(b *testing.B) {
	const size = 1_000_000
	m := newMemLog(b, "example.org/log")
	m.grow(b, size)
	text := mustText(b, m.receipt(b, 765_432, size))
	leaf := leafOf(765_432)
	trust := m.trust()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := ledger.ParseReceipt(text)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := trust.VerifyReceipt(r, leaf); err != nil {
			b.Fatal(err)
		}
	}
}
