package posixlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/transparency-dev/tessera"

	"github.com/evidctl/evidctl/internal/atomicfile"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/internal/batch"
	"github.com/evidctl/evidctl/ledger/internal/tiles"
)

// AppendBatch implements [ledger.Backend]. Each leaf's key (an entry's tag) is reserved
// in the tag index before the leaf goes to Tessera, with one lock of each shard the
// batch touches (reserveAll); a key already logged gives the existing receipt or a
// *ledger.ConflictError. The reserved leaves are queued together and in order, so they
// take consecutive indexes, and every receipt of the batch is under one checkpoint, the
// newest that any of them got (underOne).
func (b *backend) AppendBatch(ctx context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	caller := ctx
	ctx, cancel := b.witnesses.bound(ctx)
	defer cancel()
	b.intake.begin(len(leaves))
	claims, errs := b.reserveAll(ctx, leaves)
	var reserved []int
	for i := range leaves {
		if errs[i] == nil && claims[i].reserved {
			reserved = append(reserved, i)
		}
	}
	futures := make([]tessera.IndexFuture, len(leaves))
	added, err := b.add(ctx, pick(leaves, reserved), pick(claims, reserved), len(leaves))
	for j, i := range reserved {
		if err != nil {
			errs[i] = err
		} else {
			futures[i] = added[j]
		}
	}
	var awaited []*ledger.Receipt
	var awaitErrs []error
	all := make(chan struct{})
	go func() {
		defer close(all)
		awaited, awaitErrs = b.awaitAll(ctx, futures)
	}()
	rs, err := batch.Each(len(leaves), func(i int) (*ledger.Receipt, error) {
		var r *ledger.Receipt
		var err error
		if futures[i] != nil {
			<-all
			r, err = awaited[i], awaitErrs[i]
		} else {
			r, err = b.appendClaimed(ctx, leaves[i], claims[i], errs[i])
		}
		if err != nil {
			return nil, b.explain(caller, ctx, err)
		}
		return r, nil
	})
	moved, merr := b.underOne(ctx, rs)
	if merr != nil {
		return rs, errors.Join(err, merr)
	}
	return moved, err // the leaves that failed have no receipt, the others theirs
}

// underOne moves the receipts of a batch (nil for a leaf that failed) under the newest
// checkpoint among them: Tessera may have published a large batch in several
// checkpoints, and a batch's receipts share one. The proofs come from the memoised
// tiles of that checkpoint.
func (b *backend) underOne(ctx context.Context, rs []*ledger.Receipt) ([]*ledger.Receipt, error) {
	if len(rs) < 2 {
		return rs, nil // an Append: nothing to move, no note to parse on its path
	}
	newest, size := -1, uint64(0)
	for i, r := range rs {
		if r == nil || (i > 0 && rs[i-1] != nil && bytes.Equal(r.Checkpoint, rs[i-1].Checkpoint)) {
			continue
		}
		h, err := ledger.ReadHeadUnverified(r.Checkpoint)
		if err != nil {
			return nil, fmt.Errorf("receipt of leaf %d: %w", i+1, err)
		}
		if newest < 0 || h.Size > size {
			newest, size = i, h.Size
		}
	}
	for i, r := range rs {
		if r == nil || i == newest || bytes.Equal(r.Checkpoint, rs[newest].Checkpoint) {
			continue
		}
		moved, err := b.proofs.receipt(ctx, r.Index, rs[newest].Checkpoint)
		if err != nil {
			return nil, fmt.Errorf("receipt of leaf %d under the batch's checkpoint: %w", i+1, err)
		}
		rs[i] = moved
	}
	return rs, nil
}

// pick returns the elements of s at the indexes is.
func pick[T any](s []T, is []int) []T {
	out := make([]T, len(is))
	for j, i := range is {
		out[j] = s[i]
	}
	return out
}

// awaitAll is await of every added leaf of a batch (a nil future is a leaf that was not
// added), with one wait in all rather than one waiter per leaf: it reads the indexes in
// order, waits once for a published checkpoint that covers the highest, and proves every
// leaf under that checkpoint, on every processor (the tiles of one checkpoint are
// memoised, see builderCache). A leaf whose future failed gets that error, and the
// others the wait's, if it failed.
func (b *backend) awaitAll(ctx context.Context, futures []tessera.IndexFuture) ([]*ledger.Receipt, []error) {
	rs := make([]*ledger.Receipt, len(futures))
	errs := make([]error, len(futures))
	indexes := make([]uint64, len(futures))
	top, added := uint64(0), false
	for i, f := range futures {
		if f == nil {
			continue
		}
		idx, err := f()
		if err != nil {
			errs[i] = err
			continue
		}
		indexes[i], top, added = idx.Index, max(top, idx.Index), true
	}
	if !added {
		return rs, errs
	}
	_, cp, err := b.awaiter.Await(ctx, func() (tessera.Index, error) { return tessera.Index{Index: top}, nil })
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(futures); i = int(next.Add(1)) - 1 {
				switch {
				case futures[i] == nil || errs[i] != nil:
				case err != nil:
					errs[i] = err
				default:
					rs[i], errs[i] = b.proofs.receipt(ctx, indexes[i], cp)
				}
			}
		})
	}
	wg.Wait()
	return rs, errs
}

