package trillianlog

import (
	"context"
	"fmt"
	"iter"

	"github.com/google/trillian"
	"google.golang.org/grpc"

	"github.com/evidctl/evidctl/ledger"
)

var (
	_ ledger.LeafReader = (*Log)(nil)
	_ ledger.LeafReader = (*Reader)(nil)
)

// ReadLeaves implements [ledger.LeafReader] with GetLeavesByRange.
func (l *Log) ReadLeaves(ctx context.Context, start, end uint64) iter.Seq2[[]byte, error] {
	return readLeaves(ctx, l.b.client, l.b.ep.TreeID, start, end)
}

// Reader reads the leaves of a Trillian tree, for an audit, with no note key: it cannot
// sign checkpoints, so the checkpoint to scan up to comes from elsewhere (a personality,
// `evidctl serve`, a bundle's receipts). Close it when done.
type Reader struct {
	ep   Endpoint
	conn *grpc.ClientConn
}

// OpenReader connects to the Trillian tree at url ("trillian://HOST:PORT/TREE_ID"). Of
// the options, only the dial options apply.
func OpenReader(ctx context.Context, url string, opts ...Option) (*Reader, error) {
	ep, cfg, err := openConfig(url, opts)
	if err != nil {
		return nil, err
	}
	conn, err := dial(ep.Addr, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", ep, err)
	}
	return &Reader{ep: ep, conn: conn}, nil
}

// ReadLeaves implements [ledger.LeafReader] with GetLeavesByRange.
func (r *Reader) ReadLeaves(ctx context.Context, start, end uint64) iter.Seq2[[]byte, error] {
	return readLeaves(ctx, trillian.NewTrillianLogClient(r.conn), r.ep.TreeID, start, end)
}

// Close closes the connection.
func (r *Reader) Close() error { return r.conn.Close() }

// readLeaves yields the leaves start to end-1 of a tree, scanChunk per request, checking
// that Trillian answers each index in order.
func readLeaves(ctx context.Context, c trillian.TrillianLogClient, tree int64, start, end uint64) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		for start < end {
			count := min(end-start, scanChunk)
			resp, err := c.GetLeavesByRange(ctx, &trillian.GetLeavesByRangeRequest{LogId: tree, StartIndex: int64(start), Count: int64(count)})
			if err == nil && len(resp.GetLeaves()) == 0 {
				err = fmt.Errorf("no leaves returned from %d", start)
			}
			if err != nil {
				yield(nil, fmt.Errorf("reading leaves from %d of tree %d: %w", start, tree, err))
				return
			}
			for _, l := range resp.GetLeaves() {
				if l.GetLeafIndex() != int64(start) {
					yield(nil, fmt.Errorf("reading leaves of tree %d: leaf index %d where %d was due", tree, l.GetLeafIndex(), start))
					return
				}
				if !yield(l.GetLeafValue(), nil) {
					return
				}
				if start++; start == end {
					return
				}
			}
		}
	}
}
