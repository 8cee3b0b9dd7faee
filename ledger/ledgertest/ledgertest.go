// Package ledgertest is the backend-neutral test kit for ledgers: the conformance suite
// that every [ledger.Ledger] runs, valid leaves, and the closed-loop driver of the append
// benchmarks. It depends on no backend; the helpers that give a test a real log in one
// call live beside each backend (ledger/posixlog/posixlogtest,
// ledger/trillianlog/trilliantest).
//
// A backend's test:
//
//	func TestConformance(t *testing.T) {
//		ledgertest.Run(t, func(t *testing.T) (ledger.Ledger, ledger.Log) {
//			return posixlogtest.NewLog(t) // a fresh, empty ledger and its trust entry
//		})
//	}
package ledgertest

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/evidctl/evidctl/ledger"
)

// Leaf returns a distinct, valid leaf for s: an entry of ledger.EntrySize bytes, the
// SHA-256 of s (its tag, distinct for every s) followed by the SHA-256 of that hash.
func Leaf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	leaf := make([]byte, 0, ledger.EntrySize+len(h))
	for leaf = append(leaf, h[:]...); len(leaf) < ledger.EntrySize; leaf = append(leaf, h[:]...) {
		h = sha256.Sum256(h[:])
	}
	return leaf[:ledger.EntrySize]
}

// Origin returns an origin for the test's log: prefix, then the test's name made usable
// in a note key name (no spaces, no '+').
func Origin(tb testing.TB, prefix string) string {
	return prefix + strings.Map(func(r rune) rune {
		if r <= ' ' || r == '+' || r >= 0x7f {
			return '_'
		}
		return r
	}, tb.Name())
}