// appendClaimed finishes one leaf of a batch after its reservation, when it was not
// added (awaitAll waits for those that were).
func (b *backend) appendClaimed(ctx context.Context, leaf []byte, c claim, err error) (*ledger.Receipt, error) {
	switch {
	case err != nil:
		return nil, err
	case c.reserved:
		return nil, fmt.Errorf("the reserved leaf was not added to the log")
	case c.mine:
		return b.appendOne(ctx, leaf) // another append of this process holds the key
	default:
		return b.logged(ctx, leaf, c)
	}
}

// appendOne appends one leaf: reserve its key (waiting while another append holds it),
// add it, and wait for its checkpoint.
func (b *backend) appendOne(ctx context.Context, leaf []byte) (*ledger.Receipt, error) {
	b.intake.begin(1)
	c, err := b.reserve(ctx, leaf, true)
	if err != nil || !c.reserved {
		b.intake.submit(nil, 1)
	}
	if err != nil {
		return nil, err
	}
	if !c.reserved {
		return b.logged(ctx, leaf, c)
	}
	futures, err := b.add(ctx, [][]byte{leaf}, []claim{c}, 1)
	if err != nil {
		return nil, err
	}
	return b.await(ctx, futures[0])
}

// add submits reserved leaves to the intake, which counts out the counted leaves that
// intake.begin counted in, and returns their futures once the intake has handed them to
// Tessera (hand).
func (b *backend) add(ctx context.Context, leaves [][]byte, claims []claim, counted int) ([]tessera.IndexFuture, error) {
	if len(leaves) == 0 {
		b.intake.submit(nil, counted)
		return nil, nil
	}
	h := &handoff{leaves: leaves, claims: claims, done: make(chan struct{})}
	b.intake.submit(h, counted)
	return h.wait(ctx)
}

// hand hands a group of reserved leaves to Tessera, in order and in one turn of this
// process (turn.go), when the pacer lets it (pace.go). From there each leaf is logged
// whatever its append does, and settle records where it landed. If the turn does not
// come, the leaves never reach the log, and their keys are freed.
func (b *backend) hand(group []*handoff) {
	n := 0
	for _, h := range group {
		n += len(h.leaves)
	}
	b.pace.wait(n)
	if err := b.turn.enter(context.Background(), n); err != nil {
		err = fmt.Errorf("waiting for this process's turn to append: %w", err)
		var freed []record
		for _, h := range group {
			for _, leaf := range h.leaves {
				freed = append(freed, record{kind: kindFreed, leaf: leaf})
			}
		}
		b.putAll(freed) // before the appends hear of it, as a retry may follow at once
		for _, h := range group {
			h.err = err
			close(h.done)
		}
		return
	}
	var leaves [][]byte
	var froms []uint64
	var futures []tessera.IndexFuture
	for _, h := range group {
		h.futures = make([]tessera.IndexFuture, len(h.leaves))
		for i, leaf := range h.leaves {
			h.futures[i] = b.appender.Add(context.Background(), tessera.NewEntry(bytes.Clone(leaf)))
			leaves, froms, futures = append(leaves, leaf), append(froms, h.claims[i].from), append(futures, h.futures[i])
		}
		close(h.done)
	}
	b.settling.Go(func() { b.settleAll(leaves, froms, futures) })
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
			var durable bool
			var err error
			c, wait, durable, err = b.claimIn(ctx, sh, leaf, waitMine)
			return durable, err
		})
		if err != nil || !wait {
			return c, err
		}
		b.intake.pause()
		err = sleep(ctx, b.pollInterval)
		b.intake.resume()
		if err != nil {
			return claim{}, fmt.Errorf("waiting for another append of the same tag: %w", err)
		}
	}
}

