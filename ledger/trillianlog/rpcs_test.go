package trillianlog_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/trillian"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/trillianlog"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
)

// countingClient counts the inclusion-proof calls in flight (by index and by hash),
// each held a little so that calls sent together overlap.
type countingClient struct {
	trillian.TrillianLogClient
	now, most atomic.Int64
}

func (c *countingClient) enter() func() {
	n := c.now.Add(1)
	for m := c.most.Load(); n > m && !c.most.CompareAndSwap(m, n); m = c.most.Load() {
	}
	time.Sleep(2 * time.Millisecond)
	return func() { c.now.Add(-1) }
}

func (c *countingClient) GetInclusionProof(ctx context.Context, in *trillian.GetInclusionProofRequest, opts ...grpc.CallOption) (*trillian.GetInclusionProofResponse, error) {
	defer c.enter()()
	return c.TrillianLogClient.GetInclusionProof(ctx, in, opts...)
}

func (c *countingClient) GetInclusionProofByHash(ctx context.Context, in *trillian.GetInclusionProofByHashRequest, opts ...grpc.CallOption) (*trillian.GetInclusionProofByHashResponse, error) {
	defer c.enter()()
	return c.TrillianLogClient.GetInclusionProofByHash(ctx, in, opts...)
}

// TestAppendBatchBoundsProofRPCs: the receipts of a batch, whose leaves all come under
// one root at once, are fetched at most MaxQueueRPCs at a time, and so are those of a
// batch replayed, whose leaves are all found logged already. A Trillian server on
// MySQL stopped answering when a batch of 1,100 asked for all its proofs at once.
func TestAppendBatchBoundsProofRPCs(t *testing.T) {
	l, _ := trilliantest.NewLog(t, trilliantest.InProcess(t))
	cc := &countingClient{}
	l.WrapClient(func(c trillian.TrillianLogClient) trillian.TrillianLogClient { cc.TrillianLogClient = c; return cc })
	leaves := make([][]byte, 200)
	for i := range leaves {
		leaves[i] = ledgertest.Entry(fmt.Sprint("bounded ", i), "c")
	}
	rs, err := l.AppendBatch(t.Context(), leaves)
	require.NoError(t, err)
	require.Len(t, rs, len(leaves))
	require.Positive(t, cc.most.Load())
	require.LessOrEqual(t, cc.most.Load(), int64(trillianlog.MaxQueueRPCs), "GetInclusionProof calls in flight at once")

	// The same batch again: every leaf is found where it was logged, as boundedly.
	cc.most.Store(0)
	again, err := l.AppendBatch(t.Context(), leaves)
	require.NoError(t, err)
	for i := range rs {
		require.Equal(t, rs[i].Index, again[i].Index)
	}
	require.Positive(t, cc.most.Load())
	require.LessOrEqual(t, cc.most.Load(), int64(trillianlog.MaxQueueRPCs), "inclusion-proof calls in flight at once, replaying the batch")
}
