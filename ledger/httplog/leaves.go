package httplog

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"os"

	"github.com/transparency-dev/tessera/api/layout"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httpapi"
	"github.com/evidctl/evidctl/ledger/internal/tiles"
)

// ReadLeaves implements [ledger.LeafReader]: the log's leaves, from the tlog-tiles entry
// bundles the server publishes (a posixlog backend) or, when it publishes none (a
// Trillian backend), from GET /entries in ranges of at most
// httpapi.MaxEntriesPerRequest. Nothing is trusted: check what it yields with
// ledger.Scan against a verified checkpoint.
func (l *Log) ReadLeaves(ctx context.Context, start, end uint64) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		if start >= end {
			return
		}
		size := l.c.treeSize(ctx, end)
		_, err := l.c.bundle(ctx, start/layout.EntryBundleWidth, layout.PartialTileSize(0, start/layout.EntryBundleWidth, size))
		var se *StatusError
		if errors.As(err, &se) && se.Code == http.StatusNotFound {
			l.c.rangesOfEntries(ctx, start, end, yield)
			return
		}
		for leaf, err := range tiles.Leaves(ctx, l.c.bundle, start, end, size) {
			if !yield(leaf, err) || err != nil {
				return
			}
		}
	}
}

// treeSize is the size of the server's published tree, when it has end leaves or more:
// the bundles of that tree hold the leaves up to end. Those of a tree of end leaves
// would not, unless the log once published that size: their last, partial bundle exists
// only then (a batch taken in one go publishes only its last size), and another may be
// one an appender killed before it integrated its batch left behind. The size is not
// trusted: it only picks the bundles, and the caller checks their leaves against a
// verified checkpoint. If the server does not say, or its tree is smaller, it is end.
func (c *client) treeSize(ctx context.Context, end uint64) uint64 {
	body, err := c.do(ctx, http.MethodGet, httpapi.CheckpointPath, "", nil)
	if err != nil {
		return end
	}
	head, err := ledger.ReadHeadUnverified(body)
	if err != nil || head.Origin != c.origin || head.Size < end {
		return end
	}
	return head.Size
}

// bundle fetches an entry bundle, the full one when the partial one asked for is gone.
func (c *client) bundle(ctx context.Context, index uint64, p uint8) ([]byte, error) {
	b, err := c.do(ctx, http.MethodGet, "/"+layout.EntriesPath(index, p), "", nil)
	var se *StatusError
	if p > 0 && errors.As(err, &se) && se.Code == http.StatusNotFound {
		b, err = c.do(ctx, http.MethodGet, "/"+layout.EntriesPath(index, 0), "", nil)
	}
	if errors.As(err, &se) && se.Code == http.StatusNotFound {
		return nil, fmt.Errorf("%w: %w", os.ErrNotExist, err)
	}
	return b, err
}

// rangesOfEntries yields the leaves start to end-1 read from GET /entries.
func (c *client) rangesOfEntries(ctx context.Context, start, end uint64, yield func([]byte, error) bool) {
	for start < end {
		count := min(end-start, httpapi.MaxEntriesPerRequest)
		body, err := c.do(ctx, http.MethodGet, httpapi.EntriesQuery(start, count), "", nil)
		if err != nil {
			yield(nil, fmt.Errorf("reading entries from %d: %w", start, err))
			return
		}
		leaves, err := tiles.Split(body)
		if err == nil && uint64(len(leaves)) != count {
			err = fmt.Errorf("%d entries for %d asked", len(leaves), count)
		}
		if err != nil {
			yield(nil, fmt.Errorf("reading entries from %d: %w", start, err))
			return
		}
		for _, leaf := range leaves {
			if !yield(leaf, nil) {
				return
			}
		}
		start += count
	}
}
