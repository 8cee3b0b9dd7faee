// Package trilliantest gives tests a real Trillian log in one call: an in-process Trillian
// (log server, admin server and sequencer over loopback gRPC, on memory storage) that needs
// nothing installed, or the trillian_log_server and trillian_log_signer processes that
// scripts/trillian/up.sh starts on MariaDB, named by $EVIDCTL_TRILLIAN.
//
//	func TestSomething(t *testing.T) {
//		l, entry := trilliantest.NewLog(t, trilliantest.InProcess(t))
//		trust := &ledger.Trust{Logs: []ledger.Log{entry}}
//		...
//	}
//
// Every NewLog creates a fresh tree with its own note key, so tests sharing one Trillian do
// not see each other's leaves.
//
// # The race detector
//
// Trillian's in-memory storage (storage/memory, on github.com/google/btree) is a test
// double that is not safe for concurrent use: under `go test -race` its own code reports
// data races. So InProcess exists only without the race detector (the build tag race);
// under -race it returns the process Trillian of $EVIDCTL_TRILLIAN, so that the same tests
// run race-checked against MariaDB (scripts/trillian/ci.sh runs `go test -race ./...` so),
// and skips the test, saying why, when that variable is not set. `go test ./...` runs them
// in-process as ever.
package trilliantest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/trillianlog"
)

// EnvVar names the process Trillian to test against: "HOST:PORT" of trillian_log_server's
// gRPC endpoint, optionally followed by "/TREE_ID" of a tree made by up.sh.
const EnvVar = "EVIDCTL_TRILLIAN"

// SequencerInterval is how often the in-process Trillian integrates queued leaves.
const SequencerInterval = 10 * time.Millisecond

// FromEnv returns the address of the process Trillian named by $EVIDCTL_TRILLIAN, and the
// tree id given there (0 if none). It skips the test when the variable is not set.
func FromEnv(t testing.TB) (addr string, treeID int64) {
	t.Helper()
	v := os.Getenv(EnvVar)
	if v == "" {
		t.Skipf("$%s is not set: no process Trillian to test against (run scripts/trillian/ci.sh, or scripts/trillian/up.sh and source its env file)", EnvVar)
	}
	if !strings.Contains(v, "/") {
		return v, 0
	}
	ep, err := trillianlog.ParseURL(trillianlog.Scheme + "://" + v)
	require.NoError(t, err, "$%s=%q: want HOST:PORT or HOST:PORT/TREE_ID", EnvVar, v)
	return ep.Addr, ep.TreeID
}

// Factory returns NewLog on the Trillian at addr, with opts, as a [ledgertest.Factory],
// for the conformance suite and for tests that run on every backend.
func Factory(addr string, opts ...trillianlog.Option) ledgertest.Factory {
	return func(t *testing.T) (ledger.Ledger, ledger.Log) { return NewLog(t, addr, opts...) }
}

// NewLog creates a tree on the Trillian at addr and a note key for it in a temporary
// directory, opens the log, and closes it when the test ends. It returns the log and the
// trust-policy entry that verifies it.
func NewLog(t testing.TB, addr string, opts ...trillianlog.Option) (*trillianlog.Log, ledger.Log) {
	t.Helper()
	key := filepath.Join(t.TempDir(), "trillian.key")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ep, vkey, err := trillianlog.Init(ctx, addr, key, ledgertest.Origin(t, "evidctl.test/trillian/"))
	require.NoError(t, err)
	l, err := trillianlog.Open(ctx, ep.String(), key, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Close()) })
	return l, ledger.Log{Origin: l.Origin(), VerifierKey: vkey}
}
