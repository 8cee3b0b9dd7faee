// Package ledgertest is the test kit for ledgers: a conformance suite that every
// [ledger.Ledger] backend runs, and helpers that give other packages' tests a real,
// throw-away log in one call.
//
// A backend's test:
//
//	func TestConformance(t *testing.T) {
//		ledgertest.Run(t, func(t *testing.T) (ledger.Ledger, ledger.Log) {
//			return newTestBackend(t) // a fresh, empty ledger and its trust entry
//		})
//	}
//
// A test elsewhere that needs a log:
//
//	l, entry := ledgertest.NewPosixLog(t)
//	trust := &ledger.Trust{Logs: []ledger.Log{entry}}
package ledgertest

import (
	"crypto/sha256"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/posixlog"
)

// Leaf returns a distinct, valid leaf for s: the SHA-256 of s.
func Leaf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// NewPosixLog creates a posixlog log in a temporary directory, with its key in another,
// opens it, and closes it when the test ends. It returns the log and the trust-policy
// entry that verifies it.
func NewPosixLog(t testing.TB, opts ...posixlog.Option) (*posixlog.Log, ledger.Log) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "log")
	key := filepath.Join(t.TempDir(), "log.key")
	vkey, err := posixlog.Init(dir, key, "evidctl.test/"+sanitize(t.Name()))
	require.NoError(t, err)
	l, err := posixlog.Open(t.Context(), dir, key, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Close()) })
	return l, ledger.Log{Origin: l.Origin(), VerifierKey: vkey}
}

// sanitize makes a test name usable in an origin (a note key name: no spaces, no '+').
func sanitize(name string) string {
	b := []byte(name)
	for i, c := range b {
		if c <= ' ' || c == '+' || c >= 0x7f {
			b[i] = '_'
		}
	}
	return string(b)
}
