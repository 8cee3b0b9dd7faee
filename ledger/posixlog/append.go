package posixlog

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/transparency-dev/tessera"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/internal/batch"
	"github.com/evidctl/evidctl/ledger/internal/tiles"
)

// AppendBatch implements [ledger.Backend]. Each leaf's key (an entry's tag; a legacy
// leaf itself) is reserved in the tag index, durably, before the leaf goes to Tessera;
// a key already logged gives the existing receipt or a *ledger.ConflictError. The
// reserved leaves are queued together and in order, so they usually share one
// checkpoint and take consecutive indexes.
func (b *backend) AppendBatch(ctx context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	caller := ctx
	ctx, cancel := b.witnesses.bound(ctx)
	defer cancel()
	claims := make([]claim, len(leaves))
	errs := make([]error, len(leaves))
	var wg sync.WaitGroup
	for i, leaf := range leaves {
		wg.Go(func() { claims[i], errs[i] = b.reserve(ctx, leaf, false) })
	}
	wg.Wait()
	futures := make([]tessera.IndexFuture, len(leaves))
	for i, leaf := range leaves {
		if errs[i] == nil && claims[i].reserved {
			futures[i] = b.add(ctx, leaf, claims[i].from)
		}
	}
	return batch.Each(len(leaves), func(i int) (*ledger.Receipt, error) {
		r, err := b.appendClaimed(ctx, leaves[i], claims[i], futures[i], errs[i])
		if err != nil {
			return nil, b.explain(caller, ctx, err)
		}
		return r, nil
	})
}

// appendClaimed finishes one leaf of a batch after its reservation.
func (b *backend) appendClaimed(ctx context.Context, leaf []byte, c claim, f tessera.IndexFuture, err error) (*ledger.Receipt, error) {
	switch {
	case err != nil:
		return nil, err
	case c.reserved:
		return b.await(ctx, f)
	case c.mine:
		return b.appendOne(ctx, leaf) // another append of this process holds the key
	default:
		return b.logged(ctx, leaf, c)
	}
}

// appendOne appends one leaf: reserve its key (waiting while another append holds it),
// add it, and wait for its checkpoint.
func (b *backend) appendOne(ctx context.Context, leaf []byte) (*ledger.Receipt, error) {
	c, err := b.reserve(ctx, leaf, true)
	if err != nil {
		return nil, err
	}
	if !c.reserved {
		return b.logged(ctx, leaf, c)
	}
	return b.await(ctx, b.add(ctx, leaf, c.from))
}

// add hands a reserved leaf to Tessera. From here the leaf is logged whatever ctx does,
// and settle records where it landed even if the append gives up waiting.
func (b *backend) add(ctx context.Context, leaf []byte, from uint64) tessera.IndexFuture {
	future := b.appender.Add(context.WithoutCancel(ctx), tessera.NewEntry(bytes.Clone(leaf)))
	b.settling.Go(func() { b.settle(leaf, from, future) })
	return future
}

// await returns the receipt of an added leaf once a published checkpoint covers it.
func (b *backend) await(ctx context.Context, future tessera.IndexFuture) (*ledger.Receipt, error) {
	idx, cp, err := b.awaiter.Await(ctx, future)
	if err != nil {
		return nil, err
	}
	return b.proofs.receipt(ctx, idx.Index, cp)
}

// logged answers an append whose key is logged already: the existing receipt for the
// same leaf, a conflict for another.
func (b *backend) logged(ctx context.Context, leaf []byte, c claim) (*ledger.Receipt, error) {
	if err := ledger.Successor(leaf, c.logged, c.index); err != nil {
		return nil, err
	}
	return b.receiptAt(ctx, c.index)
}

// claim is what the index says about a leaf's key.
type claim struct {
	mine     bool   // another append of this Log holds the key (when reserve does not wait)
	reserved bool   // this append holds the key: add the leaf
	from     uint64 // the log's integrated size when it was reserved
	logged   []byte // otherwise the leaf logged with the key
	index    uint64 // and its index
}

// reserve claims leaf's key in the index, or returns the leaf already logged with it.
// It waits while another live appender holds the key (when this Log holds it, only if
// waitMine is set), and reconciles the reservation of an appender that is gone: if its
// leaf reached the log, that leaf is the key's; otherwise the key is free again.
func (b *backend) reserve(ctx context.Context, leaf []byte, waitMine bool) (claim, error) {
	key := keyOf(leaf)
	for {
		var c claim
		wait := false
		err := b.index.withShard(key, true, func(sh *shard) (bool, error) {
			cur := sh.state(key)
			switch cur.kind {
			case kindLogged:
				c = claim{logged: cur.leaf, index: cur.n}
				return false, nil
			case kindReserved:
				if cur.owner == b.index.me && !waitMine {
					c = claim{mine: true}
					return false, nil
				}
				if b.index.alive(cur.owner) {
					wait = true
					return false, nil
				}
				index, found, err := b.findLeaf(ctx, cur.leaf, cur.n)
				if err != nil {
					return false, fmt.Errorf("reconciling the reservation of a closed appender: %w", err)
				}
				if found {
					c = claim{logged: cur.leaf, index: index}
					return false, sh.put(record{kind: kindLogged, leaf: cur.leaf, n: index})
				}
			}
			from, err := b.reader.IntegratedSize(ctx)
			if err != nil {
				return false, err
			}
			c = claim{reserved: true, from: from}
			return true, sh.put(record{kind: kindReserved, leaf: leaf, n: from, owner: b.index.me})
		})
		if err != nil || !wait {
			return c, err
		}
		if err := sleep(ctx, b.pollInterval); err != nil {
			return claim{}, fmt.Errorf("waiting for another append of the same tag: %w", err)
		}
	}
}

// settle records where a reserved leaf landed once Tessera has sequenced it, or frees
// its key if it did not reach the log. It needs no fsync: should the record be lost, the
// reservation is reconciled with the log.
func (b *backend) settle(leaf []byte, from uint64, future tessera.IndexFuture) {
	rec := record{kind: kindLogged, leaf: leaf}
	idx, err := future()
	if err == nil {
		rec.n = idx.Index
	} else {
		index, found, ferr := b.findLeaf(context.Background(), leaf, from)
		switch {
		case ferr != nil:
			return // the reservation stays, reconciled once this Log is gone
		case found:
			rec.n = index
		default:
			rec.kind = kindFreed
		}
	}
	_ = b.index.withShard(keyOf(leaf), false, func(sh *shard) (bool, error) { return false, sh.put(rec) })
}

// findLeaf looks for leaf in the log from index from on, up to its integrated size.
func (b *backend) findLeaf(ctx context.Context, leaf []byte, from uint64) (uint64, bool, error) {
	size, err := b.reader.IntegratedSize(ctx)
	if err != nil {
		return 0, false, err
	}
	i := from
	for l, err := range tiles.Leaves(ctx, b.reader.ReadEntryBundle, from, size) {
		if err != nil {
			return 0, false, err
		}
		if bytes.Equal(l, leaf) {
			return i, true, nil
		}
		i++
	}
	return 0, false, nil
}

// receiptAt returns the receipt of the leaf at index, once a published checkpoint
// covers it.
func (b *backend) receiptAt(ctx context.Context, index uint64) (*ledger.Receipt, error) {
	_, cp, err := b.awaiter.Await(ctx, func() (tessera.Index, error) { return tessera.Index{Index: index}, nil })
	if err != nil {
		return nil, err
	}
	return b.proofs.receipt(ctx, index, cp)
}
