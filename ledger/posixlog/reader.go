package posixlog

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"

	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/internal/tiles"
)

var (
	_ ledger.LeafReader = (*Reader)(nil)
	_ ledger.LeafReader = (*Log)(nil)
)

// Reader reads a log directory, or a copy of one, without its key: its published
// checkpoint and its leaves, for an audit ([ledger.Scan], [ledger.FindTags],
// [ledger.FindConflicts]). It writes nothing and takes no lock.
type Reader struct {
	dir   string
	files client.FileFetcher
}

// NewReader returns a Reader of the log in dir, which must hold a published checkpoint.
func NewReader(dir string) (*Reader, error) {
	if _, err := os.Stat(filepath.Join(dir, layout.CheckpointPath)); err != nil {
		return nil, fmt.Errorf("reading log %s: no published checkpoint: %w", dir, err)
	}
	return &Reader{dir: dir, files: client.FileFetcher{Root: dir}}, nil
}

// Checkpoint returns the published checkpoint note, unverified: verify it with a
// [ledger.Trust] before scanning up to it.
func (r *Reader) Checkpoint(ctx context.Context) ([]byte, error) {
	cp, err := r.files.ReadCheckpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading checkpoint of %s: %w", r.dir, err)
	}
	return cp, nil
}

// ReadLeaves implements [ledger.LeafReader] from the entry bundles under tile/entries.
func (r *Reader) ReadLeaves(ctx context.Context, start, end uint64) iter.Seq2[[]byte, error] {
	return tiles.Leaves(ctx, r.files.ReadEntryBundle, start, end)
}

// ReadLeaves implements [ledger.LeafReader]: the log's leaves, from its directory. It
// works after Close too.
func (l *Log) ReadLeaves(ctx context.Context, start, end uint64) iter.Seq2[[]byte, error] {
	r := Reader{dir: l.dir, files: client.FileFetcher{Root: l.dir}}
	return r.ReadLeaves(ctx, start, end)
}
