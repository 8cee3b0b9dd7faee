package custody

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
)

// Batch is a set of events on one bundle that a custodian signs and logs together: a
// lab logging thousands of accesses, a provider answering an order with many files
// ([Custodian.Disclose] records its items as one batch). Queue the events with its
// methods, in the order they happen, then [Batch.Commit]:
//
//	bt := c.Batch(b)
//	bt.Access(itemID, custody.Details{Purpose: "triage"})
//	bt.Note(itemID, "hash re-checked", custody.Details{})
//	recs, err := bt.Commit(ctx)
//
// The events are those the single operations ([Custodian.Access], [Custodian.Note]
// …) record, one after the other: each follows the one queued before it on the same
// item. Commit reads the log's checkpoint once (every event cites it as its anchor),
// replays the bundle once and checks each event against the chain as the events
// before it leave it, refusing the whole batch before anything is signed; it signs
// the statements in parallel, appends their entries as one ledger batch (see
// appendEntries for ledgers that cannot keep a batch's order) and adds the events to
// the bundle with receipts under one checkpoint, and one consistency proof from the
// bundle's previous checkpoint and one from the anchor.
//
// Argument errors of a queued event (an access without purpose) are reported by
// Commit, which names the event. A Batch is not safe for concurrent use and is
// committed once.
type Batch struct {
	c         *Custodian
	b         *Bundle
	events    []eventOf
	committed bool
}

// MaxBatch bounds the events of one [Batch]: larger sets are committed as several
// batches.
const MaxBatch = 100_000

// Batch starts an empty batch of events on b.
func (c *Custodian) Batch(b *Bundle) *Batch { return &Batch{c: c, b: b} }

// Len is the number of events queued.
func (bt *Batch) Len() int { return len(bt.events) }

// Access queues an access, as [Custodian.Access] records one.
func (bt *Batch) Access(itemID string, d Details) { bt.add(accessEvent(itemID, d)) }

// Note queues a note, as [Custodian.Note] records one.
func (bt *Batch) Note(itemID, text string, d Details) { bt.add(noteEvent(itemID, text, d)) }

// Transfer queues a transfer, as [Custodian.Transfer] records one.
func (bt *Batch) Transfer(itemID string, to Actor, d Details) {
	bt.add(transferEvent(itemID, to, d))
}

// Receive queues the receipt of the item's open transfer, as [Custodian.Receive]
// records one without a payload to check.
func (bt *Batch) Receive(itemID string, d Details) { bt.add(receiveEvent(itemID, d, nil)) }

// Return queues a return, as [Custodian.Return] records one.
func (bt *Batch) Return(itemID string, to *Actor, d Details) {
	bt.add(returnEvent(itemID, to, d))
}

// Dispose queues a disposal, as [Custodian.Dispose] records one.
func (bt *Batch) Dispose(itemID string, d Details) { bt.add(simpleEvent(itemID, Dispose, d)) }

func (bt *Batch) add(e eventOf) { bt.events = append(bt.events, e) }

// batchEvent is one event of a batch, made and checked, on its way to the log.
type batchEvent struct {
	ev      *Event
	payload []byte
	env     *sign.Envelope
	leaf    []byte
	commit  [32]byte // of payload as PayloadType, the envelope's once signed (record)
	follows string   // the item's custody head before the event, for a refusal
}

// record is NewRecord of the signed event, without hashing its payload again.
func (be *batchEvent) record(proof string) *Record {
	if be.env.PayloadType != PayloadType || !bytes.Equal(be.env.Payload, be.payload) {
		return NewRecord(be.env, proof)
	}
	return newRecord(be.env, proof, be.commit)
}

// Commit signs and logs the queued events and adds them to the bundle, returning
// their records in log order: the order queued wherever an event follows an earlier one
// of the batch, and on ledgers that log a batch in order (the embedded log) throughout.
// On any error the bundle is unchanged:
//   - an event the chain refuses is a *RefusedError (wrapped, naming the event's
//     place in the batch), and nothing was signed;
//   - a ledger that already holds another successor of an event's custody head refuses
//     the batch: the *RefusedError under RuleFork names that event;
//   - when the log gave no answer for a batch holding an event that moves custody (not
//     an opening event or a note), the error is a *PendingError whose Batch is every
//     signed event of the batch: [Custodian.ResumeBatch] completes them all.
func (bt *Batch) Commit(ctx context.Context) ([]*Record, error) {
	c, n := bt.c, len(bt.events)
	switch {
	case bt.b == nil:
		return nil, argError("batch", "b", "a bundle is required")
	case bt.committed:
		return nil, argError("batch", "", "the batch was committed already")
	case n == 0:
		return nil, argError("batch", "", "no events")
	case n > MaxBatch:
		return nil, argError("batch", "", "%d events, more than %d: commit them as several batches", n, MaxBatch)
	}
	bt.committed = true
	var anchor *Anchor
	var anchored *AnchorCheckpoint
	if !c.unanchored {
		var err error
		if anchor, anchored, err = c.fetchAnchor(ctx); err != nil {
			return nil, fmt.Errorf("batch of %d events: %w", n, err)
		}
	}
	cs, err := replay(bt.b)
	if err != nil {
		return nil, fmt.Errorf("reading the bundle's chain: %w", err)
	}
	es := make([]batchEvent, n)
	if err := c.prepareAll(cs, bt.events, anchor, es); err != nil {
		return nil, err
	}
	if err := c.signAll(ctx, es); err != nil {
		return nil, err
	}
	var anchors []AnchorCheckpoint
	if anchored != nil {
		anchors = append(anchors, *anchored)
	}
	return c.logBatch(ctx, bt.b, es, anchors)
}

