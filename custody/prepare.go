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
// chain, so Verify checks them on every core while it replays the chain in bundle
// order, in a pipeline of three stages:
//
//  1. workers (GOMAXPROCS of them, at most 8) take the records in bundle order, a
//     block of pipeBlock at a time, and check each by itself: its statement decoded,
//     its receipt read, its checkpoint note verified (once per distinct note) and its
//     signature checked when the statement names a signer the policy trusts by key;
//  2. one goroutine computes each record's log leaf in bundle order, as the replay
//     will find it (tags.go), once stage 1 is done with the record's block, and
//     verifies its receipt against it;
//  3. Verify's own goroutine replays the chain and reports each event once stage 2 is
//     done with its block.
//
// Every stage's result for a record depends only on the bundle and the policy, never on
// how far the other stages have gone, so the report is the same as checking everything
// in order; only the waiting differs.

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

// pipeline is prepare's work under way, in blocks of pipeBlock records (a channel per
// record would cost a wake-up each): ready[i], what was found of the record at index
// i, is complete once leafDone[i/pipeBlock] is closed.
type pipeline struct {
	ready    []prepared
	checked  []chan struct{} // closed when stage 1 is done with a block
	leafDone []chan struct{} // closed when stage 2 is done with a block
	wg       sync.WaitGroup
}

// pipeBlock is how many records a pipeline stage hands on at once.
const pipeBlock = 32

// prepare starts checking every record's receipt and key signature in parallel, for
// receipt and envelopeSignature to find once await says record i is ready. It returns
// at once; the caller must call stop before it returns. Small bundles, and any bundle
// on a single core, are checked in order by the replay alone (v.pipe stays nil).
func (v *verifier) prepare(ctx context.Context, b *Bundle) {
	n := len(b.Events)
	workers := min(runtime.GOMAXPROCS(0), 8)
	if n < minParallel || workers < 2 {
		return
	}
	blocks := (n + pipeBlock - 1) / pipeBlock
	p := &pipeline{ready: make([]prepared, n), checked: make([]chan struct{}, blocks), leafDone: make([]chan struct{}, blocks)}
	for k := range blocks {
		p.checked[k], p.leafDone[k] = make(chan struct{}), make(chan struct{})
	}
	v.pipe = p
	var next atomic.Int64
	for range workers {
		p.wg.Go(func() {
			for k := int(next.Add(1)) - 1; k < blocks && ctx.Err() == nil; k = int(next.Add(1)) - 1 {
				for i := k * pipeBlock; i < min(n, (k+1)*pipeBlock); i++ {
					v.checkAlone(ctx, b.Events[i], &p.ready[i])
				}
				close(p.checked[k])
			}
		})
	}
	p.wg.Go(func() { v.verifyLeaves(ctx, b, p) })
}

// await waits until prepare is done with record i, or ctx ends.
func (v *verifier) await(ctx context.Context, i int) error {
	if v.pipe == nil {
		return ctx.Err()
	}
	select {
	case <-v.pipe.leafDone[i/pipeBlock]:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop waits for prepare's goroutines to return (at once when ctx has ended).
func (v *verifier) stop() {
	if v.pipe != nil {
		v.pipe.wg.Wait()
	}
}

// verifyLeaves is stage 2: each record's log leaf, computed in bundle order as the
// verifier's replay of the chain will find it, and its receipt verified against it.
// It skips the statements that cannot be read, as the replay does.
func (v *verifier) verifyLeaves(ctx context.Context, b *Bundle, p *pipeline) {
	cs := newChainState(nil)
	for i, r := range b.Events {
		if i%pipeBlock == 0 {
			select {
			case <-p.checked[i/pipeBlock]:
			case <-ctx.Done():
				return
			}
		}
		var leaf []byte
		st, err := r.Statement()
		if err != nil {
			err = fmt.Errorf("the statement cannot be read: %w", err)
		} else {
			leaf, err = cs.entryOf(r.Commitment(), &st.Predicate)
			cs.apply(r.CommitmentString(), &st.Predicate)
		}
		p.ready[i].receipt = v.verifyReceipt(r, leaf, err)
		if i%pipeBlock == pipeBlock-1 || i == len(b.Events)-1 {
			close(p.leafDone[i/pipeBlock])
		}
	}
}

// checkAlone is stage 1 for one record: what can be checked of it by itself. Its
// receipt's checkpoint is verified here for verifyReceipt to find (verifyCheckpoint
// remembers it); the inclusion proof waits for the leaf.
func (v *verifier) checkAlone(ctx context.Context, rec *Record, p *prepared) {
	if rc, err := rec.Receipt(); err == nil {
		_, _ = v.verifyCheckpoint(rc.Checkpoint)
	}
	st, err := rec.Statement()
	if err != nil {
		return
	}
	if s := v.policy.signerForKey(st.Predicate.Actor.KeyID); s != nil {
		p.signed = true
		p.accepted, p.sigErr = rec.Envelope.Verify(ctx, 1, s.verifier)
	}
}

// verifyReceipt reads a record's receipt and verifies it against its leaf, as
// Trust.VerifyReceipt does, with its checkpoint note verified once however many
// receipts cite it (verifyCheckpoint).
func (v *verifier) verifyReceipt(rec *Record, leaf []byte, leafErr error) receiptResult {
	rc, err := rec.Receipt()
	switch {
	case err != nil:
		return receiptResult{readErr: err}
	case leafErr != nil:
		return receiptResult{rc: rc, leafErr: leafErr}
	}
	cp, err := v.verifyCheckpoint(rc.Checkpoint) // once per distinct note
	if err != nil {
		return receiptResult{rc: rc, verifyErr: fmt.Errorf("verifying receipt for index %d: %w", rc.Index, err)}
	}
	if err := rc.VerifyInclusion(cp, leaf); err != nil {
		return receiptResult{rc: rc, verifyErr: err}
	}
	return receiptResult{rc: rc, cp: cp}
}

// preparedAt is what prepare found of the record at index i (from 0), or nil when
// prepare did not run. Call it only once await(i) has returned nil.
func (v *verifier) preparedAt(i int) *prepared {
	if v.pipe == nil {
		return nil
	}
	return &v.pipe.ready[i]
}

// receipt is verifyReceipt of rec, the record at index i, as prepare found it, else
// now, against the chain as it stands.
func (v *verifier) receipt(i int, rec *Record) receiptResult {
	if p := v.preparedAt(i); p != nil {
		return p.receipt
	}
	leaf, err := v.leaf(rec)
	return v.verifyReceipt(rec, leaf, err)
}

// envelopeSignature verifies the envelope of rec, the record at index i, with ver, the
// verifier of signer, or takes what prepare found for the same key.
func (v *verifier) envelopeSignature(ctx context.Context, i int, rec *Record, signer *TrustedSigner, ver *sign.Verifier) ([]string, error) {
	if p := v.preparedAt(i); p != nil && p.signed && signer.verifier == ver {
		return p.accepted, p.sigErr
	}
	return rec.Envelope.Verify(ctx, 1, ver)
}
