package trillianlog

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/trillian"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/tlog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/internal/batch"
	"github.com/evidctl/evidctl/ledger/internal/notekey"
)

var _ ledger.Ledger = (*Log)(nil)

// queueAttempts is how many times a QueueLeaf whose outcome is unknown is tried.
const queueAttempts = 3

// maxQueueRPCs bounds the calls to Trillian one AppendBatch has in flight: QueueLeaf,
// finding leaves already logged, and GetInclusionProof for its receipts. Unbounded, a
// batch of 1,100 leaves sent 1,100 proof requests at once when their root came, and a
// Trillian log server on MySQL (96 connections) answered none of them for 8 minutes.
const maxQueueRPCs = 16

// Log is a ledger.Ledger kept by a Trillian log tree. It is safe for concurrent use, and
// other personalities (processes holding the same note key) may serve the same tree. Its
// Ledger methods are those of [ledger.New] over Trillian: an append of a leaf the tree
// already holds returns the existing entry's receipt; Close waits (at most 30 s) for the
// Appends in flight, then closes the connection (leaves queued by Appends that gave up
// are still integrated by Trillian).
//
// An entry is queued with its tag as Trillian's leaf identity hash, which Trillian's
// storage keeps unique per tree (MySQL, MariaDB, PostgreSQL, Spanner, CockroachDB; not
// the test-only memory storage): of two entries with one tag, whichever personality
// queues them, the second is answered with the first, and the personality returns the
// first's receipt when they are the same entry, a *ledger.ConflictError naming its index
// otherwise. A legacy 32-byte leaf keeps Trillian's default identity, its leaf hash.
type Log struct {
	ledger.Ledger
	b *backend
}

// backend is the ledger.Backend of a Trillian log tree: this personality's gRPC client
// and the roots it has checked and signed.
type backend struct {
	ep     Endpoint
	vkey   string
	conn   *grpc.ClientConn
	client trillian.TrillianLogClient
	roots  *roots

	bg     context.Context // ends at Close; background polling and waiting appends
	cancel context.CancelFunc
	polled sync.WaitGroup
}

// Open connects to the Trillian log tree at url ("trillian://HOST:PORT/TREE_ID") and signs
// its checkpoints with the note key in keyFile (mode 0600, made by Init or NewKey). The
// tree must exist and be initialised (Init, CreateTree, or Trillian's createtree). Close
// the Log when done.
func Open(ctx context.Context, url, keyFile string, opts ...Option) (*Log, error) {
	ep, cfg, err := openConfig(url, opts)
	if err != nil {
		return nil, err
	}
	signer, vkey, err := notekey.Read(keyFile)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", ep, err)
	}
	conn, err := dial(ep.Addr, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", ep, err)
	}
	client := trillian.NewTrillianLogClient(conn)
	b := &backend{ep: ep, vkey: vkey, conn: conn, client: client, roots: &roots{
		client: client, treeID: ep.TreeID, origin: signer.Name(), signer: signer,
		waiting: map[leafKey][]chan found{},
	}}
	if _, err := b.roots.refresh(ctx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("opening %s: is the tree created and initialised? %w", ep, err)
	}
	lopts, err := cfg.witnessOptions(b)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("opening %s: %w", ep, err)
	}
	b.bg, b.cancel = context.WithCancel(context.Background())
	b.polled.Go(func() { b.pollLoop(cfg.pollInterval) })
	// Witnesses cosign first; a TSA then stamps what they cosigned.
	return &Log{Ledger: ledger.New(b, append(lopts, cfg.decorations()...)...), b: b}, nil
}

// pollLoop looks for integrated leaves while appends wait, until Close.
func (b *backend) pollLoop(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-b.bg.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(b.bg, 10*time.Second)
		_ = b.roots.poll(ctx) // appends keep waiting; the next tick tries again
		cancel()
	}
}

// VerifierKey returns the note verifier key of the personality's key, for trust policies
// ([ledger.Log].VerifierKey).
func (l *Log) VerifierKey() string { return l.b.vkey }

