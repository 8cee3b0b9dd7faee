package testkit

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

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

// memBackend is MemLog's ledger.Backend: an RFC 6962 tree in memory (sumdb/tlog).
type memBackend struct {
	origin string
	signer note.Signer

	mu     sync.Mutex
	hashes []tlog.Hash // stored hashes, tlog layout
	size   int64
	latest []byte
	byKey  map[[32]byte]keyed // the single-successor rule: an entry's tag, a legacy leaf
}

// keyed is the leaf logged under a key, and its index.
type keyed struct {
	leaf  []byte
	index int64
}

// NewMemLog returns an empty in-memory log with a fresh note key; opts go to ledger.New
// (decorators that cosign or time-stamp its checkpoints, say).
func NewMemLog(origin string, opts ...ledger.Option) (*MemLog, error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return nil, fmt.Errorf("making in-memory log: %w", err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("making in-memory log: %w", err)
	}
	b := &memBackend{origin: origin, signer: s, byKey: map[[32]byte]keyed{}}
	if err := b.sign(); err != nil {
		return nil, fmt.Errorf("making in-memory log: %w", err)
	}
	return &MemLog{Ledger: ledger.New(b, opts...), vkey: vkey}, nil
}

// VerifierKey is the log's note verifier key, for trust policies.
func (m *MemLog) VerifierKey() string { return m.vkey }

// Origin implements ledger.Backend.
func (b *memBackend) Origin() string { return b.origin }

func (b *memBackend) readHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x >= int64(len(b.hashes)) {
			return nil, fmt.Errorf("hash %d not stored", x)
		}
		out[i] = b.hashes[x]
	}
	return out, nil
}

// sign signs the checkpoint of the current tree. b.mu is held.
func (b *memBackend) sign() error {
	root, err := tlog.TreeHash(b.size, tlog.HashReaderFunc(b.readHashes))
	if err != nil {
		return err
	}
	text := fmt.Sprintf("%s\n%d\n%s\n", b.origin, b.size, root)
	msg, err := note.Sign(&note.Note{Text: text}, b.signer)
	if err != nil {
		return err
	}
	b.latest = msg
	return nil
}

// AppendBatch implements ledger.Backend. A leaf whose key (an entry's tag, a legacy
// leaf itself) is logged gets that leaf's receipt, or a *ledger.ConflictError.
func (b *memBackend) AppendBatch(_ context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	at := make([]int64, len(leaves))
	errs := make([]error, len(leaves))
	for i, leaf := range leaves {
		key := [32]byte(leaf[:32])
		if k, ok := b.byKey[key]; ok {
			at[i], errs[i] = k.index, ledger.Successor(leaf, k.leaf, uint64(k.index))
			continue
		}
		hs, err := tlog.StoredHashes(b.size, leaf, tlog.HashReaderFunc(b.readHashes))
		if err != nil {
			return nil, err
		}
		b.hashes = append(b.hashes, hs...)
		b.byKey[key] = keyed{leaf: append([]byte(nil), leaf...), index: b.size}
		at[i] = b.size
		b.size++
	}
	if err := b.sign(); err != nil {
		return nil, err
	}
	out := make([]*ledger.Receipt, len(leaves))
	for i := range leaves {
		if errs[i] != nil {
			errs[i] = fmt.Errorf("leaf %d of %d: %w", i+1, len(leaves), errs[i])
			continue
		}
		p, err := tlog.ProveRecord(b.size, at[i], tlog.HashReaderFunc(b.readHashes))
		if err != nil {
			return nil, err
		}
		out[i] = &ledger.Receipt{Index: uint64(at[i]), Proof: p, Checkpoint: b.latest}
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
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.checkSize(size); err != nil {
		return nil, err
	}
	return tlog.ProveRecord(int64(size), int64(index), tlog.HashReaderFunc(b.readHashes))
}

// ConsistencyProof implements ledger.Backend.
func (b *memBackend) ConsistencyProof(_ context.Context, oldSize, newSize uint64) ([]tlog.Hash, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.checkSize(newSize); err != nil {
		return nil, err
	}
	if oldSize == 0 || oldSize == newSize {
		return []tlog.Hash{}, nil
	}
	return tlog.ProveTree(int64(newSize), int64(oldSize), tlog.HashReaderFunc(b.readHashes))
}

// checkSize fails when the tree has fewer than size leaves. b.mu is held.
func (b *memBackend) checkSize(size uint64) error {
	if size > uint64(b.size) {
		return fmt.Errorf("tree size %d is beyond the %d leaves of the log", size, b.size)
	}
	return nil
}

// Close implements ledger.Backend.
func (b *memBackend) Close(context.Context) error { return nil }