// batchError names the place of event i in a batch of n.
func batchError(i, n int, err error) error {
	if n == 1 {
		return err
	}
	return fmt.Errorf("event %d of %d: %w", i+1, n, err)
}

// signAll signs every statement, as many at once as there are processors: one
// goroutine per processor takes the next unsigned statement until none is left or one
// failed (its error is the one returned).
func (c *Custodian) signAll(ctx context.Context, es []batchEvent) error {
	g, gctx := errgroup.WithContext(ctx)
	var next atomic.Int64
	for range min(runtime.GOMAXPROCS(0), len(es)) {
		g.Go(func() error {
			for i := int(next.Add(1)) - 1; i < len(es); i = int(next.Add(1)) - 1 {
				if err := gctx.Err(); err != nil {
					return fmt.Errorf("signing %d events: %w", len(es), err)
				}
				env, err := sign.SignEnvelope(gctx, PayloadType, es[i].payload, c.signer)
				if err != nil {
					return batchError(i, len(es), fmt.Errorf("signing %s event: %w", es[i].ev.Type, err))
				}
				es[i].env = env
			}
			return nil
		})
	}
	return g.Wait()
}

// eachEvent calls f(i) for every event of a batch of n, on every processor, and
// returns the error of the first event in batch order that failed.
func eachEvent(n int, f func(i int) error) error {
	errs := make([]error, n)
	inParallel(n, func(i int) { errs[i] = f(i) })
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// inOrder is implemented by ledgers whose AppendBatch logs the leaves of a batch in the
// order given, at increasing indexes (posixlog).
type inOrder interface{ AppendsInOrder() bool }

// appendEntries appends the entries of the batch so that the log orders them as the
// batch does wherever an event depends on an earlier one of the batch (the verifier
// wants a bundle in log order, and each event after the one it follows). A ledger that
// logs a batch in order (inOrder: the embedded log) gets one AppendBatch. A ledger that
// authenticates appends ([ledger.AuthenticatedAppender], a ledger server) has no batch
// form, each entry carrying its own signature that the server checks: its entries are
// appended one by one, in order. Any other ledger (trillianlog appends a batch's leaves
// concurrently) gets the batch in waves of events on distinct items, one AppendBatch
// each; logBatch then puts each wave's events in log order.
func (c *Custodian) appendEntries(ctx context.Context, es []batchEvent) ([]*ledger.Receipt, error) {
	rs := make([]*ledger.Receipt, len(es))
	for from := 0; from < len(es); {
		to := c.wave(es, from)
		leaves := make([][]byte, to-from)
		for i := range leaves {
			leaves[i] = es[from+i].leaf
		}
		var got []*ledger.Receipt
		var err error
		if a, ok := c.ledger.(ledger.AuthenticatedAppender); ok {
			var r *ledger.Receipt
			r, err = a.AppendSigned(ctx, leaves[0], c.signer)
			got = []*ledger.Receipt{r}
		} else {
			got, err = c.ledger.AppendBatch(ctx, leaves)
		}
		copy(rs[from:], got)
		if err != nil {
			return rs, err
		}
		from = to
	}
	return rs, nil
}

// wave is the end of the wave of events that starts at from (see appendEntries).
func (c *Custodian) wave(es []batchEvent, from int) int {
	if _, ok := c.ledger.(ledger.AuthenticatedAppender); ok {
		return from + 1
	}
	if o, ok := c.ledger.(inOrder); ok && o.AppendsInOrder() {
		return len(es)
	}
	items := map[string]bool{}
	to := from
	for ; to < len(es) && !items[es[to].ev.Item.ID]; to++ {
		items[es[to].ev.Item.ID] = true
	}
	return to
}

// logBatch appends the entries of signed events, brings their receipts under one
// checkpoint and adds the events to b, with the anchors (kept in b) and the
// consistency proofs from b's previous checkpoint and from each anchor. On error b is
// unchanged.
func (c *Custodian) logBatch(ctx context.Context, b *Bundle, es []batchEvent, anchors []AnchorCheckpoint) ([]*Record, error) {
	rs, err := c.appendEntries(ctx, es)
	if err != nil {
		return nil, c.batchFailure(fmt.Errorf("appending %d events to log %s: %w", len(es), c.ledger.Origin(), err), es, anchors)
	}
	recs, stage, err := c.receipts(ctx, b, es, rs, anchors)
	if err != nil { // the entries are logged: the events are pending, not lost
		return nil, c.batchFailure(err, es, anchors)
	}
	b.Anchors, b.Consistency = stage.Anchors, stage.Consistency
	b.Events = append(b.Events, recs...)
	return recs, nil
}

// receipts checks the receipts of a logged batch, brings them under the latest of
// their checkpoints, and returns the records and a copy of b's proofs and anchors with
// those the batch adds.
func (c *Custodian) receipts(ctx context.Context, b *Bundle, es []batchEvent, rs []*ledger.Receipt, anchors []AnchorCheckpoint) ([]*Record, *Bundle, error) {
	head, err := c.oneCheckpoint(ctx, rs, es)
	if err != nil {
		return nil, nil, err
	}
	es, rs = logOrder(es, rs)
	recs := make([]*Record, len(es))
	err = eachEvent(len(rs), func(i int) error {
		text, err := rs[i].MarshalText()
		if err != nil {
			return fmt.Errorf("encoding receipt: %w", err)
		}
		recs[i] = es[i].record(string(text))
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	stage := &Bundle{Events: b.Events, Anchors: slices.Clip(b.Anchors), Consistency: slices.Clip(b.Consistency)}
	if err := c.addConsistency(ctx, stage, head); err != nil {
		return nil, nil, err
	}
	for i := range anchors {
		stage.keepAnchor(&anchors[i])
	}
	for _, e := range es {
		if a := e.ev.Anchor; a != nil {
			if err := c.addProof(ctx, stage, a.Origin, a.Size, head.Size); err != nil {
				return nil, nil, err
			}
		}
	}
	return recs, stage, nil
}

// oneCheckpoint checks that every receipt proves its event's entry, after moving any
// receipt under an earlier checkpoint than the latest of the batch to that one (the log
// may have published the batch in several steps), and returns that checkpoint's head.
func (c *Custodian) oneCheckpoint(ctx context.Context, rs []*ledger.Receipt, es []batchEvent) (ledger.Head, error) {
	if len(rs) != len(es) || slices.Contains(rs, nil) {
		return ledger.Head{}, fmt.Errorf("the log returned %d receipts for %d events", len(rs)-count(rs, nil), len(es))
	}
	heads := make([]ledger.Head, len(rs))
	top := 0
	for i, r := range rs {
		if i > 0 && bytes.Equal(r.Checkpoint, rs[i-1].Checkpoint) {
			heads[i] = heads[i-1]
		} else {
			h, err := ledger.ReadHeadUnverified(r.Checkpoint)
			if err != nil {
				return ledger.Head{}, fmt.Errorf("reading the checkpoint of event %d's receipt: %w", i+1, err)
			}
			if h.Origin != c.ledger.Origin() {
				return ledger.Head{}, fmt.Errorf("the log %s returned a receipt under a checkpoint of %q", c.ledger.Origin(), h.Origin)
			}
			heads[i] = h
		}
		if heads[i].Size > heads[top].Size {
			top = i
		}
	}
	moved, moveErr := c.underLatest(ctx, rs, heads, top)
	err := eachEvent(moved, func(i int) error {
		if err := rs[i].CoversUnverified(es[i].leaf); err != nil {
			return fmt.Errorf("the log returned a bad receipt for event %d: %w", i+1, err)
		}
		return nil
	})
	if err == nil {
		err = moveErr
	}
	if err != nil {
		return ledger.Head{}, err
	}
	return heads[top], nil
}

// underLatest moves every receipt under rs[top]'s checkpoint, re-proving those under a
// smaller tree, up to the first that cannot be: it returns how many receipts it got
// through, and that one's error.
func (c *Custodian) underLatest(ctx context.Context, rs []*ledger.Receipt, heads []ledger.Head, top int) (int, error) {
	latest := rs[top]
	for i, r := range rs {
		if bytes.Equal(r.Checkpoint, latest.Checkpoint) {
			continue
		}
		proof := r.Proof
		if heads[i].Size != heads[top].Size {
			var err error
			if proof, err = c.ledger.InclusionProof(ctx, r.Index, heads[top].Size); err != nil {
				return i, fmt.Errorf("inclusion proof of event %d under the batch's checkpoint: %w", i+1, err)
			}
		}
		rs[i] = &ledger.Receipt{Index: r.Index, Proof: proof, Checkpoint: latest.Checkpoint, Extra: latest.Extra}
	}
	return len(rs), nil
}

// logOrder puts the events in the order of their log indexes: the order of the batch
// wherever an event depends on an earlier one (appendEntries).
func logOrder(es []batchEvent, rs []*ledger.Receipt) ([]batchEvent, []*ledger.Receipt) {
	order := make([]int, len(es))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rs[a].Index, rs[b].Index) })
	oes, ors := make([]batchEvent, len(es)), make([]*ledger.Receipt, len(rs))
	for i, j := range order {
		oes[i], ors[i] = es[j], rs[j]
	}
	return oes, ors
}

