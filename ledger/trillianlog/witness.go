package trillianlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/internal/cosign"
)

// DefaultWitnessTimeout bounds how long an Append or a Checkpoint waits for the witness
// quorum (the cosigning gateway's default).
const DefaultWitnessTimeout = cosign.DefaultTimeout

// WithWitnessPolicy makes the personality get every checkpoint it signs cosigned by the
// witnesses of policy before it hands the checkpoint out: Append and AppendBatch return
// receipts only under a checkpoint that meets the quorum, and Checkpoint returns the
// latest cosigned checkpoint. policy is witness policy text ([ledger.ParseWitnessPolicy]:
// "witness NAME VKEY URL", "group NAME k|any|all MEMBER…", "quorum NAME"), and every
// witness needs its URL.
//
// The personality sends each new checkpoint, with a consistency proof from the size a
// witness last cosigned, to every witness the quorum counts, at once, over C2SP
// tlog-witness (transparency-dev/witness's client); with k of n, up to n-k witnesses may
// be down. A cosigned checkpoint may be larger than the one an append waited for (the
// witnesses are asked for the latest): the receipt's inclusion path is then built for
// the cosigned size. When the quorum is not met within the witness timeout
// (WithWitnessTimeout), the append fails with a *ledger.CosigningError naming each
// witness and its answer, and no receipt is returned; the leaf stays queued in Trillian,
// and appending it again returns its receipt once the witnesses answer.
//
// Every personality of a tree must use the same policy: receipts signed by one without
// it carry checkpoints that verifiers requiring the quorum reject.
func WithWitnessPolicy(policy []byte) Option {
	return func(c *config) { c.witnessPolicy = bytes.Clone(policy) }
}

// WithWitnessTimeout bounds how long an Append or a Checkpoint waits for the witness
// quorum (default DefaultWitnessTimeout), and how long one witness request may take.
func WithWitnessTimeout(d time.Duration) Option {
	return func(c *config) { c.witnessTimeout = d }
}

// witnessOptions returns the ledger.New option that decorates b with a cosigning
// gateway, or none without a witness policy.
func (c *config) witnessOptions(b *backend) ([]ledger.Option, error) {
	if c.witnessPolicy == nil {
		return nil, nil
	}
	p, err := ledger.ParseWitnessPolicy(c.witnessPolicy)
	if err != nil {
		return nil, err
	}
	timeout := c.witnessTimeout
	if timeout == 0 {
		timeout = DefaultWitnessTimeout
	}
	entry := ledger.Log{Origin: b.roots.origin, VerifierKey: b.vkey, WitnessPolicy: p}
	gw, err := cosign.New(entry, nil, b.ConsistencyProof, cosign.WithTimeout(timeout))
	if err != nil {
		return nil, err
	}
	return []ledger.Option{ledger.WithDecorator(func(inner ledger.Backend) ledger.Backend {
		return &witnessed{Backend: inner, gw: gw}
	})}, nil
}

// witnessed is a Backend whose checkpoints are cosigned through a gateway before they
// leave it.
type witnessed struct {
	ledger.Backend
	gw *cosign.Gateway

	mu     sync.Mutex
	latest []byte // the largest cosigned checkpoint it has handed out
	size   uint64 // its size
}

// cosign has cp cosigned and remembers the result if it is the largest yet.
func (w *witnessed) cosign(ctx context.Context, cp []byte) ([]byte, error) {
	cosigned, err := w.gw.Cosign(ctx, cp)
	if err != nil {
		return nil, err
	}
	if h, err := ledger.ReadHeadUnverified(cosigned); err == nil {
		w.mu.Lock()
		if w.latest == nil || h.Size > w.size {
			w.latest, w.size = cosigned, h.Size
		}
		w.mu.Unlock()
	}
	return cosigned, nil
}

// AppendBatch implements [ledger.Backend]: the inner backend's receipts, moved under
// one cosigned checkpoint that covers them all. When the leaves are logged but the
// checkpoint cannot be cosigned, it returns the error and no receipt.
func (w *witnessed) AppendBatch(ctx context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	rs, err := w.Backend.AppendBatch(ctx, leaves)
	var largest []byte
	var size uint64
	for _, r := range rs {
		if r == nil {
			continue
		}
		h, herr := ledger.ReadHeadUnverified(r.Checkpoint)
		if herr != nil {
			return nil, errors.Join(err, herr)
		}
		if largest == nil || h.Size > size {
			largest, size = r.Checkpoint, h.Size
		}
	}
	if largest == nil {
		return nil, err
	}
	cosigned, cerr := w.cosign(ctx, largest)
	if cerr != nil {
		return nil, errors.Join(err, cerr)
	}
	out, cerr := w.rebase(ctx, rs, cosigned)
	if cerr != nil {
		return nil, errors.Join(err, cerr)
	}
	return out, err
}

// rebase puts each receipt under the cosigned checkpoint, with its inclusion path at
// the cosigned size when that differs from the receipt's own. Extra data, which belongs
// to the receipt's old checkpoint, is dropped when the checkpoint changes.
func (w *witnessed) rebase(ctx context.Context, rs []*ledger.Receipt, cosigned []byte) ([]*ledger.Receipt, error) {
	head, err := ledger.ReadHeadUnverified(cosigned)
	if err != nil {
		return nil, err
	}
	out := make([]*ledger.Receipt, len(rs))
	for i, r := range rs {
		if r == nil {
			continue
		}
		own, err := ledger.ReadHeadUnverified(r.Checkpoint)
		if err != nil {
			return nil, err
		}
		proof, extra := r.Proof, r.Extra
		if own.Size != head.Size {
			extra = nil
			if proof, err = w.Backend.InclusionProof(ctx, r.Index, head.Size); err != nil {
				return nil, fmt.Errorf("inclusion proof for index %d at the cosigned size %d: %w", r.Index, head.Size, err)
			}
		}
		out[i] = &ledger.Receipt{Index: r.Index, Extra: extra, Proof: proof, Checkpoint: bytes.Clone(cosigned)}
	}
	return out, nil
}

// Checkpoint implements [ledger.Backend]: the latest checkpoint, cosigned (or a larger
// cosigned one). When the witnesses do not cosign it in time, it is the latest cosigned
// checkpoint this personality handed out, as a witnessed posixlog serves the last one it
// published; the error only when there is none.
func (w *witnessed) Checkpoint(ctx context.Context) ([]byte, error) {
	cp, err := w.Backend.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	cosigned, err := w.cosign(ctx, cp)
	if errors.Is(err, ledger.ErrQuorum) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.latest != nil {
			return bytes.Clone(w.latest), nil
		}
	}
	return cosigned, err
}

// Close implements [ledger.Backend]: it stops the witness requests still running, then
// closes the inner backend.
func (w *witnessed) Close(ctx context.Context) error {
	return errors.Join(w.gw.Close(), w.Backend.Close(ctx))
}
