package trillianlog

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/trillian"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
)

// Checkpoint implements [ledger.Ledger]: the latest log root, checked against the roots
// seen before and signed by the personality.
func (l *Log) Checkpoint(ctx context.Context) ([]byte, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.gate.Done()
	r, err := l.roots.refresh(ctx)
	if err != nil {
		return nil, err
	}
	return r.note, nil
}

// InclusionProof implements [ledger.Ledger].
func (l *Log) InclusionProof(ctx context.Context, index, treeSize uint64) ([]tlog.Hash, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.gate.Done()
	if err := ledger.CheckInclusionArgs(index, treeSize); err != nil {
		return nil, err
	}
	if err := l.checkSize(ctx, treeSize); err != nil {
		return nil, fmt.Errorf("inclusion proof: %w", err)
	}
	resp, err := l.client.GetInclusionProof(ctx, &trillian.GetInclusionProofRequest{
		LogId: l.ep.TreeID, LeafIndex: int64(index), TreeSize: int64(treeSize),
	})
	if err != nil {
		return nil, fmt.Errorf("inclusion proof for index %d at size %d: %w", index, treeSize, err)
	}
	if resp.GetProof() == nil {
		return nil, fmt.Errorf("inclusion proof for index %d at size %d: the log server has not reached that size", index, treeSize)
	}
	return toHashes(resp.GetProof().GetHashes())
}

// ConsistencyProof implements [ledger.Ledger].
func (l *Log) ConsistencyProof(ctx context.Context, oldSize, newSize uint64) ([]tlog.Hash, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.gate.Done()
	if err := ledger.CheckConsistencyArgs(oldSize, newSize); err != nil {
		return nil, err
	}
	if err := l.checkSize(ctx, newSize); err != nil {
		return nil, fmt.Errorf("consistency proof: %w", err)
	}
	if oldSize == 0 || oldSize == newSize {
		return []tlog.Hash{}, nil
	}
	resp, err := l.client.GetConsistencyProof(ctx, &trillian.GetConsistencyProofRequest{
		LogId: l.ep.TreeID, FirstTreeSize: int64(oldSize), SecondTreeSize: int64(newSize),
	})
	if err != nil {
		return nil, fmt.Errorf("consistency proof from %d to %d: %w", oldSize, newSize, err)
	}
	if resp.GetProof() == nil {
		return nil, fmt.Errorf("consistency proof from %d to %d: the log server has not reached that size", oldSize, newSize)
	}
	return toHashes(resp.GetProof().GetHashes())
}

// checkSize fails when the tree has not reached size leaves.
func (l *Log) checkSize(ctx context.Context, size uint64) error {
	if cur := l.roots.current(); cur != nil && size <= cur.size {
		return nil
	}
	cur, err := l.roots.refresh(ctx)
	if err != nil {
		return err
	}
	if size > cur.size {
		return fmt.Errorf("tree size %d is beyond the %d leaves of %s", size, cur.size, l.Origin())
	}
	return nil
}

// Close implements [ledger.Ledger]. It waits (at most 30 s) for every Append in flight to
// return, then closes the connection to Trillian. Leaves queued by Appends that gave up
// are still integrated by Trillian.
func (l *Log) Close() error {
	if !l.gate.Close() {
		return nil
	}

	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	var err error
	if l.gate.Wait(ctx) != nil {
		err = errors.New("appends still waiting for integration after 30 s")
	}
	l.cancel()
	l.polled.Wait()
	_ = l.gate.Wait(context.Background())
	if cerr := l.conn.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("closing %s: %w", l.ep, err)
	}
	return nil
}

// enter registers an operation in flight, unless the log is closed.
func (l *Log) enter() error { return l.gate.Enter(l.Origin()) }
