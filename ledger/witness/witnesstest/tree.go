package witnesstest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/internal/memtree"
	"github.com/evidctl/evidctl/ledger"
)

// Tree is an in-memory RFC 6962 tree signed by a log key (internal/memtree, the store
// of testkit's in-memory ledger too): a log without storage, to feed witnesses
// checkpoints and proofs. Fork copies it, key included, so that the two copies can grow
// two histories. It is safe for concurrent use.
type Tree struct {
	mem *memtree.Tree
}

// NewTree returns an empty tree with a fresh Ed25519 log key named origin.
func NewTree(t testing.TB, origin string) *Tree {
	t.Helper()
	mem, err := memtree.New(origin)
	require.NoError(t, err)
	return &Tree{mem: mem}
}

// Entry is the tree's trust-policy entry (no witnesses).
func (tr *Tree) Entry() ledger.Log {
	return ledger.Log{Origin: tr.mem.Origin(), VerifierKey: tr.mem.VerifierKey()}
}

// Fork returns a copy that shares this tree's key and leaves so far.
func (tr *Tree) Fork() *Tree { return &Tree{mem: tr.mem.Fork()} }

// Size is the number of leaves.
func (tr *Tree) Size() uint64 { return tr.mem.Size() }

// Grow appends leaves named prefix/i until the tree has size leaves.
func (tr *Tree) Grow(t testing.TB, prefix string, size uint64) {
	t.Helper()
	for n := tr.mem.Size(); n < size; n++ {
		h := sha256.Sum256(fmt.Appendf(nil, "%s/%d", prefix, n))
		_, err := tr.mem.Append(h[:])
		require.NoError(t, err)
	}
}

// Root is the root hash of the tree of size leaves.
func (tr *Tree) Root(t testing.TB, size uint64) tlog.Hash {
	t.Helper()
	h, err := tr.mem.Root(size)
	require.NoError(t, err)
	return h
}

// Checkpoint is the log-signed checkpoint of the tree of size leaves.
func (tr *Tree) Checkpoint(t testing.TB, size uint64) []byte {
	t.Helper()
	msg, err := tr.Sign(size)
	require.NoError(t, err)
	return msg
}

// Consistency is the RFC 6962 consistency proof from old to size leaves (empty when old
// is 0 or size).
func (tr *Tree) Consistency(t testing.TB, old, size uint64) []tlog.Hash {
	t.Helper()
	p, err := tr.Prove(context.Background(), old, size)
	require.NoError(t, err)
	return p
}

// Prove is Consistency without a test, shaped as [ledger.Ledger.ConsistencyProof].
func (tr *Tree) Prove(_ context.Context, old, size uint64) ([]tlog.Hash, error) {
	return tr.mem.Consistency(old, size)
}

// Inclusion is the inclusion path of the leaf at index in the tree of size leaves.
func (tr *Tree) Inclusion(index, size uint64) ([]tlog.Hash, error) {
	return tr.mem.Inclusion(index, size)
}

// AppendLeaf appends one leaf and returns its index.
func (tr *Tree) AppendLeaf(leaf []byte) (uint64, error) { return tr.mem.Append(leaf) }

// Sign is the log-signed checkpoint of the tree of size leaves, without a test.
func (tr *Tree) Sign(size uint64) ([]byte, error) { return tr.mem.Checkpoint(size) }
