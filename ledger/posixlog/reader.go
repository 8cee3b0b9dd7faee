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

// ReadLeaves implements [ledger.LeafReader] from the entry bundles under tile/entries:
// those of the tree of the published checkpoint (of end leaves, if it is smaller), so
// that a range ending inside a bundle is read from the bundle as the log holds it, not
// from a partial bundle of the range's width, which the log may lack, or hold from an
// appender killed before it integrated its batch, with leaves the log never took.
func (r *Reader) ReadLeaves(ctx context.Context, start, end uint64) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		if start >= end {
			return
		}
		note, err := r.Checkpoint(ctx)
		var head ledger.Head
		if err == nil {
			head, err = ledger.ReadHeadUnverified(note)
		}
		if err != nil {
			yield(nil, fmt.Errorf("reading leaves of %s: %w", r.dir, err))
			return
		}
		for leaf, err := range tiles.Leaves(ctx, r.files.ReadEntryBundle, start, end, max(head.Size, end)) {
			if !yield(leaf, err) || err != nil {
				return
			}
		}
	}
}

// ReadLeaves implements [ledger.LeafReader]: the log's leaves, from its directory. It
// works after Close too.
func (l *Log) ReadLeaves(ctx context.Context, start, end uint64) iter.Seq2[[]byte, error] {
	r := Reader{dir: l.dir, files: client.FileFetcher{Root: l.dir}}
	return r.ReadLeaves(ctx, start, end)
}
