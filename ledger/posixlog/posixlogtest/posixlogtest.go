// Package posixlogtest gives tests a real embedded log (ledger/posixlog) in one call, and
// the bare Tessera engine beneath it for benchmarks to compare against.
//
//	func TestSomething(t *testing.T) {
//		l, entry := posixlogtest.NewLog(t)
//		trust := &ledger.Trust{Logs: []ledger.Log{entry}}
//		...
//	}
//
// Every NewLog is a fresh directory with its own note key, closed when the test ends.
package posixlogtest

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/internal/notekey"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog"
)

// NewLog creates a posixlog log in a temporary directory, with its key in another, opens
// it, and closes it when the test ends. It returns the log and the trust-policy entry
// that verifies it.
func NewLog(tb testing.TB, opts ...posixlog.Option) (*posixlog.Log, ledger.Log) {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "log")
	key := filepath.Join(tb.TempDir(), "log.key")
	vkey, err := posixlog.Init(dir, key, ledgertest.Origin(tb, "evidctl.test/"))
	require.NoError(tb, err)
	l, err := posixlog.Open(tb.Context(), dir, key, opts...)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, l.Close()) })
	return l, ledger.Log{Origin: l.Origin(), VerifierKey: vkey}
}

// Factory returns NewLog with opts as a [ledgertest.Factory], for the conformance suite
// and for tests that run on every backend.
func Factory(opts ...posixlog.Option) ledgertest.Factory {
	return func(t *testing.T) (ledger.Ledger, ledger.Log) { return NewLog(t, opts...) }
}

// RawTessera opens a bare Tessera POSIX log, in a temporary directory, with posixlog's
// default batching, checkpoint interval and publication polling: the raw engine that
// benchmarks of posixlog and of the ledger server compare against, in the same run. It
// returns an appendFn for [ledgertest.ClosedLoop] that adds [ledgertest.UniqueEntry](seq)
// and waits until a published checkpoint covers it. The log is shut down when tb ends.
func RawTessera(tb testing.TB) func(ctx context.Context, seq int) error {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	skey, _, err := note.GenerateKey(rand.Reader, "evidctl.test/raw")
	require.NoError(tb, err)
	s, err := note.NewSigner(skey)
	require.NoError(tb, err)
	driver, err := posix.New(ctx, posix.Config{Path: filepath.Join(tb.TempDir(), "log")})
	require.NoError(tb, err)
	opts := tessera.NewAppendOptions().WithCheckpointSigner(s).
		WithBatching(posixlog.DefaultBatchMaxSize, posixlog.DefaultBatchMaxAge).
		WithCheckpointInterval(posixlog.DefaultCheckpointInterval)
	a, shutdown, r, err := tessera.NewAppender(ctx, driver, opts)
	require.NoError(tb, err)
	awaiter := tessera.NewPublicationAwaiter(ctx, r.ReadCheckpoint, posixlog.DefaultPollInterval)
	tb.Cleanup(func() { _ = shutdown(context.Background()); cancel() })
	return func(ctx context.Context, seq int) error {
		_, _, err := awaiter.Await(ctx, a.Add(ctx, tessera.NewEntry(ledgertest.UniqueEntry(seq))))
		return err
	}
}

// Fill makes a posixlog log of n leaves, leaf(0) to leaf(n-1) in that order, written by
// raw Tessera in large batches, past posixlog and its tag index (as an operator who
// bypassed it could, or simply quickly, for benchmarks of reading a log). It returns
// the log directory, its key file and its trust entry. The directory lives until tb ends.
func Fill(tb testing.TB, n int, leaf func(i int) []byte) (dir, keyFile string, entry ledger.Log) {
	tb.Helper()
	dir = filepath.Join(tb.TempDir(), "log")
	keyFile = filepath.Join(tb.TempDir(), "log.key")
	vkey, err := posixlog.Init(dir, keyFile, ledgertest.Origin(tb, "evidctl.test/"))
	require.NoError(tb, err)
	signer, _, err := notekey.Read(keyFile)
	require.NoError(tb, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	driver, err := posix.New(ctx, posix.Config{Path: dir})
	require.NoError(tb, err)
	a, shutdown, r, err := tessera.NewAppender(ctx, driver, tessera.NewAppendOptions().
		WithCheckpointSigner(signer).WithBatching(4096, 50*time.Millisecond).
		WithPushback(uint(n)+1).WithCheckpointInterval(posixlog.DefaultCheckpointInterval))
	require.NoError(tb, err)
	var last tessera.IndexFuture
	for i := range n {
		last = a.Add(ctx, tessera.NewEntry(leaf(i)))
	}
	if last != nil {
		_, _, err = tessera.NewPublicationAwaiter(ctx, r.ReadCheckpoint, 10*time.Millisecond).Await(ctx, last)
		require.NoError(tb, err)
	}
	require.NoError(tb, shutdown(ctx))
	return dir, keyFile, ledger.Log{Origin: signer.Name(), VerifierKey: vkey}
}

// Forge appends leaves to the posixlog log in dir (signed with the note key in keyFile)
// with raw Tessera, past posixlog and its tag index, as a log operator who wanted to
// accept a second successor could, and waits until they are published. Close any Log
// open on dir first.
func Forge(tb testing.TB, dir, keyFile string, leaves ...[]byte) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	signer, _, err := notekey.Read(keyFile)
	require.NoError(tb, err)
	driver, err := posix.New(ctx, posix.Config{Path: dir})
	require.NoError(tb, err)
	a, shutdown, r, err := tessera.NewAppender(ctx, driver, tessera.NewAppendOptions().
		WithCheckpointSigner(signer).WithCheckpointInterval(posixlog.DefaultCheckpointInterval).
		WithBatching(1, posixlog.DefaultBatchMaxAge))
	require.NoError(tb, err)
	awaiter := tessera.NewPublicationAwaiter(ctx, r.ReadCheckpoint, posixlog.DefaultPollInterval)
	for _, leaf := range leaves {
		_, _, err := awaiter.Await(ctx, a.Add(ctx, tessera.NewEntry(leaf)))
		require.NoError(tb, err)
	}
	require.NoError(tb, shutdown(ctx))
}
