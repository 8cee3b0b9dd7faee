package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Backend is what one kind of log does its own way: store leaves, sign checkpoints and
// build proofs. [New] makes a [Ledger] of it by adding what every ledger does the same
// way, so that no backend writes it again:
//
//   - the lifecycle: after Close every method but Origin fails with ErrClosed, and Close
//     waits for the operations in flight;
//   - the argument checks: every leaf is an EntrySize-byte entry (else ErrMalformed; a
//     bare LeafSize-byte commitment too), an inclusion proof's index lies below its
//     tree size, a consistency proof's old size does not exceed its new size;
//   - Append, which is AppendBatch of one leaf, and the empty batch;
//   - the error prefix naming the operation and the log (see "Errors" in the package
//     documentation).
//
// So New calls a Backend only with arguments it has checked, and never after Close:
// AppendBatch gets at least one leaf, each of EntrySize bytes, with ctx not yet done;
// InclusionProof gets index < treeSize; ConsistencyProof gets oldSize <= newSize. What
// only the backend knows stays its own to check: that a tree size is no larger than its
// log. Its errors need not name the log or the operation; New adds both, wrapping with
// %w, so that a sentinel or a typed error the backend returns (a refused entry, say)
// reaches the caller intact for errors.Is and errors.As.
//
// A Backend that also implements [AuthenticatedAppender] (ledger/httplog) gets the same
// treatment for AppendSigned, and the Ledger that New returns implements it too.
//
// # Entries
//
// A Backend keeps the single-successor rule for EntrySize-byte entries (docs/TRUST.md):
// an entry whose tag it already holds with another commitment is refused with a
// [*ConflictError] naming the index of the entry logged first ([Successor] decides), and
// the identical entry appended again returns the receipt of the existing entry, with no
// second log entry.
type Backend interface {
	// Origin is the log's origin line, as for [Ledger].
	Origin() string
	// AppendBatch appends leaves and returns their receipts in the same order, once each
	// is covered by a published, signed checkpoint. On error, the slots of leaves already
	// covered hold their receipts and the others are nil.
	// An entry that breaks the single-successor rule fails with a *ConflictError in its
	// slot.
	AppendBatch(ctx context.Context, leaves [][]byte) ([]*Receipt, error)
	// Checkpoint returns the latest published signed checkpoint note.
	Checkpoint(ctx context.Context) ([]byte, error)
	// InclusionProof returns the inclusion path of the leaf at index in the tree of
	// treeSize leaves; it fails when treeSize exceeds the log.
	InclusionProof(ctx context.Context, index, treeSize uint64) ([]tlog.Hash, error)
	// ConsistencyProof returns the proof that the tree of newSize leaves extends the tree
	// of oldSize leaves, empty when oldSize is 0 or equal to newSize; it fails when
	// newSize exceeds the log.
	ConsistencyProof(ctx context.Context, oldSize, newSize uint64) ([]tlog.Hash, error)
	// Close releases the log. New calls it once, when the operations in flight have
	// returned or ctx (bounded by the close timeout) has ended; then it must release any
	// operation still waiting, with an error.
	Close(ctx context.Context) error
}

// A Decorator wraps a Backend to add to what it does while keeping its contract: cosign
// the checkpoints it publishes with witnesses, say, or attach a timestamp token to each
// receipt (Receipt.Extra). Pass decorators to [New] with [WithDecorator]; they sit inside
// New's checks, so they see only checked arguments and never run after Close. A
// decorator that hides AppendSigned of an [AuthenticatedAppender] backend takes that
// method away from the Ledger.
type Decorator func(Backend) Backend

// Option configures New.
type Option func(*config)

type config struct {
	decorators   []Decorator
	closeTimeout time.Duration
}

// DefaultCloseTimeout bounds how long Close waits for the operations in flight (appends waiting
// for their checkpoint) and for the backend to shut down.
const DefaultCloseTimeout = 30 * time.Second

