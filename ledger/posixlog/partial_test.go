package posixlog_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/api/layout"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/internal/tiles"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog"
)

// Tessera writes partial tiles and entry bundles only for the tree sizes it integrates.
// A size inside a batch integrated at once has none, unless an appender killed before
// it integrated its own batch left one, with leaves the log never took. The tests below
// plant such files and read or prove at such a size.

// oneBatch opens a new log, appends 20 leaves in one batch, and returns them with a
// size inside the batch that the log never had (no partial bundle or tile of its width).
func oneBatch(t *testing.T) (l *posixlog.Log, dir string, leaves [][]byte, inside int) {
	t.Helper()
	dir, key, _ := newLogFiles(t)
	l, err := posixlog.Open(t.Context(), dir, key)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Close()) })
	leaves = make([][]byte, 20)
	for i := range leaves {
		leaves[i] = ledgertest.Entry(fmt.Sprint("tag/", i), "logged")
	}
	_, err = l.AppendBatch(t.Context(), leaves)
	require.NoError(t, err)
	for w := len(leaves) - 1; w > 2; w-- {
		if _, err := os.Stat(filepath.Join(dir, layout.EntriesPath(0, uint8(w)))); errors.Is(err, fs.ErrNotExist) {
			return l, dir, leaves, w
		}
	}
	t.Fatal("Tessera integrated each leaf of the batch on its own")
	return nil, "", nil, 0
}

// TestReadLeavesInsideABatch: leaves read up to a size inside a batch come from the
// log's bundle, not from a partial bundle of that width left by a killed appender.
func TestReadLeavesInsideABatch(t *testing.T) {
	ctx := t.Context()
	l, dir, leaves, end := oneBatch(t)
	stale := make([][]byte, end)
	for i := range stale {
		stale[i] = ledgertest.Entry(fmt.Sprint("tag/", i), "killed before integration")
	}
	bundle, err := tiles.Join(stale)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, layout.EntriesPath(0, uint8(end))), bundle, 0o644))
	r, err := posixlog.NewReader(dir)
	require.NoError(t, err)
	for _, lr := range []ledger.LeafReader{l, r} {
		for _, start := range []int{0, end / 2} {
			var got [][]byte
			for leaf, err := range lr.ReadLeaves(ctx, uint64(start), uint64(end)) {
				require.NoError(t, err)
				got = append(got, leaf)
			}
			require.Len(t, got, end-start, "leaves %d to %d of %T", start, end, lr)
			for i, leaf := range got {
				require.Equal(t, leaves[start+i], leaf, "leaf %d of %T", start+i, lr)
			}
		}
	}
}

// TestProofsInsideABatch: inclusion and consistency proofs at a size inside a batch
// verify against the roots of the leaves, although the log has no tile of that width but
// one left by a killed appender.
func TestProofsInsideABatch(t *testing.T) {
	ctx := t.Context()
	l, dir, leaves, size := oneBatch(t)
	stale := api.HashTile{Nodes: make([][]byte, size)}
	for i := range stale.Nodes {
		stale.Nodes[i] = rfc6962.DefaultHasher.HashLeaf(fmt.Appendf(nil, "killed before integration %d", i))
	}
	b, err := stale.MarshalText()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, layout.TilePath(0, 0, uint8(size))), b, 0o644))
	hashes := make([][]byte, len(leaves))
	for i, leaf := range leaves {
		hashes[i] = rfc6962.DefaultHasher.HashLeaf(leaf)
	}
	root := func(n int) []byte {
		r := (&compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}).NewEmptyRange(0)
		for _, h := range hashes[:n] {
			require.NoError(t, r.Append(h, nil))
		}
		h, err := r.GetRootHash(nil)
		require.NoError(t, err)
		return h
	}
	for _, index := range []int{0, size / 2, size - 1} {
		path, err := l.InclusionProof(ctx, uint64(index), uint64(size))
		require.NoError(t, err)
		require.NoError(t, proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(index), uint64(size), hashes[index], hashSlices(path), root(size)), "index %d at size %d", index, size)
	}
	for _, sizes := range [][2]int{{2, size}, {size, len(leaves)}} {
		p, err := l.ConsistencyProof(ctx, uint64(sizes[0]), uint64(sizes[1]))
		require.NoError(t, err)
		require.NoError(t, proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(sizes[0]), uint64(sizes[1]), hashSlices(p), root(sizes[0]), root(sizes[1])), "from size %d to %d", sizes[0], sizes[1])
	}
}

func hashSlices[H ~[32]byte](hs []H) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}
