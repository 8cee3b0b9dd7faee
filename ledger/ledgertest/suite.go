package ledgertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
)

// Factory returns a fresh, empty ledger for one test and the trust-policy entry that
// verifies its checkpoints. It should close the ledger with t.Cleanup; Close may already
// have been called by then.
type Factory func(t *testing.T) (ledger.Ledger, ledger.Log)

// Run runs the conformance suite: the behaviour every ledger.Ledger must have, checked
// only through the interface and this package's verifier.
func Run(t *testing.T, newLedger Factory) {
	tests := []struct {
		name string
		run  func(*testing.T, ledger.Ledger, *ledger.Trust)
	}{
		{"Origin", testOrigin},
		{"CheckpointVerifies", testCheckpointVerifies},
		{"AppendReturnsVerifiableReceipt", testAppend},
		{"AppendRejectsWrongLeafSize", testAppendWrongSize},
		{"AppendRefusesBareCommitment", testAppendBareCommitment},
		{"AppendBatchKeepsOrder", testAppendBatch},
		{"ConcurrentAppends", testConcurrentAppends},
		{"ProofsAtLaterSizes", testProofsAtLaterSizes},
		{"ProofArgumentsChecked", testProofArguments},
		{"CancelledContext", testCancelled},
		{"Close", testClose},
		{"EntryReturnsVerifiableReceipt", testEntry},
		{"SecondSuccessorRefused", testSecondSuccessor},
		{"IdenticalEntryIdempotent", testIdenticalEntry},
		{"ConcurrentSuccessors", testConcurrentSuccessors},
		{"BatchWithTwoSuccessors", testBatchSuccessors},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, entry := newLedger(t)
			tc.run(t, l, &ledger.Trust{Logs: []ledger.Log{entry}})
		})
	}
}

func testOrigin(t *testing.T, l ledger.Ledger, trust *ledger.Trust) {
	require.Equal(t, trust.Logs[0].Origin, l.Origin())
}

func testCheckpointVerifies(t *testing.T, l ledger.Ledger, trust *ledger.Trust) {
	note, err := l.Checkpoint(t.Context())
	require.NoError(t, err)
	cp, err := trust.VerifyCheckpoint(note)
	require.NoError(t, err)
	require.Equal(t, l.Origin(), cp.Origin)
}

func testAppend(t *testing.T, l ledger.Ledger, trust *ledger.Trust) {
	leaf := Leaf(t.Name())
	r, cp := AppendVerified(t, l, trust, leaf)
	require.Less(t, r.Index, cp.Size)

	text, err := r.MarshalText()
	require.NoError(t, err)
	parsed, err := ledger.ParseReceipt(text)
	require.NoError(t, err)
	_, err = trust.VerifyReceipt(parsed, leaf)
	require.NoError(t, err, "receipt must survive its text form")

	_, err = trust.VerifyReceipt(r, Leaf("another leaf"))
	require.ErrorIs(t, err, ledger.ErrLeafMismatch)

	// The published checkpoint now covers the leaf too.
	require.GreaterOrEqual(t, CheckpointSize(t, l, trust), cp.Size)
}

func testAppendWrongSize(t *testing.T, l ledger.Ledger, _ *ledger.Trust) {
	for _, n := range []int{0, ledger.LeafSize - 1, ledger.LeafSize + 1, ledger.EntrySize - 1, ledger.EntrySize + 1, 2 * ledger.EntrySize} {
		_, err := l.Append(t.Context(), make([]byte, n))
		require.ErrorIs(t, err, ledger.ErrMalformed, "leaf of %d bytes", n)
	}
	_, err := l.AppendBatch(t.Context(), [][]byte{Leaf("ok"), make([]byte, ledger.LeafSize-1)})
	require.ErrorIs(t, err, ledger.ErrMalformed)
}

// testAppendBareCommitment: a 32-byte leaf, a commitment alone as ledgers logged before
// entries had tags, is refused in every form of append, with an error that says what an
// entry is, and nothing is logged.
func testAppendBareCommitment(t *testing.T, l ledger.Ledger, trust *ledger.Trust) {
	before := CheckpointSize(t, l, trust)
	commitment := Leaf(t.Name())[ledger.TagSize:]
	type form struct {
		name string
		run  func() error
	}
	forms := []form{
		{"Append", func() error { _, err := l.Append(t.Context(), commitment); return err }},
		{"AppendBatch", func() error { _, err := l.AppendBatch(t.Context(), [][]byte{commitment}); return err }},
		{"AppendBatchAfterAnEntry", func() error {
			_, err := l.AppendBatch(t.Context(), [][]byte{Leaf(t.Name() + "/entry"), commitment})
			return err
		}},
	}
	if a, ok := l.(ledger.AuthenticatedAppender); ok {
		forms = append(forms, form{"AppendSigned", func() error {
			_, err := a.AppendSigned(t.Context(), commitment, NewSigner(t))
			return err
		}})
	}
	for _, tc := range forms {
		err := tc.run()
		require.ErrorIs(t, err, ledger.ErrMalformed, tc.name)
		require.ErrorContains(t, err, "tag || commitment", tc.name)
	}
	require.Equal(t, before, CheckpointSize(t, l, trust), "a refused leaf was logged")
}

