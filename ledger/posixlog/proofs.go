package posixlog

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
)

// builderCache builds proofs from the log's tiles. Appends released by one checkpoint
// share one treeProofs, so each tile is read and each tree node hashed once per
// checkpoint, and the checkpoint's signature is checked once before any receipt carries
// it.
//
// It does what Tessera's client.ProofBuilder does (the same node selection from
// merkle/proof, the same tiles), but memoises the nodes it derives inside a tile: the
// ProofBuilder rehashes up to 255 nodes of a tile for every proof, which under 256
// concurrent appends made proof building the bottleneck.
type builderCache struct {
	trust *ledger.Trust
	tiles client.TileFetcherFunc

	mu     sync.Mutex
	latest *treeProofs
}

// treeProofs builds proofs for one tree size. It reads the tiles of the tree of tilesOf
// leaves (at least size): a size the log has had (a checkpoint's, or its integrated
// size), for which each partial tile exists with the log's hashes. A tile of another
// width may be missing, or left by an appender killed before it integrated its batch.
// The nodes a proof at size needs are complete subtrees within size, the same in any
// larger tree.
type treeProofs struct {
	note    []byte // the verified checkpoint, when built for one
	size    uint64
	tilesOf uint64
	tiles   client.TileFetcherFunc

	mu    sync.Mutex
	nodes map[compact.NodeID][]byte
	read  map[[2]uint64]api.HashTile // tile level and index
}

// receipt builds the receipt of the leaf at index under the published checkpoint note.
func (c *builderCache) receipt(ctx context.Context, index uint64, note []byte) (*ledger.Receipt, error) {
	tp, err := c.forCheckpoint(note)
	if err != nil {
		return nil, err
	}
	p, err := tp.inclusion(ctx, index)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof for index %d at size %d: %w", index, tp.size, err)
	}
	return &ledger.Receipt{Index: index, Proof: p, Checkpoint: tp.note}, nil
}

// forCheckpoint returns the proof builder for a published checkpoint note, verifying the
// note the first time it is seen.
func (c *builderCache) forCheckpoint(note []byte) (*treeProofs, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.latest != nil && bytes.Equal(c.latest.note, note) {
		return c.latest, nil
	}
	cp, err := c.trust.VerifyCheckpoint(note)
	if err != nil {
		return nil, fmt.Errorf("published checkpoint: %w", err)
	}
	tp := c.newTreeProofs(cp.Size, cp.Size)
	tp.note = cp.Note
	if c.latest == nil || c.latest.size <= cp.Size {
		c.latest = tp
	}
	return tp, nil
}

func (c *builderCache) newTreeProofs(size, tilesOf uint64) *treeProofs {
	return &treeProofs{
		size:    size,
		tilesOf: tilesOf,
		tiles:   c.tiles,
		nodes:   map[compact.NodeID][]byte{},
		read:    map[[2]uint64]api.HashTile{},
	}
}

// builder returns a proof builder for size, shared with appends when size is that of the
// latest checkpoint; another reads the tiles of the tree of tilesOf leaves, the log's
// integrated size (at least size).
func (c *builderCache) builder(size, tilesOf uint64) *treeProofs {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.latest != nil && c.latest.size == size {
		return c.latest
	}
	return c.newTreeProofs(size, tilesOf)
}

// inclusion builds the inclusion proof of index at size, from the tiles of the tree of
// tilesOf leaves (see builder).
func (c *builderCache) inclusion(ctx context.Context, index, size, tilesOf uint64) ([]tlog.Hash, error) {
	return c.builder(size, tilesOf).inclusion(ctx, index)
}

// consistency builds the consistency proof from oldSize to newSize (oldSize <= newSize;
// empty when oldSize is 0 or newSize), from the tiles of the tree of tilesOf leaves.
func (c *builderCache) consistency(ctx context.Context, oldSize, newSize, tilesOf uint64) ([]tlog.Hash, error) {
	if oldSize == 0 || oldSize == newSize {
		return []tlog.Hash{}, nil // nothing to prove (newer merkle versions refuse size 0)
	}
	nodes, err := proof.Consistency(oldSize, newSize)
	if err != nil {
		return nil, err
	}
	return c.builder(newSize, tilesOf).prove(ctx, nodes)
}

func (tp *treeProofs) inclusion(ctx context.Context, index uint64) ([]tlog.Hash, error) {
	nodes, err := proof.Inclusion(index, tp.size)
	if err != nil {
		return nil, err
	}
	return tp.prove(ctx, nodes)
}

// prove fetches the nodes a proof needs and folds the ephemeral ones, as
// client.ProofBuilder does.
func (tp *treeProofs) prove(ctx context.Context, nodes proof.Nodes) ([]tlog.Hash, error) {
	hashes := make([][]byte, len(nodes.IDs))
	tp.mu.Lock()
	for i, id := range nodes.IDs {
		h, err := tp.node(ctx, id)
		if err != nil {
			tp.mu.Unlock()
			return nil, err
		}
		hashes[i] = h
	}
	tp.mu.Unlock()
	hashes, err := nodes.Rehash(hashes, rfc6962.DefaultHasher.HashChildren)
	if err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(hashes))
	for i, h := range hashes {
		if len(h) != tlog.HashSize {
			return nil, fmt.Errorf("proof node %d is %d bytes, want %d", i, len(h), tlog.HashSize)
		}
		out[i] = tlog.Hash(h)
	}
	return out, nil
}

// node returns the hash of a complete tree node, from its tile, memoised. tp.mu is held.
func (tp *treeProofs) node(ctx context.Context, id compact.NodeID) ([]byte, error) {
	if h, ok := tp.nodes[id]; ok {
		return h, nil
	}
	tileLevel, tileIndex, nodeLevel, nodeIndex := layout.NodeCoordsToTileAddress(uint64(id.Level), id.Index)
	var h []byte
	if nodeLevel == 0 {
		t, err := tp.tile(ctx, tileLevel, tileIndex)
		if err != nil {
			return nil, err
		}
		if nodeIndex >= uint64(len(t.Nodes)) {
			return nil, fmt.Errorf("tile %d/%d has %d nodes, node %d needed", tileLevel, tileIndex, len(t.Nodes), nodeIndex)
		}
		h = t.Nodes[nodeIndex]
	} else {
		left, err := tp.node(ctx, compact.NewNodeID(id.Level-1, id.Index*2))
		if err != nil {
			return nil, err
		}
		right, err := tp.node(ctx, compact.NewNodeID(id.Level-1, id.Index*2+1))
		if err != nil {
			return nil, err
		}
		h = rfc6962.DefaultHasher.HashChildren(left, right)
	}
	tp.nodes[id] = h
	return h, nil
}

// tile reads (once) the tile at level and index, as it is in the tree of tp.tilesOf
// leaves.
func (tp *treeProofs) tile(ctx context.Context, level, index uint64) (api.HashTile, error) {
	key := [2]uint64{level, index}
	if t, ok := tp.read[key]; ok {
		return t, nil
	}
	raw, err := tp.tiles(ctx, level, index, layout.PartialTileSize(level, index, tp.tilesOf))
	if err != nil {
		return api.HashTile{}, fmt.Errorf("reading tile %d/%d: %w", level, index, err)
	}
	var t api.HashTile
	if err := t.UnmarshalText(raw); err != nil {
		return api.HashTile{}, fmt.Errorf("parsing tile %d/%d: %w", level, index, err)
	}
	tp.read[key] = t
	return t, nil
}