// WithCloseTimeout sets how long Close waits for the operations in flight and for the
// backend to shut down (DefaultCloseTimeout when not given or not positive).
func WithCloseTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.closeTimeout = d
		}
	}
}

// WithDecorator wraps the backend in d. Decorators apply in the order given, each
// wrapping the result of the previous one, so the last one given is the outermost. A nil
// Decorator is ignored.
func WithDecorator(d Decorator) Option {
	return func(c *config) {
		if d != nil {
			c.decorators = append(c.decorators, d)
		}
	}
}

// New returns the Ledger that runs b behind the checks every ledger shares (see
// [Backend]). Close the Ledger, not b: the Ledger's Close calls b's once.
func New(b Backend, opts ...Option) Ledger {
	cfg := config{closeTimeout: DefaultCloseTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	for _, d := range cfg.decorators {
		b = d(b)
	}
	g := &guarded{b: b, closeTimeout: cfg.closeTimeout}
	if a, ok := b.(AuthenticatedAppender); ok {
		return &guardedSigned{guarded: g, a: a}
	}
	return g
}

// guarded is the Ledger New makes.
type guarded struct {
	b            Backend
	closeTimeout time.Duration
	gate         gate
}

// Origin implements Ledger.
func (g *guarded) Origin() string { return g.b.Origin() }

// Append implements Ledger: AppendBatch of one leaf.
func (g *guarded) Append(ctx context.Context, leaf []byte) (*Receipt, error) {
	rs, err := g.AppendBatch(ctx, [][]byte{leaf})
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// AppendBatch implements Ledger.
func (g *guarded) AppendBatch(ctx context.Context, leaves [][]byte) ([]*Receipt, error) {
	rs, err := g.appendBatch(ctx, leaves)
	if err != nil {
		return rs, fmt.Errorf("appending to %s: %w", g.Origin(), err)
	}
	return rs, nil
}

func (g *guarded) appendBatch(ctx context.Context, leaves [][]byte) ([]*Receipt, error) {
	if err := checkLeaves(leaves); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return run(&g.gate, func() ([]*Receipt, error) {
		if len(leaves) == 0 {
			return []*Receipt{}, nil
		}
		rs, err := g.b.AppendBatch(ctx, leaves)
		if err != nil {
			if len(rs) != len(leaves) {
				rs = nil // partial receipts are kept only slot for slot
			}
			return rs, err
		}
		if err := checkReceipts(rs, len(leaves)); err != nil {
			return nil, err
		}
		return rs, nil
	})
}

// Checkpoint implements Ledger.
func (g *guarded) Checkpoint(ctx context.Context) ([]byte, error) {
	cp, err := run(&g.gate, func() ([]byte, error) { return g.b.Checkpoint(ctx) })
	if err != nil {
		return nil, fmt.Errorf("reading checkpoint of %s: %w", g.Origin(), err)
	}
	return cp, nil
}

// InclusionProof implements Ledger.
func (g *guarded) InclusionProof(ctx context.Context, index, treeSize uint64) ([]tlog.Hash, error) {
	p, err := run(&g.gate, func() ([]tlog.Hash, error) {
		if index >= treeSize {
			return nil, fmt.Errorf("index %d is not below tree size %d", index, treeSize)
		}
		return g.b.InclusionProof(ctx, index, treeSize)
	})
	if err != nil {
		return nil, fmt.Errorf("inclusion proof for index %d at size %d in %s: %w", index, treeSize, g.Origin(), err)
	}
	return p, nil
}

// ConsistencyProof implements Ledger.
func (g *guarded) ConsistencyProof(ctx context.Context, oldSize, newSize uint64) ([]tlog.Hash, error) {
	p, err := run(&g.gate, func() ([]tlog.Hash, error) {
		if oldSize > newSize {
			return nil, fmt.Errorf("old size %d is larger than new size %d", oldSize, newSize)
		}
		return g.b.ConsistencyProof(ctx, oldSize, newSize)
	})
	if err != nil {
		return nil, fmt.Errorf("consistency proof from size %d to %d in %s: %w", oldSize, newSize, g.Origin(), err)
	}
	return p, nil
}

// Close implements Ledger: it stops admitting operations, waits (at most the close
// timeout) for those in flight, then closes the backend.
func (g *guarded) Close() error {
	if !g.gate.close() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), g.closeTimeout)
	defer cancel()
	var err error
	if werr := g.gate.wait(ctx); werr != nil {
		err = fmt.Errorf("operations still in flight after %v: %w", g.closeTimeout, werr)
	}
	if berr := g.b.Close(ctx); berr != nil {
		err = errors.Join(err, berr)
	}
	if err != nil {
		return fmt.Errorf("closing %s: %w", g.Origin(), err)
	}
	return nil
}

