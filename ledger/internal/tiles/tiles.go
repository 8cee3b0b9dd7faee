// Package tiles reads the leaves of a tlog-tiles log (https://c2sp.org/tlog-tiles) from
// its entry bundles, wherever they are fetched from: a posixlog directory, or the tiles
// an `evidctl serve` publishes. It uses Tessera's client to read bundles ahead.
package tiles

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"

	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"

	"github.com/evidctl/evidctl/ledger"
)

// Workers is how many entry bundles Leaves reads ahead.
const Workers = 4

// Leaves yields the leaves at indexes start to end-1 in order, reading entry bundles with
// fetch, several ahead. The bundles read are those of the tree of treeSize leaves (at
// least end): its last bundle is partial, of width treeSize mod 256, and fetch falls back
// to the full bundle when the partial one is gone, as Tessera's fetchers do. treeSize
// must be a size the log has had (a checkpoint's, or Tessera's integrated size): only
// for those does a partial bundle exist with the log's leaves. Another width may be
// missing, or left by an appender killed before it integrated its batch, with leaves the
// log never took. It stops at the first error, which it yields. A leaf's bytes stay
// valid after the iteration moves on; do not modify them.
func Leaves(ctx context.Context, fetch client.EntryBundleFetcherFunc, start, end, treeSize uint64) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		if start >= end {
			return
		}
		if treeSize < end {
			yield(nil, fmt.Errorf("reading leaves up to %d from a tree of %d", end, treeSize))
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		size := func(context.Context) (uint64, error) { return treeSize, nil }
		next := start
		// EntryBundles (Tessera v1.0.4) streams the bundles of [start, 2*start+N) cut at
		// the tree size, not [start, start+N): the leaves past end are not yielded, and
		// the iteration stops at end (with at most Workers bundles read ahead).
		for b, err := range client.EntryBundles(ctx, Workers, size, fetch, start, end-start) {
			if err != nil {
				yield(nil, fmt.Errorf("reading entry bundle %d: %w", next/layout.EntryBundleWidth, err))
				return
			}
			leaves, err := Split(b.Data)
			if err != nil {
				yield(nil, fmt.Errorf("entry bundle %d: %w", b.RangeInfo.Index, err))
				return
			}
			first, n := uint64(b.RangeInfo.First), min(uint64(b.RangeInfo.N), end-next)
			if len(leaves) > layout.EntryBundleWidth {
				yield(nil, fmt.Errorf("entry bundle %d holds %d entries, more than %d: %w", b.RangeInfo.Index, len(leaves), layout.EntryBundleWidth, ledger.ErrMalformed))
				return
			}
			if uint64(len(leaves)) < first+n {
				yield(nil, fmt.Errorf("entry bundle %d holds %d entries, want at least %d: %w", b.RangeInfo.Index, len(leaves), first+n, ledger.ErrMalformed))
				return
			}
			for _, leaf := range leaves[first : first+n] {
				if !yield(leaf, nil) {
					return
				}
				next++
			}
			if next == end {
				return
			}
		}
		if next != end {
			yield(nil, fmt.Errorf("read %d leaves, want %d", next-start, end-start))
		}
	}
}

// Split parses an entry bundle (tlog-tiles: each entry a big-endian uint16 length and the
// entry) into its entries, which share b's memory. It fails with ledger.ErrMalformed.
// The /entries answer of a ledger server has the same form.
func Split(b []byte) ([][]byte, error) {
	out := make([][]byte, 0, min(len(b)/34+1, layout.EntryBundleWidth))
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, fmt.Errorf("truncated entry length: %w", ledger.ErrMalformed)
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return nil, fmt.Errorf("entry %d is truncated: %w", len(out), ledger.ErrMalformed)
		}
		out = append(out, b[2:2+n:2+n])
		b = b[2+n:]
	}
	return out, nil
}

// Join encodes leaves as an entry bundle, as Split reads it.
func Join(leaves [][]byte) ([]byte, error) {
	size := 0
	for _, l := range leaves {
		size += 2 + len(l)
	}
	out := make([]byte, 0, size)
	for _, l := range leaves {
		if len(l) > 0xffff {
			return nil, errors.New("entry longer than 65535 bytes")
		}
		out = binary.BigEndian.AppendUint16(out, uint16(len(l)))
		out = append(out, l...)
	}
	return out, nil
}
