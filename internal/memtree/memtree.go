// Package memtree is an RFC 6962 Merkle tree kept in memory and signed by a log's note
// key, built with golang.org/x/mod/sumdb/tlog and sumdb/note: a log without storage.
// The test kit's in-memory ledger (internal/testkit.MemLog) and the witnesses' test
// trees (ledger/witness/witnesstest.Tree) both keep their leaves in one:
//
//	tr, err := memtree.New("example.org/log")
//	index, err := tr.Append(leaf)
//	cp, err := tr.Checkpoint(tr.Size())       // C2SP tlog-checkpoint, signed
//	proof, err := tr.Inclusion(index, tr.Size())
//
// A Tree is safe for concurrent use.
package memtree

import (
	"crypto/rand"
	"fmt"
	"slices"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Tree is an in-memory RFC 6962 tree and the note key that signs its checkpoints.
type Tree struct {
	origin string
	signer note.Signer
	vkey   string

	mu     sync.Mutex
	stored []tlog.Hash // stored hashes, tlog layout
	n      int64       // leaves
}

// New returns an empty tree with a fresh Ed25519 log key named origin.
func New(origin string) (*Tree, error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return nil, fmt.Errorf("making the key of in-memory log %q: %w", origin, err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("making the key of in-memory log %q: %w", origin, err)
	}
	return &Tree{origin: origin, signer: s, vkey: vkey}, nil
}

// Origin is the log's origin line.
func (tr *Tree) Origin() string { return tr.origin }

// VerifierKey is the log's note verifier key, for trust policies.
func (tr *Tree) VerifierKey() string { return tr.vkey }

// Fork returns a copy that shares this tree's key and leaves so far, so that the two
// copies can grow two histories.
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

// Append adds one leaf (its record hash is tlog.RecordHash(leaf)) and returns its index.
func (tr *Tree) Append(leaf []byte) (uint64, error) {
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

// read is the tree's tlog.HashReader. tr.mu is held.
func (tr *Tree) read(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x >= int64(len(tr.stored)) {
			return nil, fmt.Errorf("hash %d not stored", x)
		}
		out[i] = tr.stored[x]
	}
	return out, nil
}

// Root is the root hash of the tree of size leaves.
func (tr *Tree) Root(size uint64) (tlog.Hash, error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tlog.TreeHash(int64(size), tlog.HashReaderFunc(tr.read))
}

// Checkpoint is the checkpoint note of the tree of size leaves (origin, size, root
// hash), signed by the log key.
func (tr *Tree) Checkpoint(size uint64) ([]byte, error) {
	root, err := tr.Root(size)
	if err != nil {
		return nil, err
	}
	return note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", tr.origin, size, root)}, tr.signer)
}

// Inclusion is the inclusion path of the leaf at index in the tree of size leaves.
func (tr *Tree) Inclusion(index, size uint64) ([]tlog.Hash, error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tlog.ProveRecord(int64(size), int64(index), tlog.HashReaderFunc(tr.read))
}

// Consistency is the proof that the tree of size leaves extends the tree of old leaves:
// empty when old is 0 or size.
func (tr *Tree) Consistency(old, size uint64) ([]tlog.Hash, error) {
	if old == 0 || old == size {
		return []tlog.Hash{}, nil
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tlog.ProveTree(int64(size), int64(old), tlog.HashReaderFunc(tr.read))
}
