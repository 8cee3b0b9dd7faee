package trillianlog

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/google/trillian"
	"github.com/google/trillian/types"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// errForked reports a Trillian log root that contradicts one this personality has signed.
var errForked = errors.New("trillian returned a log root inconsistent with an earlier one; refusing to sign it")

// scanChunk is how many leaves one GetLeavesByRange call asks for.
const scanChunk = 1024

// leafKey is a leaf (an entry, or a legacy 32-byte leaf) as a map key.
type leafKey string

// root is a Trillian log root this personality has checked (consistent with every earlier
// root it saw) and signed as a C2SP checkpoint.
type root struct {
	size uint64
	hash tlog.Hash
	note []byte
}

// found tells a waiting append where its leaf was integrated.
type found struct {
	index uint64
	root  *root
}

// roots tracks the tree's latest root, and finds where queued leaves were integrated: while
// appends wait, it polls the root and reads each new range of leaves once (one
// GetLeavesByRange per new root, however many appends wait), releasing the appends whose
// leaves it sees.
type roots struct {
	client trillian.TrillianLogClient
	treeID int64
	origin string
	signer note.Signer

	refreshMu sync.Mutex // one root refresh at a time, so roots are checked in order

	mu      sync.Mutex
	cur     *root
	scanned uint64 // every leaf below this index has been looked at for waiters
	waiting map[leafKey][]chan found
}

// current returns the latest checked root.
func (r *roots) current() *root {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

// sign makes the checkpoint for a root. Ed25519 signatures are deterministic, so every
// personality holding the key makes the same bytes for the same root.
func (r *roots) sign(size uint64, hash tlog.Hash) (*root, error) {
	body := r.origin + "\n" + strconv.FormatUint(size, 10) + "\n" + base64.StdEncoding.EncodeToString(hash[:]) + "\n"
	msg, err := note.Sign(&note.Note{Text: body}, r.signer)
	if err != nil {
		return nil, fmt.Errorf("signing checkpoint: %w", err)
	}
	return &root{size: size, hash: hash, note: msg}, nil
}

// refresh reads the latest log root, checks that it extends the current one (a consistency
// proof from Trillian, verified here), signs it and makes it current. A root older than the
// current one (a lagging replica) is ignored.
func (r *roots) refresh(ctx context.Context) (*root, error) {
	r.refreshMu.Lock()
	defer r.refreshMu.Unlock()
	cur := r.current()
	req := &trillian.GetLatestSignedLogRootRequest{LogId: r.treeID}
	if cur != nil {
		req.FirstTreeSize = int64(cur.size)
	}
	resp, err := r.client.GetLatestSignedLogRoot(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("reading log root of tree %d: %w", r.treeID, err)
	}
	var lr types.LogRootV1
	if err := lr.UnmarshalBinary(resp.GetSignedLogRoot().GetLogRoot()); err != nil {
		return nil, fmt.Errorf("reading log root of tree %d: %w", r.treeID, err)
	}
	if len(lr.RootHash) != tlog.HashSize {
		return nil, fmt.Errorf("reading log root of tree %d: root hash of %d bytes", r.treeID, len(lr.RootHash))
	}
	hash := tlog.Hash(lr.RootHash)
	if cur != nil {
		switch {
		case lr.TreeSize < cur.size:
			return cur, nil
		case lr.TreeSize == cur.size && hash != cur.hash:
			return nil, fmt.Errorf("tree %d at size %d: %w", r.treeID, lr.TreeSize, errForked)
		case lr.TreeSize == cur.size:
			return cur, nil
		}
		if cur.size > 0 {
			err := proof.VerifyConsistency(rfc6962.DefaultHasher, cur.size, lr.TreeSize, resp.GetProof().GetHashes(), cur.hash[:], hash[:])
			if err != nil {
				return nil, fmt.Errorf("tree %d from size %d to %d: %w: %v", r.treeID, cur.size, lr.TreeSize, errForked, err)
			}
		}
	}
	next, err := r.sign(lr.TreeSize, hash)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.cur = next
	r.mu.Unlock()
	return next, nil
}

// wait registers interest in leaf before it is queued. Receive from the channel to learn
// where it was integrated; call the returned function when done waiting.
func (r *roots) wait(leaf leafKey) (<-chan found, func()) {
	ch := make(chan found, 1)
	r.mu.Lock()
	if len(r.waiting) == 0 && r.cur != nil {
		// Nobody waited, so nothing was scanned: a leaf queued from now on lands at or
		// after the current size.
		r.scanned = max(r.scanned, r.cur.size)
	}
	r.waiting[leaf] = append(r.waiting[leaf], ch)
	r.mu.Unlock()
	return ch, func() { r.forget(leaf, ch) }
}

func (r *roots) forget(leaf leafKey, ch chan found) {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := slices.DeleteFunc(r.waiting[leaf], func(c chan found) bool { return c == ch })
	if len(list) == 0 {
		delete(r.waiting, leaf)
	} else {
		r.waiting[leaf] = list
	}
}

// anyWaiting reports whether an append waits for integration.
func (r *roots) anyWaiting() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.waiting) > 0
}

// poll refreshes the root and scans the new leaves for waiting appends. It returns the
// first error; the caller polls again later.
func (r *roots) poll(ctx context.Context) error {
	if !r.anyWaiting() {
		return nil
	}
	cur, err := r.refresh(ctx)
	if err != nil {
		return err
	}
	for {
		r.mu.Lock()
		start := r.scanned
		r.mu.Unlock()
		if start >= cur.size {
			return nil
		}
		count := min(cur.size-start, scanChunk)
		resp, err := r.client.GetLeavesByRange(ctx, &trillian.GetLeavesByRangeRequest{
			LogId: r.treeID, StartIndex: int64(start), Count: int64(count),
		})
		if err != nil {
			return fmt.Errorf("reading leaves %d-%d of tree %d: %w", start, start+count-1, r.treeID, err)
		}
		if len(resp.Leaves) == 0 {
			return fmt.Errorf("reading leaves from %d of tree %d: none returned below size %d", start, r.treeID, cur.size)
		}
		if r.release(start, resp.Leaves, cur) == 0 {
			return fmt.Errorf("reading leaves from %d of tree %d: got leaf index %d", start, r.treeID, resp.Leaves[0].GetLeafIndex())
		}
	}
}

// release hands each waiting append whose leaf is among leaves (from index start on) its
// index, and moves the scan position past them. It returns how many leaves it used.
func (r *roots) release(start uint64, leaves []*trillian.LogLeaf, cur *root) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := uint64(0)
	for i, l := range leaves {
		idx := start + uint64(i)
		if l.GetLeafIndex() != int64(idx) || idx >= cur.size {
			break
		}
		n++
		for _, ch := range r.waiting[leafKey(l.LeafValue)] {
			ch <- found{index: idx, root: cur}
		}
		delete(r.waiting, leafKey(l.LeafValue))
	}
	r.scanned = max(r.scanned, start+n)
	return n
}