func count[T comparable](s []T, v T) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// batchFailure is what a failure to log a signed batch means. A ledger that refused an
// entry as a second successor of its custody head refuses the batch: the refusal names
// the first such event. Otherwise, when an event of the batch moves custody, the
// ledger may hold its entry, and with it the item's custody head: the batch is pending
// ([Custodian.ResumeBatch]). A batch of opening events and notes consumes nothing and
// fails plainly.
func (c *Custodian) batchFailure(err error, es []batchEvent, anchors []AnchorCheckpoint) error {
	first := -1
	var conflict *ledger.ConflictError
	for _, ce := range conflicts(err) {
		for i := range es {
			if (first < 0 || i < first) && bytes.Equal(es[i].leaf[:ledger.TagSize], ce.Tag[:]) {
				first, conflict = i, ce
			}
		}
	}
	if first >= 0 {
		e := es[first]
		before := &chainState{items: map[string]*itemState{e.ev.Item.ID: {custodyHead: e.follows}}}
		return batchError(first, len(es), c.refusal(conflict, before, e.ev, e.env))
	}
	for _, e := range es {
		if e.ev.Prev == "" || e.ev.Type == Note {
			continue
		}
		p := &PendingError{Type: e.ev.Type, Item: e.ev.Item.ID, Envelope: e.env, Err: err}
		for i := range anchors {
			if e.ev.Anchor != nil && (&anchors[i]).key() == e.ev.Anchor.key() {
				p.Anchor = &anchors[i]
			}
		}
		for _, o := range es {
			p.Batch = append(p.Batch, o.env)
		}
		return p
	}
	return err
}