// reserveAll is reserve(leaf, false) of every leaf of a batch, with one lock, read and
// (where reservations are durable) sync of each shard the batch touches rather than of
// each leaf: in the order of the batch within a shard, so that a second leaf with the
// key of an earlier one finds it held by this Log. A leaf whose key another live
// appender holds is left to reserve, which waits for it.
func (b *backend) reserveAll(ctx context.Context, leaves [][]byte) ([]claim, []error) {
	claims := make([]claim, len(leaves))
	errs := make([]error, len(leaves))
	groups := map[int][]int{}
	for i, leaf := range leaves {
		n := b.index.shardOf(keyOf(leaf))
		groups[n] = append(groups[n], i)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8) // shards locked at once
	for n, is := range groups {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			var waiting []int
			err := b.index.withShardN(n, true, func(sh *shard) (bool, error) {
				durable := false
				for _, i := range is {
					c, wait, put, err := b.claimIn(ctx, sh, leaves[i], false)
					switch {
					case err != nil:
						errs[i] = err
					case wait:
						waiting = append(waiting, i)
					default:
						claims[i] = c
					}
					durable = durable || put
				}
				return durable, nil
			})
			if err != nil {
				for _, i := range is {
					claims[i], errs[i] = claim{}, err
				}
				return
			}
			for _, i := range waiting {
				claims[i], errs[i] = b.reserve(ctx, leaves[i], false)
			}
		})
	}
	wg.Wait()
	return claims, errs
}

// claimIn is one step of reserve on the locked shard of leaf's key: the claim, or wait
// when another live appender holds the key; durable says that a reservation was written,
// which withShard makes durable where reservations must be.
func (b *backend) claimIn(ctx context.Context, sh *shard, leaf []byte, waitMine bool) (c claim, wait, durable bool, err error) {
	cur, err := sh.state(keyOf(leaf))
	if err != nil {
		return claim{}, false, false, err
	}
	switch cur.kind {
	case kindLogged:
		return claim{logged: cur.leaf, index: cur.n}, false, false, nil
	case kindReserved:
		if cur.owner == b.index.me && !waitMine {
			return claim{mine: true}, false, false, nil
		}
		if b.index.alive(cur.owner) {
			return claim{}, true, false, nil
		}
		index, found, err := b.findLeaf(ctx, cur.leaf, cur.n)
		if err != nil {
			return claim{}, false, false, fmt.Errorf("reconciling the reservation of a closed appender: %w", err)
		}
		if found {
			return claim{logged: cur.leaf, index: index}, false, false, sh.put(record{kind: kindLogged, leaf: cur.leaf, n: index})
		}
	}
	from, err := b.floor.get(ctx)
	if err != nil {
		return claim{}, false, false, err
	}
	c = claim{reserved: true, from: from}
	return c, false, true, sh.put(record{kind: kindReserved, leaf: leaf, n: from, owner: b.index.me})
}

// settleAll records where each reserved leaf of a group landed once Tessera has
// sequenced it, or frees its key if it did not reach the log, and counts each out of this
// process's turn as soon as it is sequenced. The records are written with one lock of
// each shard the group touches; they need no fsync (see the top of index.go).
func (b *backend) settleAll(leaves [][]byte, froms []uint64, futures []tessera.IndexFuture) {
	recs := make([]record, 0, len(leaves))
	for i, future := range futures {
		idx, err := future()
		b.turn.leave(1)
		rec := record{kind: kindLogged, leaf: leaves[i]}
		if err == nil {
			rec.n = idx.Index
			b.floor.raise(idx.Index + 1)
		} else {
			index, found, ferr := b.findLeaf(context.Background(), leaves[i], froms[i])
			switch {
			case ferr != nil:
				continue // the reservation stays, reconciled once this Log is gone
			case found:
				rec.n = index
			default:
				rec.kind = kindFreed
			}
		}
		recs = append(recs, rec)
	}
	b.putAll(recs)
}

// putAll writes records, best effort, with one lock of each shard they fall in, in
// their order within a shard.
func (b *backend) putAll(recs []record) {
	groups := map[int][]record{}
	for _, r := range recs {
		n := b.index.shardOf(keyOf(r.leaf))
		groups[n] = append(groups[n], r)
	}
	for n, rs := range groups {
		_ = b.index.withShardN(n, false, func(sh *shard) (bool, error) {
			for _, r := range rs {
				if err := sh.put(r); err != nil {
					return false, err
				}
			}
			return false, nil
		})
	}
}

// findLeaf looks for leaf in the log from index from on, up to its integrated size. It
// makes the tree state durable first, so that a leaf it finds stays in the log whatever
// happens to the machine (a Logged record must never lie: see the top of index.go).
func (b *backend) findLeaf(ctx context.Context, leaf []byte, from uint64) (uint64, bool, error) {
	size, err := b.reader.IntegratedSize(ctx)
	if err != nil {
		return 0, false, err
	}
	if err := atomicfile.SyncPath(b.stateDir()); err != nil {
		return 0, false, err
	}
	i := from
	for l, err := range tiles.Leaves(ctx, b.reader.ReadEntryBundle, from, size, size) {
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
