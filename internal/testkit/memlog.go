package testkit

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/internal/memtree"
	"github.com/evidctl/evidctl/ledger"
)

// MemLog is an in-memory ledger.Ledger that signs a checkpoint on every append: for
// benchmarks and tests that need thousands of events quickly. Its receipts are the
// same C2SP tlog-proofs as any backend's, and its Ledger methods are those of
// [ledger.New], with the same checks and lifecycle.
type MemLog struct {
	ledger.Ledger
	vkey string
}

var _ ledger.Ledger = (*MemLog)(nil)

// memBackend is MemLog's ledger.Backend: an RFC 6962 tree in memory (internal/memtree)
// and the single-successor rule.
type memBackend struct {
	tree *memtree.Tree

	mu     sync.Mutex // serialises appends: a batch, then its checkpoint
	latest []byte
	byKey  map[[32]byte]keyed // the single-successor rule: an entry's tag, a legacy leaf
}

// keyed is the leaf logged under a key, and its index.
type keyed struct {
	leaf  []byte
	index uint64
}

// NewMemLog returns an empty in-memory log with a fresh note key; opts go to ledger.New
// (decorators that cosign or time-stamp its checkpoints, say).
func NewMemLog(origin string, opts ...ledger.Option) (*MemLog, error) {
	tree, err := memtree.New(origin)
	if err != nil {
		return nil, fmt.Errorf("making in-memory log: %w", err)
	}
	b := &memBackend{tree: tree, byKey: map[[32]byte]keyed{}}
	if b.latest, err = tree.Checkpoint(0); err != nil {
		return nil, fmt.Errorf("making in-memory log: %w", err)
	}
	return &MemLog{Ledger: ledger.New(b, opts...), vkey: tree.VerifierKey()}, nil
}

// VerifierKey is the log's note verifier key, for trust policies.
func (m *MemLog) VerifierKey() string { return m.vkey }

// Origin implements ledger.Backend.
func (b *memBackend) Origin() string { return b.tree.Origin() }

// AppendBatch implements ledger.Backend. A leaf whose key (an entry's tag, a legacy
// leaf itself) is logged gets that leaf's receipt, or a *ledger.ConflictError.
func (b *memBackend) AppendBatch(_ context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	at := make([]uint64, len(leaves))
	errs := make([]error, len(leaves))
	for i, leaf := range leaves {
		key := [32]byte(leaf[:32])
		if k, ok := b.byKey[key]; ok {
			at[i], errs[i] = k.index, ledger.Successor(leaf, k.leaf, k.index)
			continue
		}
		index, err := b.tree.Append(leaf)
		if err != nil {
			return nil, err
		}
		b.byKey[key] = keyed{leaf: append([]byte(nil), leaf...), index: index}
		at[i] = index
	}
	size := b.tree.Size()
	cp, err := b.tree.Checkpoint(size)
	if err != nil {
		return nil, err
	}
	b.latest = cp
	out := make([]*ledger.Receipt, len(leaves))
	for i := range leaves {
		if errs[i] != nil {
			errs[i] = fmt.Errorf("leaf %d of %d: %w", i+1, len(leaves), errs[i])
			continue
		}
		p, err := b.tree.Inclusion(at[i], size)
		if err != nil {
			return nil, err
		}
		out[i] = &ledger.Receipt{Index: at[i], Proof: p, Checkpoint: cp}
	}
	return out, errors.Join(errs...)
}

// Checkpoint implements ledger.Backend.
func (b *memBackend) Checkpoint(context.Context) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.latest, nil
}

// InclusionProof implements ledger.Backend.
func (b *memBackend) InclusionProof(_ context.Context, index, size uint64) ([]tlog.Hash, error) {
	if err := b.checkSize(size); err != nil {
		return nil, err
	}
	return b.tree.Inclusion(index, size)
}

// ConsistencyProof implements ledger.Backend.
func (b *memBackend) ConsistencyProof(_ context.Context, oldSize, newSize uint64) ([]tlog.Hash, error) {
	if err := b.checkSize(newSize); err != nil {
		return nil, err
	}
	return b.tree.Consistency(oldSize, newSize)
}

// checkSize fails when the tree has fewer than size leaves.
func (b *memBackend) checkSize(size uint64) error {
	if n := b.tree.Size(); size > n {
		return fmt.Errorf("tree size %d is beyond the %d leaves of the log", size, n)
	}
	return nil
}

// Close implements ledger.Backend.
func (b *memBackend) Close(context.Context) error { return nil }
