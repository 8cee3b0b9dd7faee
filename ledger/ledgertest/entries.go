package ledgertest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
)

// Entry returns a 64-byte log entry whose tag is SHA-256 of tag and whose commitment is
// SHA-256 of commitment: entries with the same tag string are successors of one event.
func Entry(tag, commitment string) []byte {
	e := ledger.NewEntry(sha256.Sum256([]byte(tag)), sha256.Sum256([]byte(commitment)))
	return e[:]
}

// CheckpointSize returns the size of l's latest checkpoint, verified with trust.
func CheckpointSize(t testing.TB, l ledger.Ledger, trust *ledger.Trust) uint64 {
	t.Helper()
	note, err := l.Checkpoint(t.Context())
	require.NoError(t, err)
	cp, err := trust.VerifyCheckpoint(note)
	require.NoError(t, err)
	return cp.Size
}

// AppendVerified appends leaf, a leaf or an entry, to l and verifies its receipt with
// trust; it returns the receipt and the checkpoint the receipt carries. msgAndArgs, as
// for require, say what the append is in a failure.
func AppendVerified(t testing.TB, l ledger.Ledger, trust *ledger.Trust, leaf []byte, msgAndArgs ...any) (*ledger.Receipt, *ledger.Checkpoint) {
	t.Helper()
	r, err := l.Append(t.Context(), leaf)
	require.NoError(t, err, msgAndArgs...)
	cp, err := trust.VerifyReceipt(r, leaf)
	require.NoError(t, err, msgAndArgs...)
	return r, cp
}

// requireConflict checks that err is a *ConflictError naming first, logged at index.
func requireConflict(t *testing.T, err error, first []byte, index uint64) {
	t.Helper()
	require.ErrorIs(t, err, ledger.ErrConflict)
	var ce *ledger.ConflictError
	require.ErrorAs(t, err, &ce)
	e, perr := ledger.ParseEntry(first)
	require.NoError(t, perr)
	require.Equal(t, e.Tag(), ce.Tag)
	require.Equal(t, e.Commitment(), ce.Commitment)
	require.Equal(t, index, ce.Index)
	require.ErrorContains(t, err, fmt.Sprintf("index %d", index))
}

func testEntry(t *testing.T, l ledger.Ledger, trust *ledger.Trust) {
	e := Entry(t.Name(), "acquire")
	r, _ := AppendVerified(t, l, trust, e)
	_, err := trust.VerifyReceipt(r, Entry(t.Name(), "another"))
	require.ErrorIs(t, err, ledger.ErrLeafMismatch)
}

// testSecondSuccessor: a second entry with a logged tag and another commitment is
// refused, naming the first, and the log does not grow.
func testSecondSuccessor(t *testing.T, l ledger.Ledger, trust *ledger.Trust) {
	first := Entry(t.Name(), "transfer to A")
	r, _ := AppendVerified(t, l, trust, first)
	before := CheckpointSize(t, l, trust)

	_, err := l.Append(t.Context(), Entry(t.Name(), "transfer to B"))
	requireConflict(t, err, first, r.Index)
	require.Equal(t, before, CheckpointSize(t, l, trust), "the refused entry was logged")

	// The first entry and other tags are still appendable.
	r2, err := l.Append(t.Context(), Entry(t.Name()+"/next", "receive by A"))
	require.NoError(t, err)
	require.Equal(t, before, r2.Index, "the next entry takes the next index")
}

// testIdenticalEntry: the same entry again returns the receipt of the existing entry
// and logs nothing.
func testIdenticalEntry(t *testing.T, l ledger.Ledger, trust *ledger.Trust) {
	e := Entry(t.Name(), "access")
	r1, err := l.Append(t.Context(), e)
	require.NoError(t, err)
	before := CheckpointSize(t, l, trust)
	r2, err := l.Append(t.Context(), e)
	require.NoError(t, err)
	require.Equal(t, r1.Index, r2.Index)
	_, err = trust.VerifyReceipt(r2, e)
	require.NoError(t, err)
	require.Equal(t, before, CheckpointSize(t, l, trust), "the replayed entry was logged again")
}

// testConcurrentSuccessors: of successors appended at once, exactly one is logged, and
// every other append is refused naming it; identical entries at once share one index.
func testConcurrentSuccessors(t *testing.T, l ledger.Ledger, trust *ledger.Trust) {
	const n = 8
	rs := make([]*ledger.Receipt, 2*n)
	errs := make([]error, 2*n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { rs[i], errs[i] = l.Append(t.Context(), Entry(t.Name(), fmt.Sprint("branch ", i))) })
		wg.Go(func() { rs[n+i], errs[n+i] = l.Append(t.Context(), Entry(t.Name()+"/same", "one event")) })
	}
	wg.Wait()
	winner := -1
	for i := range n {
		if errs[i] == nil {
			require.Equal(t, -1, winner, "two successors were logged: %d and %d", winner, i)
			winner = i
		}
	}
	require.NotEqual(t, -1, winner, "no successor was logged: %v", errors.Join(errs[:n]...))
	first := Entry(t.Name(), fmt.Sprint("branch ", winner))
	_, err := trust.VerifyReceipt(rs[winner], first)
	require.NoError(t, err)
	for i := range n {
		if i != winner {
			requireConflict(t, errs[i], first, rs[winner].Index)
		}
	}
	for i := n; i < 2*n; i++ {
		require.NoError(t, errs[i])
		require.Equal(t, rs[n].Index, rs[i].Index, "identical entries at once got two indexes")
	}
}

// testBatchSuccessors: a batch holding two successors logs one and refuses the other in
// its slot.
func testBatchSuccessors(t *testing.T, l ledger.Ledger, trust *ledger.Trust) {
	a, b := Entry(t.Name(), "a"), Entry(t.Name(), "b")
	other := Entry(t.Name()+"/other", "c")
	rs, err := l.AppendBatch(t.Context(), [][]byte{a, other, b})
	require.ErrorIs(t, err, ledger.ErrConflict)
	require.Len(t, rs, 3)
	require.NotNil(t, rs[1], "the unrelated entry keeps its receipt")
	_, verr := trust.VerifyReceipt(rs[1], other)
	require.NoError(t, verr)
	require.True(t, (rs[0] == nil) != (rs[2] == nil), "exactly one successor is logged")
	if rs[0] != nil {
		requireConflict(t, err, a, rs[0].Index)
	} else {
		requireConflict(t, err, b, rs[2].Index)
	}
}
