package custody

import (
	"context"
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
	done       bool
	rc         *ledger.Receipt
	cp         *ledger.Checkpoint
	receiptErr error // of parsing (rc nil) or verifying (cp nil) the receipt

	signed   bool     // the signature was checked here
	accepted []string // the key ids whose signatures verified
	sigErr   error
}

// prepare checks every record's receipt and key signature, in parallel, for receipt
// and envelopeSignature to find.
func (v *verifier) prepare(ctx context.Context, b *Bundle) {
	n := len(b.Events)
	workers := min(runtime.GOMAXPROCS(0), 8)
	if n < minParallel || workers < 2 {
		return
	}
	ready := make([]prepared, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
				ready[i] = v.prepareOne(ctx, b.Events[i])
			}
		})
	}
	wg.Wait()
	v.ready = make(map[*Record]*prepared, n)
	for i := range ready {
		if ready[i].done {
			v.ready[b.Events[i]] = &ready[i]
		}
	}
}

// prepareOne checks one record by itself.
func (v *verifier) prepareOne(ctx context.Context, rec *Record) prepared {
	p := prepared{done: true}
	p.rc, p.cp, p.receiptErr = v.verifyReceipt(rec)
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

// verifyReceipt parses and verifies a record's receipt: rc is nil when it cannot be
// parsed, cp when it does not verify.
func (v *verifier) verifyReceipt(rec *Record) (*ledger.Receipt, *ledger.Checkpoint, error) {
	rc, err := rec.Receipt()
	if err != nil {
		return nil, nil, err
	}
	commit := rec.Commitment()
	cp, err := v.trust.VerifyReceipt(rc, commit[:])
	return rc, cp, err
}

// receipt is verifyReceipt, as prepare found it when it ran.
func (v *verifier) receipt(rec *Record) (*ledger.Receipt, *ledger.Checkpoint, error) {
	if p, ok := v.ready[rec]; ok {
		return p.rc, p.cp, p.receiptErr
	}
	return v.verifyReceipt(rec)
}

// envelopeSignature verifies the record's envelope with ver, the verifier of signer, or
// takes what prepare found for the same key.
func (v *verifier) envelopeSignature(ctx context.Context, rec *Record, signer *TrustedSigner, ver *sign.Verifier) ([]string, error) {
	if p, ok := v.ready[rec]; ok && p.signed && signer.verifier == ver {
		return p.accepted, p.sigErr
	}
	return rec.Envelope.Verify(ctx, 1, ver)
}
