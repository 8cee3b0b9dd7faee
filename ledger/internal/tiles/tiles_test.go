package tiles

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera/api/layout"

	"github.com/evidctl/evidctl/ledger"
)

func TestSplitJoin(t *testing.T) {
	leaves := [][]byte{bytes.Repeat([]byte{1}, 64), bytes.Repeat([]byte{2}, 32), {}}
	b, err := Join(leaves)
	require.NoError(t, err)
	got, err := Split(b)
	require.NoError(t, err)
	require.Equal(t, leaves, got)
	for _, bad := range [][]byte{{0}, {0, 2, 1}, append(b, 0)} {
		_, err := Split(bad)
		require.ErrorIs(t, err, ledger.ErrMalformed, "%x", bad)
	}
	_, err = Join([][]byte{make([]byte, 1<<16)})
	require.Error(t, err)
}

func FuzzSplit(f *testing.F) {
	b, _ := Join([][]byte{bytes.Repeat([]byte{1}, 64), {7}})
	f.Add(b)
	f.Add([]byte{0xff, 0xff, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		leaves, err := Split(b)
		if err != nil {
			return
		}
		again, err := Join(leaves)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("a bundle that splits does not join back: %v", err)
		}
	})
}

// TestLeavesOfATree: Leaves reads the bundles of the tree of treeSize leaves (full ones,
// and the partial last one of its width only) and yields exactly [start, end).
func TestLeavesOfATree(t *testing.T) {
	const treeSize = 600 // bundles 0 and 1 full, bundle 2 of 88 leaves
	leaves := make([][]byte, treeSize)
	for i := range leaves {
		leaves[i] = []byte(fmt.Sprint("leaf ", i))
	}
	fetch := func(_ context.Context, index uint64, p uint8) ([]byte, error) {
		from, n := index*layout.EntryBundleWidth, uint64(layout.EntryBundleWidth)
		if p > 0 {
			n = uint64(p)
		}
		if from+n > treeSize || (p > 0 && from+n != treeSize) {
			return nil, fmt.Errorf("bundle %d.p/%d: %w", index, p, os.ErrNotExist)
		}
		return Join(leaves[from : from+n])
	}
	for _, r := range [][2]uint64{{0, 1}, {0, 600}, {5, 10}, {200, 300}, {300, 310}, {255, 257}, {512, 600}, {599, 600}, {10, 10}} {
		var got [][]byte
		for leaf, err := range Leaves(t.Context(), fetch, r[0], r[1], treeSize) {
			require.NoError(t, err, "leaves %d to %d", r[0], r[1])
			got = append(got, leaf)
		}
		require.Equal(t, r[1]-r[0], uint64(len(got)), "leaves %d to %d", r[0], r[1])
		for i, leaf := range got {
			require.Equal(t, leaves[r[0]+uint64(i)], leaf)
		}
	}
	for _, err := range Leaves(t.Context(), fetch, 0, 601, treeSize) {
		require.Error(t, err, "a range past the tree")
	}
}
