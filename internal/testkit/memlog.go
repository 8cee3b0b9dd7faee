package testkit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
)

// MemLog is an in-memory ledger.Ledger that signs a checkpoint on every append: for
// benchmarks and tests that need thousands of events quickly. Its receipts are the
// same C2SP tlog-proofs as any backend's.
type MemLog struct {
	mu     sync.Mutex
	origin string
	signer note.Signer
	vkey   string
	hashes []tlog.Hash // stored hashes, tlog layout
	size   int64
	latest []byte
}

var _ ledger.Ledger = (*MemLog)(nil)

// NewMemLog returns an empty in-memory log with a fresh note key.
func NewMemLog(origin string) (*MemLog, error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return nil, err
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, err
	}
	m := &MemLog{origin: origin, signer: s, vkey: vkey}
	if err := m.sign(); err != nil {
		return nil, err
	}
	return m, nil
}

// VerifierKey is the log's note verifier key, for trust policies.
func (m *MemLog) VerifierKey() string { return m.vkey }

// Origin implements ledger.Ledger.
func (m *MemLog) Origin() string { return m.origin }

func (m *MemLog) readHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("memlog: hash %d not stored", x)
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

func (m *MemLog) sign() error {
	root, err := tlog.TreeHash(m.size, tlog.HashReaderFunc(m.readHashes))
	if err != nil {
		return err
	}
	text := fmt.Sprintf("%s\n%d\n%s\n", m.origin, m.size, root)
	msg, err := note.Sign(&note.Note{Text: text}, m.signer)
	if err != nil {
		return err
	}
	m.latest = msg
	return nil
}

// Append implements ledger.Ledger.
func (m *MemLog) Append(ctx context.Context, leaf []byte) (*ledger.Receipt, error) {
	rs, err := m.AppendBatch(ctx, [][]byte{leaf})
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// AppendBatch implements ledger.Ledger.
func (m *MemLog) AppendBatch(ctx context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	first := m.size
	for _, leaf := range leaves {
		if len(leaf) != sha256.Size {
			return nil, fmt.Errorf("memlog: leaf of %d bytes: %w", len(leaf), ledger.ErrMalformed)
		}
		hs, err := tlog.StoredHashes(m.size, leaf, tlog.HashReaderFunc(m.readHashes))
		if err != nil {
			return nil, err
		}
		m.hashes = append(m.hashes, hs...)
		m.size++
	}
	if err := m.sign(); err != nil {
		return nil, err
	}
	out := make([]*ledger.Receipt, len(leaves))
	for i := range leaves {
		idx := first + int64(i)
		p, err := tlog.ProveRecord(m.size, idx, tlog.HashReaderFunc(m.readHashes))
		if err != nil {
			return nil, err
		}
		out[i] = &ledger.Receipt{Index: uint64(idx), Proof: p, Checkpoint: m.latest}
	}
	return out, nil
}

// Checkpoint implements ledger.Ledger.
func (m *MemLog) Checkpoint(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.latest, nil
}

// InclusionProof implements ledger.Ledger.
func (m *MemLog) InclusionProof(_ context.Context, index, size uint64) ([]tlog.Hash, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if size > uint64(m.size) || index >= size {
		return nil, errors.New("memlog: index or size out of range")
	}
	return tlog.ProveRecord(int64(size), int64(index), tlog.HashReaderFunc(m.readHashes))
}

// ConsistencyProof implements ledger.Ledger.
func (m *MemLog) ConsistencyProof(_ context.Context, oldSize, newSize uint64) ([]tlog.Hash, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if newSize > uint64(m.size) || oldSize > newSize {
		return nil, errors.New("memlog: sizes out of range")
	}
	if oldSize == 0 || oldSize == newSize {
		return nil, nil
	}
	return tlog.ProveTree(int64(newSize), int64(oldSize), tlog.HashReaderFunc(m.readHashes))
}

// Close implements ledger.Ledger.
func (m *MemLog) Close() error { return nil }