// Endpoint returns the log server address and tree id.
func (l *Log) Endpoint() Endpoint { return l.b.ep }

// Origin implements [ledger.Backend]: the note key's name.
func (b *backend) Origin() string { return b.roots.origin }

// AppendBatch implements [ledger.Backend]. Each leaf is queued (QueueLeaf), concurrently,
// and its receipt returned once the signer has integrated it, under a checkpoint signed
// for that log root; the leaves usually share one. A leaf already in the tree is not an
// error: its existing entry's receipt is returned.
func (b *backend) AppendBatch(ctx context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	sem := make(slots, maxQueueRPCs)
	return batch.Each(len(leaves), func(i int) (*ledger.Receipt, error) {
		return b.appendOne(ctx, leafKey(leaves[i]), sem)
	})
}

// appendOne queues one leaf and waits for its receipt; sem bounds its calls to Trillian
// (QueueLeaf, finding an existing leaf, fetching the receipt) with the batch's others.
func (b *backend) appendOne(ctx context.Context, leaf leafKey, sem slots) (*ledger.Receipt, error) {
	ch, done := b.roots.wait(leaf)
	defer done()
	if err := sem.take(ctx); err != nil {
		return nil, fmt.Errorf("queueing leaf: %w", err)
	}
	resp, err := b.queue(ctx, leaf)
	sem.give()
	if err != nil {
		return nil, fmt.Errorf("queueing leaf: %w", err)
	}
	if status.FromProto(resp.GetQueuedLeaf().GetStatus()).Code() == codes.AlreadyExists {
		if stored := leafKey(resp.GetQueuedLeaf().GetLeaf().GetLeafValue()); stored != leaf && len(stored) >= ledger.LeafSize {
			return nil, b.conflict(ctx, leaf, stored)
		}
		if err := sem.take(ctx); err != nil {
			return nil, fmt.Errorf("finding the existing leaf: %w", err)
		}
		r, err := b.existing(ctx, leaf)
		sem.give()
		if r != nil || err != nil {
			return r, err
		}
	}
	var f found
	select {
	case f = <-ch:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for integration (the leaf may still be logged): %w", ctx.Err())
	case <-b.bg.Done():
		return nil, fmt.Errorf("waiting for integration: %w", ledger.ErrClosed)
	}
	if err := sem.take(ctx); err != nil {
		return nil, fmt.Errorf("waiting to fetch the receipt of index %d (the leaf is logged): %w", f.index, err)
	}
	defer sem.give()
	return b.receipt(ctx, leaf, f.index, f.root)
}

// slots bounds the calls to Trillian one AppendBatch has in flight (maxQueueRPCs).
type slots chan struct{}