// guardedSigned is the Ledger New makes of an AuthenticatedAppender backend.
type guardedSigned struct {
	*guarded
	a AuthenticatedAppender
}

// AppendSigned implements AuthenticatedAppender.
func (g *guardedSigned) AppendSigned(ctx context.Context, entry []byte, s EntrySigner) (*Receipt, error) {
	return g.appendSigned(g.a, ctx, entry, s)
}

// appendSigned runs a's AppendSigned behind the checks: an EntrySize-byte entry, a
// signer, the gate and the error prefix.
func (g *guarded) appendSigned(a AuthenticatedAppender, ctx context.Context, entry []byte, s EntrySigner) (*Receipt, error) {
	return g.appendOne(ctx, func() (*Receipt, error) {
		if err := checkLeaf(entry); err != nil {
			return nil, fmt.Errorf("entry: %w", err)
		}
		if s == nil {
			return nil, errors.New("no entry signer")
		}
		return a.AppendSigned(ctx, entry, s)
	})
}

// appendOne runs one append admitted by the gate, after checking ctx, and prefixes its
// error; a backend that returns neither receipt nor error fails.
func (g *guarded) appendOne(ctx context.Context, op func() (*Receipt, error)) (*Receipt, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("appending to %s: %w", g.Origin(), err)
	}
	r, err := run(&g.gate, func() (*Receipt, error) {
		r, err := op()
		if err == nil && r == nil {
			err = fmt.Errorf("the backend returned no receipt")
		}
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("appending to %s: %w", g.Origin(), err)
	}
	return r, nil
}

// run runs op as one operation admitted by gt.
func run[T any](gt *gate, op func() (T, error)) (T, error) {
	if err := gt.enter(); err != nil {
		var zero T
		return zero, err
	}
	defer gt.done()
	return op()
}

// checkLeaves checks that every leaf is an EntrySize-byte entry; the error wraps
// ErrMalformed and names the first bad leaf, and says so when it is a bare commitment.
func checkLeaves(leaves [][]byte) error {
	for i, leaf := range leaves {
		if err := checkLeaf(leaf); err != nil {
			return fmt.Errorf("leaf %d: %w", i, err)
		}
	}
	return nil
}

// checkLeaf checks that leaf is an EntrySize-byte entry. A LeafSize-byte leaf gets an
// error of its own: a commitment alone, as logged before entries had tags.
func checkLeaf(leaf []byte) error {
	switch len(leaf) {
	case EntrySize:
		return nil
	case LeafSize:
		return fmt.Errorf("a bare %d-byte commitment is no longer logged: entries are tag || commitment, %d bytes: %w", LeafSize, EntrySize, ErrMalformed)
	}
	return fmt.Errorf("%d bytes, want a %d-byte entry (tag || commitment): %w", len(leaf), EntrySize, ErrMalformed)
}

// checkReceipts checks that a backend returned one receipt for each of n leaves.
func checkReceipts(rs []*Receipt, n int) error {
	if len(rs) != n {
		return fmt.Errorf("the backend returned %d receipts for %d leaves", len(rs), n)
	}
	for i, r := range rs {
		if r == nil {
			return fmt.Errorf("the backend returned no receipt for leaf %d", i)
		}
	}
	return nil
}
