package trillianlog_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/trillianlog"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
)

// TestReadLeaves: the log's leaves, read with the personality or with a keyless Reader
// (more than one GetLeavesByRange), scan to its checkpoint and are found by tag.
func TestReadLeaves(t *testing.T) {
	l, entry := trilliantest.NewLog(t, trilliantest.InProcess(t))
	leaves := make([][]byte, 1100)
	for i := range leaves {
		leaves[i] = ledgertest.Entry(fmt.Sprint("tag ", i), "c")
	}
	rs, err := l.AppendBatch(t.Context(), leaves)
	require.NoError(t, err)
	note, err := l.Checkpoint(t.Context())
	require.NoError(t, err)
	cp, err := (&ledger.Trust{Logs: []ledger.Log{entry}}).VerifyCheckpoint(note)
	require.NoError(t, err)

	r, err := trillianlog.OpenReader(t.Context(), l.Endpoint().String())
	require.NoError(t, err)
	defer r.Close()
	want := ledger.Entry(leaves[1050]).Tag()
	for _, lr := range []ledger.LeafReader{l, r} {
		found, err := ledger.FindTags(t.Context(), lr, cp, [][32]byte{want})
		require.NoError(t, err)
		require.Equal(t, []ledger.Found{{Index: rs[1050].Index, Tag: want, Commitment: ledger.Entry(leaves[1050]).Commitment()}}, found)
	}
	_, err = trillianlog.OpenReader(t.Context(), "http://x")
	require.Error(t, err)
}
