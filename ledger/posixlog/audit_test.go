package posixlog_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera/api/layout"

	"github.com/evidctl/evidctl/ledger"
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
