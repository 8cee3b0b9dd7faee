package witnesstest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
)

// Tree is an in-memory RFC 6962 tree signed by a log key (golang.org/x/mod/sumdb/tlog
// and note): a log without storage, to feed witnesses checkpoints and proofs. Fork
// copies it, key included, so that the two copies can grow two histories. It is safe for
// concurrent use.
type Tree struct {
	origin string
	signer note.Signer
	vkey   string

	mu     sync.Mutex
	stored []tlog.Hash
	n      int64
}

// NewTree returns an empty tree with a fresh Ed25519 log key named origin.
func NewTree(t testing.TB, origin string) *Tree {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	require.NoError(t, err)
	s, err := note.NewSigner(skey)
	require.NoError(t, err)
	return &Tree{origin: origin, signer: s, vkey: vkey}
}

// Entry is the tree's trust-policy entry (no witnesses).
func (tr *Tree) Entry() ledger.Log { return ledger.Log{Origin: tr.origin, VerifierKey: tr.vkey} }

// Fork returns a copy that shares this tree's key and leaves so far.
func (tr *Tree) Fork() *Tree {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return &Tree{origin: tr.origin, signer: tr.signer, vkey: tr.vkey, stored: slices.Clone(tr.stored), n: tr.n}
}

// Size is the number of leaves.
func (tr *Tree) Size() uint64 {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return uint64(tr.n)
}

// Grow appends leaves named prefix/i until the tree has size leaves.
func (tr *Tree) Grow(t testing.TB, prefix string, size uint64) {
	t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for uint64(tr.n) < size {
		h := sha256.Sum256(fmt.Appendf(nil, "%s/%d", prefix, tr.n))
		hs, err := tlog.StoredHashes(tr.n, h[:], tlog.HashReaderFunc(tr.read))
		require.NoError(t, err)
		tr.stored = append(tr.stored, hs...)
		tr.n++
	}
}

func (tr *Tree) read(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x >= int64(len(tr.stored)) {
			return nil, fmt.Errorf("hash %d not stored", x)
		}
		out[i] = tr.stored[x]
	}
	return out, nil
}

// Root is the root hash of the tree of size leaves.
func (tr *Tree) Root(t testing.TB, size uint64) tlog.Hash {
	t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	h, err := tlog.TreeHash(int64(size), tlog.HashReaderFunc(tr.read))
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
	if old == 0 || old == size {
		return []tlog.Hash{}, nil
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tlog.ProveTree(int64(size), int64(old), tlog.HashReaderFunc(tr.read))
}

// Inclusion is the inclusion path of the leaf at index in the tree of size leaves.
func (tr *Tree) Inclusion(index, size uint64) ([]tlog.Hash, error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tlog.ProveRecord(int64(size), int64(index), tlog.HashReaderFunc(tr.read))
}

// AppendLeaf appends one leaf and returns its index.
func (tr *Tree) AppendLeaf(leaf []byte) (uint64, error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	hs, err := tlog.StoredHashes(tr.n, leaf, tlog.HashReaderFunc(tr.read))
	if err != nil {
		return 0, err
	}
	tr.stored = append(tr.stored, hs...)
	tr.n++
	return uint64(tr.n - 1), nil
}

// Sign is the log-signed checkpoint of the tree of size leaves, without a test.
func (tr *Tree) Sign(size uint64) ([]byte, error) {
	tr.mu.Lock()
	h, err := tlog.TreeHash(int64(size), tlog.HashReaderFunc(tr.read))
	tr.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", tr.origin, size, base64.StdEncoding.EncodeToString(h[:]))}, tr.signer)
}
