package trillianlog

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/trillian"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint implements [ledger.Backend]: the latest log root, checked against the roots
// seen before and signed by the personality.
func (b *backend) Checkpoint(ctx context.Context) ([]byte, error) {
	r, err := b.roots.refresh(ctx)
	if err != nil {
		return nil, err
	}
	return r.note, nil
}

// InclusionProof implements [ledger.Backend].
func (b *backend) InclusionProof(ctx context.Context, index, treeSize uint64) ([]tlog.Hash, error) {
	if err := b.checkSize(ctx, treeSize); err != nil {
		return nil, err
	}
	resp, err := b.client.GetInclusionProof(ctx, &trillian.GetInclusionProofRequest{
		LogId: b.ep.TreeID, LeafIndex: int64(index), TreeSize: int64(treeSize),
	})
	return proofHashes(resp.GetProof(), err)
}

// ConsistencyProof implements [ledger.Backend].
func (b *backend) ConsistencyProof(ctx context.Context, oldSize, newSize uint64) ([]tlog.Hash, error) {
	if err := b.checkSize(ctx, newSize); err != nil {
		return nil, err
	}
	if oldSize == 0 || oldSize == newSize {
		return []tlog.Hash{}, nil
	}
	resp, err := b.client.GetConsistencyProof(ctx, &trillian.GetConsistencyProofRequest{
		LogId: b.ep.TreeID, FirstTreeSize: int64(oldSize), SecondTreeSize: int64(newSize),
	})
	return proofHashes(resp.GetProof(), err)
}

// proofHashes reads the proof of a GetInclusionProof or GetConsistencyProof answer.
func proofHashes(p *trillian.Proof, err error) ([]tlog.Hash, error) {
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errors.New("the log server has not reached that size")
	}
	return toHashes(p.GetHashes())
}

// checkSize fails when the tree has not reached size leaves.
func (b *backend) checkSize(ctx context.Context, size uint64) error {
	if cur := b.roots.current(); cur != nil && size <= cur.size {
		return nil
	}
	cur, err := b.roots.refresh(ctx)
	if err != nil {
		return err
	}
	if size > cur.size {
		return fmt.Errorf("tree size %d is beyond the %d leaves of the log", size, cur.size)
	}
	return nil
}

// Close implements [ledger.Backend]: it releases appends still waiting for integration
// (leaves they queued are still integrated by Trillian), stops polling and closes the
// connection to Trillian.
func (b *backend) Close(context.Context) error {
	b.cancel()
	b.polled.Wait()
	if err := b.conn.Close(); err != nil {
		return fmt.Errorf("closing the connection to %s: %w", b.ep, err)
	}
	return nil
}
