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

// Verifying a bundle of thousands of events is dominated by work that depends on
// nothing but the event itself: parsing its statement, verifying its envelope's
// signature and its receipt's checkpoint signature. The replay of the chain must go
// in bundle order; this work need not. So Verify first runs it for every record at
// once on every core (precheck), memoising each result, and the replay then reads
// the results where it used to compute them. Every check still runs, once:
//
//   - a signer trusted by key is found by its key id in a map built once, not by a
//     scan of the policy per event;
//   - each distinct checkpoint note is verified once, however many receipts cite it
//     (events logged in one batch share a checkpoint);
//   - each record's statement is parsed once (Record caches it) and its signature
//     verified once, even when the record appears twice.

// recordChecks are the memoised checks of one record.
type recordChecks struct {
	signerOnce sync.Once
	signer     *TrustedSigner
	verifier   *sign.Verifier
	signerErr  error

	envelopeOnce sync.Once
	accepted     []string
	envelopeErr  error
}

// noteCheck is the memoised verification of one checkpoint note.
type noteCheck struct {
	once sync.Once
	cp   *ledger.Checkpoint
	err  error
}

// verifyCache holds what precheck and the replay share. Its maps are filled before
// any goroutine reads them, except notes, which is guarded by mu.
type verifyCache struct {
	records map[*Record]*recordChecks
	byKey   map[string]*TrustedSigner // signers trusted by key, by key id

	mu    sync.Mutex
	notes map[string]*noteCheck
}

func newVerifyCache(p *Policy, recs []*Record) *verifyCache {
	c := &verifyCache{records: make(map[*Record]*recordChecks, len(recs)), byKey: map[string]*TrustedSigner{}, notes: map[string]*noteCheck{}}
	for _, r := range recs {
		if c.records[r] == nil {
			c.records[r] = &recordChecks{}
		}
	}
	for i := range p.Signers {
		s := &p.Signers[i]
		if s.verifier != nil && c.byKey[s.verifier.KeyID()] == nil {
			c.byKey[s.verifier.KeyID()] = s
		}
	}
	return c
}

// precheck verifies every record's signature and checkpoint concurrently (see
// inParallel); the results wait in v.cache for the replay. It stops early when ctx
// ends (Verify then returns ctx's error).
func (v *verifier) precheck(ctx context.Context, recs []*Record) {
	inParallel(ctx, len(recs), func(i int) {
		rec := recs[i]
		if st, err := rec.Statement(); err == nil {
			if _, ver, err := v.verifierFor(rec, &st.Predicate); err == nil {
				_, _ = v.verifyEnvelope(ctx, rec, ver)
			}
		}
		if rc, err := rec.Receipt(); err == nil {
			_, _ = v.checkpoint(rc.Checkpoint)
		}
	})
}

// inParallel calls f(i) for every i in [0, n) on up to GOMAXPROCS goroutines and
// returns when all calls have returned. Once ctx ends it starts no more calls.
func inParallel(ctx context.Context, n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}

// checks returns the memo of rec; a record Verify was not given gets a fresh one.
func (v *verifier) checks(rec *Record) *recordChecks {
	if c := v.cache.records[rec]; c != nil {
		return c
	}
	return &recordChecks{}
}

// verifierFor is the policy's signer for the actor of rec's event, and its verifier
// (Policy.verifierFor), memoised per record.
func (v *verifier) verifierFor(rec *Record, ev *Event) (*TrustedSigner, *sign.Verifier, error) {
	c := v.checks(rec)
	c.signerOnce.Do(func() {
		if s := v.cache.byKey[ev.Actor.KeyID]; s != nil {
			c.signer, c.verifier = s, s.verifier
			return
		}
		c.signer, c.verifier, c.signerErr = v.policy.verifierFor(&ev.Actor, ev.Time)
	})
	return c.signer, c.verifier, c.signerErr
}

// verifyEnvelope is rec.Envelope.Verify(ctx, 1, ver), memoised per record (ver is
// the verifier verifierFor returned for it).
func (v *verifier) verifyEnvelope(ctx context.Context, rec *Record, ver *sign.Verifier) ([]string, error) {
	c := v.checks(rec)
	c.envelopeOnce.Do(func() { c.accepted, c.envelopeErr = rec.Envelope.Verify(ctx, 1, ver) })
	return c.accepted, c.envelopeErr
}

// verifyReceipt is v.trust.VerifyReceipt(rc, leaf) with each distinct checkpoint note
// verified once (memoised, see checkpoint); the inclusion path from leaf to that
// checkpoint's root is checked on every call (a few dozen hashes: the leaf, a log
// entry, depends on the chain replayed so far). The errors are VerifyReceipt's.
func (v *verifier) verifyReceipt(rc *ledger.Receipt, leaf []byte) (*ledger.Checkpoint, error) {
	cp, err := v.checkpoint(rc.Checkpoint)
	if err != nil {
		return nil, fmt.Errorf("verifying receipt for index %d: %w", rc.Index, err)
	}
	if err := rc.VerifyInclusion(cp, leaf); err != nil {
		return nil, err
	}
	return cp, nil
}

// checkpoint verifies a checkpoint note under the policy's logs, once per distinct note.
func (v *verifier) checkpoint(note []byte) (*ledger.Checkpoint, error) {
	v.cache.mu.Lock()
	nc := v.cache.notes[string(note)]
	if nc == nil {
		nc = &noteCheck{}
		v.cache.notes[string(note)] = nc
	}
	v.cache.mu.Unlock()
	nc.once.Do(func() { nc.cp, nc.err = v.trust.VerifyCheckpoint(note) })
	return nc.cp, nc.err
}