// take waits for a free slot, or for ctx to end.
func (s slots) take(ctx context.Context) error {
	select {
	case s <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// give frees a slot taken.
func (s slots) give() { <-s }

// queue calls QueueLeaf, again after an error that leaves unknown whether the leaf was
// queued (the server unreachable, failing after queueing it, or silent beyond the call
// timeout): Trillian's storage drops a leaf it already holds, so queueing twice is
// harmless.
func (b *backend) queue(ctx context.Context, leaf leafKey) (*trillian.QueueLeafResponse, error) {
	wait := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		resp, err := b.client.QueueLeaf(ctx, &trillian.QueueLeafRequest{
			LogId: b.ep.TreeID, Leaf: logLeaf(leaf),
		})
		switch status.Code(err) {
		case codes.Unavailable, codes.Internal, codes.Unknown, codes.DeadlineExceeded:
			if attempt < queueAttempts && ctx.Err() == nil {
				break
			}
			fallthrough
		default:
			return resp, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait *= 4
	}
}

// logLeaf is the Trillian leaf of one of ours: an entry's identity is its tag.
func logLeaf(leaf leafKey) *trillian.LogLeaf {
	l := &trillian.LogLeaf{LeafValue: []byte(leaf)}
	if len(leaf) == ledger.EntrySize {
		l.LeafIdentityHash = []byte(leaf[:ledger.TagSize])
	}
	return l
}

// existing returns the receipt of a leaf Trillian already holds, or nil if it is queued
// but not yet integrated.
func (b *backend) existing(ctx context.Context, leaf leafKey) (*ledger.Receipt, error) {
	p, cur, err := b.find(ctx, leaf)
	if p == nil || err != nil {
		return nil, err
	}
	return b.check(leaf, uint64(p.GetLeafIndex()), p.GetHashes(), cur)
}

// find returns the inclusion proof of the first copy of leaf in the tree at its latest
// root, or nil if it is not integrated yet.
func (b *backend) find(ctx context.Context, leaf leafKey) (*trillian.Proof, *root, error) {
	cur, err := b.roots.refresh(ctx)
	if err != nil || cur.size == 0 {
		return nil, nil, err
	}
	resp, err := b.client.GetInclusionProofByHash(ctx, &trillian.GetInclusionProofByHashRequest{
		LogId: b.ep.TreeID, LeafHash: rfc6962.DefaultHasher.HashLeaf([]byte(leaf)), TreeSize: int64(cur.size), OrderBySequence: true,
	})
	if status.Code(err) == codes.NotFound {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("finding existing leaf: %w", err)
	}
	if len(resp.GetProof()) == 0 {
		return nil, nil, nil
	}
	first := slices.MinFunc(resp.GetProof(), func(p, q *trillian.Proof) int {
		return cmp.Compare(p.GetLeafIndex(), q.GetLeafIndex())
	})
	return first, cur, nil
}

// conflict returns the *ledger.ConflictError of leaf, refused by Trillian because it
// already holds stored with the same identity (tag), once it knows stored's index.
func (b *backend) conflict(ctx context.Context, leaf, stored leafKey) error {
	ch, done := b.roots.wait(stored)
	defer done()
	p, _, err := b.find(ctx, stored)
	if err != nil {
		return err
	}
	var index uint64
	if p != nil {
		index = uint64(p.GetLeafIndex())
	} else {
		select {
		case f := <-ch:
			index = f.index
		case <-ctx.Done():
			return fmt.Errorf("the tag is already queued with another commitment; waiting for its index: %w", ctx.Err())
		case <-b.bg.Done():
			return fmt.Errorf("waiting for the index of the entry holding the tag: %w", ledger.ErrClosed)
		}
	}
	return ledger.Successor([]byte(leaf), []byte(stored), index)
}

// receipt fetches the inclusion proof of the leaf at index under root and checks it.
func (b *backend) receipt(ctx context.Context, leaf leafKey, index uint64, r *root) (*ledger.Receipt, error) {
	resp, err := b.client.GetInclusionProof(ctx, &trillian.GetInclusionProofRequest{
		LogId: b.ep.TreeID, LeafIndex: int64(index), TreeSize: int64(r.size),
	})
	if err != nil {
		return nil, fmt.Errorf("inclusion proof for index %d at size %d: %w", index, r.size, err)
	}
	return b.check(leaf, index, resp.GetProof().GetHashes(), r)
}

// check verifies an inclusion path from Trillian against the checked root before the
// personality hands out a receipt carrying its signature.
func (b *backend) check(leaf leafKey, index uint64, path [][]byte, r *root) (*ledger.Receipt, error) {
	err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, r.size, rfc6962.DefaultHasher.HashLeaf([]byte(leaf)), path, r.hash[:])
	if err != nil {
		return nil, fmt.Errorf("trillian's inclusion proof for index %d at size %d does not verify: %w", index, r.size, err)
	}
	hashes, err := toHashes(path)
	if err != nil {
		return nil, err
	}
	return &ledger.Receipt{Index: index, Proof: hashes, Checkpoint: r.note}, nil
}

func toHashes(path [][]byte) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(path))
	for i, h := range path {
		if len(h) != tlog.HashSize {
			return nil, fmt.Errorf("proof node %d is %d bytes, want %d: %w", i, len(h), tlog.HashSize, ledger.ErrMalformed)
		}
		out[i] = tlog.Hash(h)
	}
	return out, nil
}