func testAppendBatch(t *testing.T, l ledger.Ledger, trust *ledger.Trust) {
	leaves := make([][]byte, 20)
	for i := range leaves {
		leaves[i] = Leaf(fmt.Sprintf("%s/%d", t.Name(), i))
	}
	rs, err := l.AppendBatch(t.Context(), leaves)
	require.NoError(t, err)
	require.Len(t, rs, len(leaves))
	seen := map[uint64]bool{}
	for i, r := range rs {
		_, err := trust.VerifyReceipt(r, leaves[i])
		require.NoError(t, err, "receipt %d", i)
		require.False(t, seen[r.Index], "index %d handed out twice", r.Index)
		seen[r.Index] = true
	}
	empty, err := l.AppendBatch(t.Context(), nil)
	require.NoError(t, err)
	require.Empty(t, empty)
}

func testConcurrentAppends(t *testing.T, l ledger.Ledger, trust *ledger.Trust) {
	const n = 32
	var wg sync.WaitGroup
	rs := make([]*ledger.Receipt, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { rs[i], errs[i] = l.Append(t.Context(), Leaf(fmt.Sprintf("%s/%d", t.Name(), i))) })
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	seen := map[uint64]bool{}
	for i, r := range rs {
		_, err := trust.VerifyReceipt(r, Leaf(fmt.Sprintf("%s/%d", t.Name(), i)))
		require.NoError(t, err)
		require.False(t, seen[r.Index], "index %d handed out twice", r.Index)
		seen[r.Index] = true
	}
}

func testProofsAtLaterSizes(t *testing.T, l ledger.Ledger, trust *ledger.Trust) {
	ctx := t.Context()
	a, b := Leaf(t.Name()+"/a"), Leaf(t.Name()+"/b")
	ra, cpa := AppendVerified(t, l, trust, a)
	_, cpb := AppendVerified(t, l, trust, b)
	require.Greater(t, cpb.Size, ra.Index)

	// a is provably in b's checkpoint too.
	path, err := l.InclusionProof(ctx, ra.Index, cpb.Size)
	require.NoError(t, err)
	_, err = trust.VerifyReceipt(&ledger.Receipt{Index: ra.Index, Proof: path, Checkpoint: cpb.Note}, a)
	require.NoError(t, err)

	// b's checkpoint extends a's.
	proof, err := l.ConsistencyProof(ctx, cpa.Size, cpb.Size)
	require.NoError(t, err)
	require.NoError(t, ledger.VerifyConsistency(cpa, cpb, proof))
	if len(proof) > 0 {
		bad := append([]tlog.Hash(nil), proof...)
		bad[0][0] ^= 1
		require.ErrorIs(t, ledger.VerifyConsistency(cpa, cpb, bad), ledger.ErrInconsistent)
	}
	for _, sizes := range [][2]uint64{{0, cpb.Size}, {cpb.Size, cpb.Size}} {
		p, err := l.ConsistencyProof(ctx, sizes[0], sizes[1])
		require.NoError(t, err)
		require.Empty(t, p, "consistency proof from %d to %d", sizes[0], sizes[1])
	}
}

func testProofArguments(t *testing.T, l ledger.Ledger, trust *ledger.Trust) {
	ctx := t.Context()
	_, cp := AppendVerified(t, l, trust, Leaf(t.Name()))
	_, err := l.InclusionProof(ctx, cp.Size, cp.Size)
	require.Error(t, err, "index not below tree size")
	_, err = l.InclusionProof(ctx, 0, cp.Size+1<<20)
	require.Error(t, err, "tree size beyond the log")
	_, err = l.ConsistencyProof(ctx, cp.Size, cp.Size-1)
	require.Error(t, err, "old size above new size")
	_, err = l.ConsistencyProof(ctx, 1, cp.Size+1<<20)
	require.Error(t, err, "new size beyond the log")
}

func testCancelled(t *testing.T, l ledger.Ledger, _ *ledger.Trust) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := l.Append(ctx, Leaf(t.Name()))
	require.ErrorIs(t, err, context.Canceled)
}

func testClose(t *testing.T, l ledger.Ledger, trust *ledger.Trust) {
	leaf := Leaf(t.Name())
	r, err := l.Append(t.Context(), leaf)
	require.NoError(t, err)
	require.NoError(t, l.Close())
	_, err = trust.VerifyReceipt(r, leaf)
	require.NoError(t, err)
	_, err = l.Append(t.Context(), Leaf(t.Name()+"/after"))
	require.ErrorIs(t, err, ledger.ErrClosed)
	_, err = l.Checkpoint(t.Context())
	require.ErrorIs(t, err, ledger.ErrClosed)
	require.NoError(t, l.Close(), "a second Close")
}
