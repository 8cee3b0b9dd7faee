package trillianlog

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/internal/cosign"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/witness/witnesstest"
)

// staleBackend hands out receipts under the checkpoint of a smaller tree than the one it
// holds, as a personality does whose root moved on while an append waited.
type staleBackend struct {
	tree  *witnesstest.Tree
	at    uint64 // the size of the checkpoint receipts carry
	extra []byte
}

func (b *staleBackend) Origin() string { return b.tree.Entry().Origin }

func (b *staleBackend) AppendBatch(_ context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	cp, err := b.tree.Sign(b.at)
	if err != nil {
		return nil, err
	}
	out := make([]*ledger.Receipt, len(leaves))
	for i := range leaves {
		p, err := b.tree.Inclusion(uint64(i), b.at)
		if err != nil {
			return nil, err
		}
		out[i] = &ledger.Receipt{Index: uint64(i), Extra: [][]byte{b.extra}, Proof: p, Checkpoint: cp}
	}
	return out, nil
}

func (b *staleBackend) Checkpoint(context.Context) ([]byte, error) { return b.tree.Sign(b.tree.Size()) }

func (b *staleBackend) InclusionProof(_ context.Context, index, size uint64) ([]tlog.Hash, error) {
	return b.tree.Inclusion(index, size)
}

func (b *staleBackend) ConsistencyProof(ctx context.Context, oldSize, newSize uint64) ([]tlog.Hash, error) {
	return b.tree.Prove(ctx, oldSize, newSize)
}

func (b *staleBackend) Close(context.Context) error { return nil }

// TestWitnessedRebase: when the gateway answers with a larger cosigned checkpoint than
// the receipts', each receipt is moved under it, with its inclusion path at that size,
// and the extra data of its old checkpoint dropped.
func TestWitnessedRebase(t *testing.T) {
	tree := witnesstest.NewTree(t, "evidctl.test/rebase")
	leaves := [][]byte{ledgertest.Leaf("0"), ledgertest.Leaf("1")}
	for _, l := range leaves {
		_, err := tree.AppendLeaf(l)
		require.NoError(t, err)
	}
	tree.Grow(t, "later", 7)
	w := witnesstest.Start(t, "w1", tree.Entry())
	entry := tree.Entry()
	entry.WitnessPolicy = witnesstest.ParsedPolicy(t, 1, w)
	gw, err := cosign.New(entry, nil, tree.Prove)
	require.NoError(t, err)
	_, err = gw.Cosign(t.Context(), tree.Checkpoint(t, 7)) // the gateway now holds size 7
	require.NoError(t, err)

	l := ledger.New(&staleBackend{tree: tree, at: 2, extra: []byte("token of size 2")}, ledger.WithDecorator(func(b ledger.Backend) ledger.Backend {
		return &witnessed{Backend: b, gw: gw}
	}))
	defer l.Close()
	rs, err := l.AppendBatch(t.Context(), leaves)
	require.NoError(t, err)
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}
	for i, r := range rs {
		cp, err := trust.VerifyReceipt(r, leaves[i])
		require.NoError(t, err, "receipt %d", i)
		require.Equal(t, uint64(7), cp.Size)
		require.Empty(t, r.Extra, "extra data of another checkpoint")
	}
	cp, err := l.Checkpoint(t.Context())
	require.NoError(t, err)
	got, err := trust.VerifyCheckpoint(cp)
	require.NoError(t, err)
	require.Equal(t, []string{"w1"}, got.Cosigners)
}
