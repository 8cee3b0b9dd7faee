package httplog_test

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

// TestAppendSigned: signed entries through the server to each backend: receipts that
// verify, the same receipt for the same entry, a *ledger.ConflictError naming the first
// for a second successor; then the whole log read back through the server (tiles from a
// posixlog, /entries from Trillian) is found by the audit scans.
func TestAppendSigned(t *testing.T) {
	forEachSignedLog(t, func(t *testing.T, l signedLog) {
		toA := ledgertest.Entry(t.Name(), "to A")
		r, err := l.AppendSigned(t.Context(), toA, l.signer)
		require.NoError(t, err)
		_, err = l.trust.VerifyReceipt(r, toA)
		require.NoError(t, err)
		again, err := l.AppendSigned(t.Context(), toA, l.signer)
		require.NoError(t, err)
		require.Equal(t, r.Index, again.Index)

		_, err = l.AppendSigned(t.Context(), ledgertest.Entry(t.Name(), "to B"), l.signer)
		var ce *ledger.ConflictError
		require.ErrorAs(t, err, &ce)
		require.ErrorIs(t, err, ledger.ErrConflict)
		require.Equal(t, r.Index, ce.Index)
		require.Equal(t, ledger.Entry(toA).Commitment(), ce.Commitment)

		_, err = l.AppendSigned(t.Context(), toA, ledgertest.NewSigner(t))
		require.ErrorContains(t, err, "403")

		other := ledgertest.Entry(t.Name()+"/next", "receive")
		_, err = l.AppendSigned(t.Context(), other, l.signer)
		require.NoError(t, err)
		note, err := l.Checkpoint(t.Context())
		require.NoError(t, err)
		cp, err := l.trust.VerifyCheckpoint(note)
		require.NoError(t, err)
		found, err := ledger.FindTags(t.Context(), l.Log, cp, [][32]byte{ledger.Entry(toA).Tag(), ledger.Entry(other).Tag()})
		require.NoError(t, err)
		require.Len(t, found, 2)
		conflicts, err := ledger.FindConflicts(t.Context(), l.Log, cp)
		require.NoError(t, err)
		require.Empty(t, conflicts)
		direct, err := ledger.FindTags(t.Context(), l.backend.(ledger.LeafReader), cp, [][32]byte{ledger.Entry(toA).Tag(), ledger.Entry(other).Tag()})
		require.NoError(t, err)
		require.Equal(t, direct, found, "the server's answer is the backend's")
	})
}

// TestReadLeavesTampered: tiles altered on the server's disk fail the root check of a
// scan through the server.
func TestReadLeavesTampered(t *testing.T) {
	backend, entry := posixlogtest.NewLog(t)
	_, err := backend.AppendBatch(t.Context(), [][]byte{ledgertest.Entry("a", "1"), ledgertest.Entry("b", "2")})
	require.NoError(t, err)
	l := serve(t, backend, entry, nil)
	note, err := l.Checkpoint(t.Context())
	require.NoError(t, err)
	cp, err := (&ledger.Trust{Logs: []ledger.Log{entry}}).VerifyCheckpoint(note)
	require.NoError(t, err)
	_, err = ledger.FindConflicts(t.Context(), l, cp)
	require.NoError(t, err)

	path := filepath.Join(backend.Dir(), layout.EntriesPath(0, uint8(cp.Size)))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[5] ^= 1
	require.NoError(t, os.WriteFile(path, b, 0o644))
	_, err = ledger.FindConflicts(t.Context(), l, cp)
	require.ErrorIs(t, err, ledger.ErrRootMismatch)
}

// TestReadLeavesInsideABatch: leaves read through the server up to an index inside a
// batch the log took in one go come from the bundles of the published tree. A tree of
// that many leaves was never published, so its last, partial bundle does not exist
// (and may be one a killed appender left): reading it failed.
func TestReadLeavesInsideABatch(t *testing.T) {
	backend, entry := posixlogtest.NewLog(t)
	const n = layout.EntryBundleWidth + 44
	batch := make([][]byte, n)
	for i := range batch {
		batch[i] = ledgertest.Entry(fmt.Sprint("tag/", i), "leaf")
	}
	_, err := backend.AppendBatch(t.Context(), batch)
	require.NoError(t, err)
	l := serve(t, backend, entry, nil)
	for _, r := range [][2]uint64{{0, n - 20}, {layout.EntryBundleWidth + 3, n - 1}, {10, n}} {
		var got [][]byte
		for leaf, err := range l.ReadLeaves(t.Context(), r[0], r[1]) {
			require.NoError(t, err, "leaves %d to %d", r[0], r[1])
			got = append(got, leaf)
		}
		require.Len(t, got, int(r[1]-r[0]))
		for i, leaf := range got {
			require.Equal(t, []byte(batch[int(r[0])+i]), leaf, "leaf %d", int(r[0])+i)
		}
	}
}

var _ ledger.LeafReader = (*posixlog.Log)(nil)
