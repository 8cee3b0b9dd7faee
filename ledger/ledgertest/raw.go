package ledgertest

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/ledger/posixlog"
)

// RawTessera opens a bare Tessera POSIX log, in a temporary directory, with posixlog's
// default batching, checkpoint interval and publication polling, and returns its
// add-then-await-publication function: the raw engine that benchmarks of posixlog and
// of the ledger server compare against, in the same run. The log is shut down when tb
// ends.
func RawTessera(tb testing.TB) func(ctx context.Context, leaf []byte) error {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	skey, _, err := note.GenerateKey(rand.Reader, "evidctl.test/raw")
	if err != nil {
		tb.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	driver, err := posix.New(ctx, posix.Config{Path: filepath.Join(tb.TempDir(), "log")})
	if err != nil {
		tb.Fatal(err)
	}
	opts := tessera.NewAppendOptions().WithCheckpointSigner(s).
		WithBatching(posixlog.DefaultBatchMaxSize, posixlog.DefaultBatchMaxAge).
		WithCheckpointInterval(posixlog.DefaultCheckpointInterval)
	a, shutdown, r, err := tessera.NewAppender(ctx, driver, opts)
	if err != nil {
		tb.Fatal(err)
	}
	awaiter := tessera.NewPublicationAwaiter(ctx, r.ReadCheckpoint, posixlog.DefaultPollInterval)
	tb.Cleanup(func() { _ = shutdown(context.Background()); cancel() })
	return func(ctx context.Context, leaf []byte) error {
		_, _, err := awaiter.Await(ctx, a.Add(ctx, tessera.NewEntry(leaf)))
		return err
	}
}
