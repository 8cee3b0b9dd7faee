package posixlog_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera/api/layout"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/internal/tiles"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
)

// latest reads and verifies the log's published checkpoint.
func latest(t *testing.T, r *posixlog.Reader, entry ledger.Log) *ledger.Checkpoint {
	t.Helper()
	note, err := r.Checkpoint(t.Context())
	require.NoError(t, err)
	cp, err := (&ledger.Trust{Logs: []ledger.Log{entry}}).VerifyCheckpoint(note)
	require.NoError(t, err)
	return cp
}

// TestAuditFindsForgedSuccessor: a log that accepted a second successor anyway (written
// with raw Tessera, past the index) is caught by the --all scan and by the tag-set scan,
// and CheckIndex reports the disagreement; the honest log before it passes all three.
func TestAuditFindsForgedSuccessor(t *testing.T) {
	dir, key, entry := newLogFiles(t)
	l, err := posixlog.Open(t.Context(), dir, key)
	require.NoError(t, err)
	toA := ledgertest.Entry("item/transfer", "to A")
	rs, err := l.AppendBatch(t.Context(), [][]byte{ledgertest.Entry("item/acquire", "acquire"), toA, ledgertest.Leaf("legacy")})
	require.NoError(t, err)
	require.NoError(t, l.Close())

	r, err := posixlog.NewReader(dir)
	require.NoError(t, err)
	cp := latest(t, r, entry)
	conflicts, err := ledger.FindConflicts(t.Context(), r, cp)
	require.NoError(t, err)
	require.Empty(t, conflicts, "an honest log")
	require.NoError(t, posixlog.CheckIndex(t.Context(), dir))

	toB := ledgertest.Entry("item/transfer", "to B")
	posixlogtest.Forge(t, dir, key, ledgertest.Entry("unrelated", "x"), toB)
	cp = latest(t, r, entry)
	conflicts, err = ledger.FindConflicts(t.Context(), r, cp)
	require.NoError(t, err)
	eA, eB := ledger.Entry(toA), ledger.Entry(toB)
	require.Equal(t, []ledger.Conflict{{Tag: eA.Tag(), Entries: []ledger.Found{
		{Index: rs[1].Index, Tag: eA.Tag(), Commitment: eA.Commitment()},
		{Index: cp.Size - 1, Tag: eB.Tag(), Commitment: eB.Commitment()},
	}}}, conflicts)

	found, err := ledger.FindTags(t.Context(), r, cp, [][32]byte{eA.Tag()})
	require.NoError(t, err)
	require.Equal(t, conflicts[0].Entries, found)

	err = posixlog.CheckIndex(t.Context(), dir)
	var ie *posixlog.IndexError
	require.ErrorAs(t, err, &ie)
	require.Contains(t, ie.Problems, posixlog.IndexProblem{Index: cp.Size - 2, Tag: ledger.Entry(ledgertest.Entry("unrelated", "x")).Tag(), Problem: "not in the index"})
	require.Contains(t, ie.Problems, posixlog.IndexProblem{Index: cp.Size - 1, Tag: eA.Tag(), Problem: fmt.Sprintf("tag already logged at index %d", rs[1].Index)})
}

// TestAuditDetectsTamperedTiles: an entry changed in an entry bundle on disk fails the
// root check of every scan.
func TestAuditDetectsTamperedTiles(t *testing.T) {
	l, entry := posixlogtest.NewLog(t)
	_, err := l.AppendBatch(t.Context(), [][]byte{ledgertest.Entry("a", "1"), ledgertest.Entry("b", "2"), ledgertest.Entry("c", "3")})
	require.NoError(t, err)
	r, err := posixlog.NewReader(l.Dir())
	require.NoError(t, err)
	cp := latest(t, r, entry)
	_, err = ledger.FindTags(t.Context(), r, cp, nil)
	require.NoError(t, err)

	bundle := filepath.Join(l.Dir(), layout.EntriesPath(0, uint8(cp.Size)))
	b, err := os.ReadFile(bundle)
	require.NoError(t, err)
	b[len(b)-1] ^= 1 // the last byte of the last commitment
	require.NoError(t, os.WriteFile(bundle, b, 0o644))

	_, err = ledger.FindTags(t.Context(), r, cp, nil)
	require.ErrorIs(t, err, ledger.ErrRootMismatch)
	_, err = ledger.FindConflicts(t.Context(), r, cp)
	require.ErrorIs(t, err, ledger.ErrRootMismatch)
	_, err = ledger.FindTags(t.Context(), l, cp, nil)
	require.ErrorIs(t, err, ledger.ErrRootMismatch, "Log.ReadLeaves reads the same files")
}

// TestReadLeavesInsideABatch: leaves read up to an index inside a batch that Tessera
// integrated at once come from the log's bundle, not from a partial bundle of the
// range's width, which the log lacks, or holds from an appender killed before it
// integrated its batch: one planted here, with leaves the log never took.
func TestReadLeavesInsideABatch(t *testing.T) {
	ctx := t.Context()
	dir, key, _ := newLogFiles(t)
	l, err := posixlog.Open(ctx, dir, key)
	require.NoError(t, err)
	defer func() { require.NoError(t, l.Close()) }()
	leaves := make([][]byte, 20)
	for i := range leaves {
		leaves[i] = ledgertest.Entry(fmt.Sprint("tag/", i), "logged")
	}
	_, err = l.AppendBatch(ctx, leaves)
	require.NoError(t, err)
	end := 0 // a size the log never had, so no partial bundle of its width
	for w := len(leaves) - 1; w > 1 && end == 0; w-- {
		if _, err := os.Stat(filepath.Join(dir, layout.EntriesPath(0, uint8(w)))); errors.Is(err, fs.ErrNotExist) {
			end = w
		}
	}
	require.NotZero(t, end, "Tessera integrated each leaf of the batch on its own")
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
