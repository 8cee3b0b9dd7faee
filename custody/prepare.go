package custody

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
)

// Most of a verification's time goes to signatures: each event's envelope signature,
// its receipt checkpoint's log signature and cosignatures. None of them depends on the
// chain, so Verify checks them for all records at once, on every core, before it
// replays the chain in bundle order.

// minParallel is the fewest records worth checking in parallel.
const minParallel = 16

// prepared is what was checked of one record on its own: its receipt and, when its
// statement names a signer the policy trusts by key, its signature with that key.
type prepared struct {
	receipt receiptResult

	signed   bool     // the signature was checked here
	accepted []string // the key ids whose signatures verified
	sigErr   error
}

// receiptResult is a record's receipt, read and verified against the record's log leaf.
type receiptResult struct {
	rc        *ledger.Receipt
	cp        *ledger.Checkpoint // nil unless it verified
	readErr   error              // the receipt cannot be read
	leafErr   error              // the log leaf cannot be computed from the bundle
	verifyErr error              // the receipt does not prove the leaf
}

// prepare checks every record's receipt and key signature, in parallel, for receipt
// and envelopeSignature to find. The log leaves depend on the chain (tags.go): they are
// computed first, in bundle order, as the replay will find them.
func (v *verifier) prepare(ctx context.Context, b *Bundle) {
	n := len(b.Events)
	workers := min(runtime.GOMAXPROCS(0), 8)
	if n < minParallel || workers < 2 {
		return
	}
	leaves, leafErrs := leavesOf(b)
	ready := make([]prepared, n)
	done := make([]bool, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
				ready[i] = v.prepareOne(ctx, b.Events[i], leaves[i], leafErrs[i])
				done[i] = true
			}
		})
	}
	wg.Wait()
	v.ready = make(map[*Record]*prepared, n)
	for i := range ready {
		if done[i] {
			v.ready[b.Events[i]] = &ready[i]
		}
	}
}

// leavesOf computes each record's log leaf as the verifier's replay of the chain will:
// against the chain as it stands before the record, skipping the statements that cannot
// be read (which the replay skips too).
func leavesOf(b *Bundle) ([][]byte, []error) {
	cs := newChainState(nil)
	leaves, errs := make([][]byte, len(b.Events)), make([]error, len(b.Events))
	for i, r := range b.Events {
		st, err := r.Statement()
		if err != nil {
			errs[i] = fmt.Errorf("the statement cannot be read: %w", err)
			continue
		}
		leaves[i], errs[i] = cs.entryOf(r.Commitment(), &st.Predicate)
		cs.apply(r.CommitmentString(), &st.Predicate)
	}
	return leaves, errs
}

// prepareOne checks one record by itself, given its leaf.
func (v *verifier) prepareOne(ctx context.Context, rec *Record, leaf []byte, leafErr error) prepared {
	p := prepared{receipt: v.verifyReceipt(rec, leaf, leafErr)}
	st, err := rec.Statement()
	if err != nil {
		return p
	}
	if s := v.policy.signerForKey(st.Predicate.Actor.KeyID); s != nil {
		p.signed = true
		p.accepted, p.sigErr = rec.Envelope.Verify(ctx, 1, s.verifier)
	}
	return p
}

// verifyReceipt reads a record's receipt and verifies it against its leaf.
func (v *verifier) verifyReceipt(rec *Record, leaf []byte, leafErr error) receiptResult {
	rc, err := rec.Receipt()
	switch {
	case err != nil:
		return receiptResult{readErr: err}
	case leafErr != nil:
		return receiptResult{rc: rc, leafErr: leafErr}
	}
	cp, err := v.trust.VerifyReceipt(rc, leaf)
	return receiptResult{rc: rc, cp: cp, verifyErr: err}
}

// receipt is verifyReceipt of the record, as prepare found it when it ran, else now,
// against the chain as it stands.
func (v *verifier) receipt(rec *Record) receiptResult {
	if p, ok := v.ready[rec]; ok {
		return p.receipt
	}
	leaf, err := v.leaf(rec)
	return v.verifyReceipt(rec, leaf, err)
}

// envelopeSignature verifies the record's envelope with ver, the verifier of signer, or
// takes what prepare found for the same key.
func (v *verifier) envelopeSignature(ctx context.Context, rec *Record, signer *TrustedSigner, ver *sign.Verifier) ([]string, error) {
	if p, ok := v.ready[rec]; ok && p.signed && signer.verifier == ver {
		return p.accepted, p.sigErr
	}
	return rec.Envelope.Verify(ctx, 1, ver)
}