// conflicts collects every *ledger.ConflictError in err's tree (a batch's errors are
// joined).
func conflicts(err error) []*ledger.ConflictError {
	var out []*ledger.ConflictError
	var walk func(error)
	walk = func(err error) {
		if ce, ok := err.(*ledger.ConflictError); ok {
			out = append(out, ce)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			if e := u.Unwrap(); e != nil {
				walk(e)
			}
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

// ResumeBatch completes the events of a batch that were signed but left without
// receipts (a [*PendingError]'s Batch, in order), as [Custodian.Resume] completes one:
// it appends the same entries again as one batch (a ledger that logged an entry
// returns its receipt) and adds the events to b with their receipts, the anchors
// (pass the PendingError's Anchor) and the consistency proofs. Each event must be
// this custodian's and still follow b's chain, after the events before it; a failure
// to append is a *PendingError again, and b is then unchanged.
func (c *Custodian) ResumeBatch(ctx context.Context, b *Bundle, envs []*sign.Envelope, anchors ...AnchorCheckpoint) ([]*Record, error) {
	if b == nil || len(envs) == 0 || slices.Contains(envs, nil) {
		return nil, argError("resume", "envs", "a bundle and the signed events of the batch are required")
	}
	if len(envs) > MaxBatch {
		return nil, argError("resume", "envs", "%d events, more than %d", len(envs), MaxBatch)
	}
	for i := range anchors {
		if err := anchors[i].validate(); err != nil {
			return nil, argError("resume", "anchors", "anchor %d: %w", i+1, err)
		}
	}
	cs, err := replay(b)
	if err != nil {
		return nil, fmt.Errorf("reading the bundle's chain: %w", err)
	}
	es := make([]batchEvent, len(envs))
	for i, env := range envs {
		st, err := NewRecord(env, "").Statement()
		if err != nil {
			return nil, batchError(i, len(envs), &ArgumentError{Op: "resume", Arg: "envs", Err: err})
		}
		ev := &st.Predicate
		if _, err := env.Verify(ctx, 1, c.signer.Verifier()); err != nil || ev.Actor.KeyID != c.actor.KeyID {
			return nil, batchError(i, len(envs), argError("resume", "envs", "the event is not signed by this custodian's key %s", shortKey(c.actor.KeyID)))
		}
		es[i] = batchEvent{ev: ev, payload: env.Payload, env: env}
		if err := cs.admit(&es[i]); err != nil {
			return nil, batchError(i, len(envs), err)
		}
	}
	return c.logBatch(ctx, b, es, anchors)
}
