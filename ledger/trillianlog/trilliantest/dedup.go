//go:build !race

package trilliantest

import (
	"context"
	"sync"
	"time"

	"github.com/google/trillian"
	"github.com/google/trillian/storage"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// dedupStorage is Trillian's memory log storage with the guarantee that the SQL storages
// give and it lacks ("No deduping in this storage!"): a leaf identity hash is queued once
// per tree, and a second leaf with it is answered with the first and AlreadyExists, as
// the MySQL storage's QueueLeaves does. trillianlog's single-successor rule rests on it.
type dedupStorage struct {
	storage.LogStorage

	mu   sync.Mutex
	seen map[int64]map[string]*trillian.LogLeaf // tree → identity hash → first leaf
}

func newDedupStorage(s storage.LogStorage) *dedupStorage {
	return &dedupStorage{LogStorage: s, seen: map[int64]map[string]*trillian.LogLeaf{}}
}

// QueueLeaves implements storage.LogStorage.
func (d *dedupStorage) QueueLeaves(ctx context.Context, tree *trillian.Tree, leaves []*trillian.LogLeaf, ts time.Time) ([]*trillian.QueuedLogLeaf, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	seen := d.seen[tree.TreeId]
	if seen == nil {
		seen = map[string]*trillian.LogLeaf{}
		d.seen[tree.TreeId] = seen
	}
	out := make([]*trillian.QueuedLogLeaf, len(leaves))
	var fresh []*trillian.LogLeaf
	var at []int
	for i, l := range leaves {
		id := string(l.LeafIdentityHash)
		if first, ok := seen[id]; ok {
			out[i] = &trillian.QueuedLogLeaf{
				Leaf:   proto.Clone(first).(*trillian.LogLeaf),
				Status: status.Newf(codes.AlreadyExists, "leaf already exists: %x", l.LeafIdentityHash).Proto(),
			}
			continue
		}
		seen[id] = proto.Clone(l).(*trillian.LogLeaf)
		fresh, at = append(fresh, l), append(at, i)
	}
	if len(fresh) == 0 {
		return out, nil
	}
	queued, err := d.LogStorage.QueueLeaves(ctx, tree, fresh, ts)
	if err != nil {
		for _, l := range fresh {
			delete(seen, string(l.LeafIdentityHash))
		}
		return nil, err
	}
	for j, q := range queued {
		out[at[j]] = q
	}
	return out, nil
}
