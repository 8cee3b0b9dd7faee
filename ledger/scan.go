package ledger

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
)

// ErrRootMismatch: the leaves a log handed out do not hash to the root of the checkpoint
// they were read for. The log's entries, or the copy read, were altered.
var ErrRootMismatch = errors.New("leaves do not hash to the checkpoint's root")

// LeafReader reads a log's leaves in index order: a local posixlog directory
// (posixlog.NewReader, posixlog.Log), a ledger server (httplog.Log) or a Trillian tree
// (trillianlog.Log, trillianlog.OpenReader). Nothing it returns is trusted: [Scan]
// checks the leaves against a verified checkpoint.
type LeafReader interface {
	// ReadLeaves yields the leaves at indexes start to end-1, in order, of a log that has
	// at least end leaves. It stops at the first error, which it yields.
	ReadLeaves(ctx context.Context, start, end uint64) iter.Seq2[[]byte, error]
}

// Leaf is one leaf of a log, as Scan yields it.
type Leaf struct {
	Index uint64
	// Data is the leaf: an EntrySize-byte entry, or a LeafSize-byte legacy commitment (or,
	// in a log that accepts anything, any bytes). Do not modify it.
	Data []byte
}

// Scan streams every leaf of the log up to the verified checkpoint cp, in index order,
// from r, and hashes them as it goes (RFC 6962, in a compact range: constant memory).
// After the last leaf it checks that they hash to cp's root; if they do not, or r fails
// or yields too few leaves, the last thing yielded is an error (ErrRootMismatch for a
// wrong root). So nothing read is proven until the loop ends without error: collect,
// and act only then, as [FindTags] and [FindConflicts] do.
func Scan(ctx context.Context, r LeafReader, cp *Checkpoint) iter.Seq2[Leaf, error] {
	return func(yield func(Leaf, error) bool) {
		if cp == nil {
			yield(Leaf{}, errors.New("scanning: no checkpoint"))
			return
		}
		rng := (&compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}).NewEmptyRange(0)
		var i uint64
		for data, err := range r.ReadLeaves(ctx, 0, cp.Size) {
			if err == nil && i >= cp.Size {
				err = fmt.Errorf("the log yielded more than the checkpoint's %d leaves", cp.Size)
			}
			if err == nil {
				err = rng.Append(rfc6962.DefaultHasher.HashLeaf(data), nil)
			}
			if err != nil {
				yield(Leaf{}, fmt.Errorf("scanning %s at index %d: %w", cp.Origin, i, err))
				return
			}
			if !yield(Leaf{Index: i, Data: data}, nil) {
				return
			}
			i++
		}
		if err := checkRoot(rng, cp, i); err != nil {
			yield(Leaf{}, fmt.Errorf("scanning %s: %w", cp.Origin, err))
		}
	}
}

func checkRoot(rng *compact.Range, cp *Checkpoint, n uint64) error {
	if n != cp.Size {
		return fmt.Errorf("the log yielded %d leaves, the checkpoint has %d", n, cp.Size)
	}
	root, err := rng.GetRootHash(nil)
	if err != nil {
		return err
	}
	if n == 0 {
		root = rfc6962.DefaultHasher.EmptyRoot()
	}
	if string(root) != string(cp.Hash[:]) {
		return fmt.Errorf("%d leaves hash to %x, the checkpoint's root is %x: %w", n, root, cp.Hash[:], ErrRootMismatch)
	}
	return nil
}

// Found is one entry of a log that an audit found.
type Found struct {
	Index      uint64
	Tag        [TagSize]byte
	Commitment [LeafSize]byte
}

// FindTags returns, in log order, every entry of the log up to cp whose tag is one of
// tags, once the whole log has been read from r and proven to hash to cp's root. A
// bundle's auditor passes the tags of its events and the successor tags of each item's
// last event: an entry found with a tag of the bundle but another commitment is a branch
// the bundle does not show; one with a successor tag is an event hidden from it. Memory
// is that of tags and of what is found; time is one pass over the log.
func FindTags(ctx context.Context, r LeafReader, cp *Checkpoint, tags [][TagSize]byte) ([]Found, error) {
	want := make(map[[TagSize]byte]struct{}, len(tags))
	for _, t := range tags {
		want[t] = struct{}{}
	}
	var out []Found
	for l, err := range Scan(ctx, r, cp) {
		if err != nil {
			return nil, fmt.Errorf("finding tags: %w", err)
		}
		if len(l.Data) != EntrySize {
			continue
		}
		if _, ok := want[[TagSize]byte(l.Data[:TagSize])]; ok {
			e := Entry(l.Data)
			out = append(out, Found{Index: l.Index, Tag: e.Tag(), Commitment: e.Commitment()})
		}
	}
	return out, nil
}
