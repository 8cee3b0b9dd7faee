package posixlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api/layout"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/internal/cosign"
)

// DefaultWitnessTimeout bounds one attempt to get a checkpoint cosigned (Tessera's
// default).
const DefaultWitnessTimeout = tessera.DefaultWitnessTimeout

// WithWitnessPolicy makes the log publish only checkpoints its witnesses cosigned as
// policy requires. policy is witness policy text ([ledger.ParseWitnessPolicy]: "witness
// NAME VKEY URL", "group NAME k MEMBER…", "quorum NAME"), and every witness needs its
// URL. Tessera sends each new checkpoint, with a consistency proof, to every witness the
// quorum counts, and publishes it once the quorum has cosigned: with k of n, up to n-k
// witnesses may be down. It never publishes a checkpoint without the quorum (fail-closed),
// so every receipt Append returns carries a cosigned checkpoint; an Append whose leaf
// gets no cosigned checkpoint within the bounded wait (see WithWitnessTimeout) fails with
// a *ledger.CosigningError naming each witness and its answer.
//
// A nil policy is no policy; an empty one is an error (it has no quorum line).
//
// Every process that appends to the directory must use the same policy: a process
// without it would publish checkpoints that are not cosigned, and a process with it then
// refuses to hand out receipts for them.
func WithWitnessPolicy(policy []byte) Option {
	return func(c *config) { c.witnessPolicy = bytes.Clone(policy) }
}

// WithWitnessTimeout bounds one attempt to get the policy's cosignatures (Tessera's
// WitnessOptions.Timeout, default 5 s). An Append whose leaf is not covered by a
// cosigned checkpoint within twice this, plus the checkpoint interval, fails.
func WithWitnessTimeout(d time.Duration) Option {
	return func(c *config) { c.witnessTimeout = d }
}

// witnessing is a log's link to its witnesses: nil when it has none.
type witnessing struct {
	policy   *ledger.WitnessPolicy
	timeout  time.Duration
	wait     time.Duration // an Append's bounded wait for a cosigned checkpoint
	poll     time.Duration // how often Checkpoint looks for a cosigned checkpoint
	recorder *cosign.Recorder
}

// errWitnessWait is the cause of an Append's context when its bounded wait ran out.
var errWitnessWait = errors.New("no cosigned checkpoint in time")

// newWitnessing checks the configured policy; it returns nil when there is none.
func newWitnessing(c config) (*witnessing, error) {
	if c.witnessPolicy == nil {
		return nil, nil
	}
	if c.witnessTimeout <= 0 {
		return nil, fmt.Errorf("witness timeout %v is not positive", c.witnessTimeout)
	}
	p, err := ledger.ParseWitnessPolicy(c.witnessPolicy)
	if err != nil {
		return nil, err
	}
	if err := p.CheckLogUse(); err != nil {
		return nil, err
	}
	rec, err := cosign.NewRecorder(nil, p)
	if err != nil {
		return nil, err
	}
	return &witnessing{policy: p, timeout: c.witnessTimeout, wait: 2*c.witnessTimeout + c.checkpointInterval, poll: c.pollInterval, recorder: rec}, nil
}

// httpClient is what Tessera asks the witnesses with: nil (http.DefaultClient) without
// witnesses.
func (w *witnessing) httpClient() *http.Client {
	if w == nil {
		return nil
	}
	return &http.Client{Transport: w.recorder}
}

// apply hands the policy text, as given, to Tessera.
func (w *witnessing) apply(opts *tessera.AppendOptions) error {
	if w == nil {
		return nil
	}
	group, err := tessera.NewWitnessGroupFromPolicy(w.policy.Text())
	if err != nil {
		return fmt.Errorf("witness policy: %w", err)
	}
	opts.WithWitnesses(group, &tessera.WitnessOptions{Timeout: w.timeout, FailOpen: false})
	return nil
}

// bound gives an Append's context the bounded wait for a cosigned checkpoint.
func (w *witnessing) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if w == nil {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, w.wait, errWitnessWait)
}

// explain turns an Append's failure into a *ledger.CosigningError when its bounded wait
// ran out (and not the caller's context).
func (b *backend) explain(ctx, bounded context.Context, err error) error {
	if b.witnesses == nil || ctx.Err() != nil || !errors.Is(context.Cause(bounded), errWitnessWait) {
		return err
	}
	size, _ := b.reader.IntegratedSize(context.WithoutCancel(ctx))
	return &ledger.CosigningError{
		Origin:  b.origin,
		Size:    size,
		Quorum:  b.witnesses.policy.QuorumString(),
		Waited:  b.witnesses.wait,
		Answers: b.witnesses.recorder.SettledAnswers(ctx, answerSettle),
	}
}

// answerSettle bounds how long a failed Append waits, before it reports the witnesses'
// answers, for the log's retry of a witness that answered with a stale size (see
// cosign.Recorder.SettledAnswers). Tessera asks every witness from the size of the
// published checkpoint, so a witness that cosigned a checkpoint the quorum then left
// unpublished answers each later attempt that way first, and a few milliseconds later
// with its cosignature.
const answerSettle = time.Second

// closeTimeout is how long Close waits for appends in flight to be published: with
// witnesses, no longer than an Append would.
func (w *witnessing) closeTimeout() time.Duration {
	if w == nil {
		return ledger.DefaultCloseTimeout
	}
	return min(ledger.DefaultCloseTimeout, w.wait)
}

// closeGrace bounds how long Close lets Tessera try to publish, through the witnesses,
// the leaves it has sequenced (stopTessera).
const closeGrace = 2 * time.Second

// stopTessera shuts Tessera down. Tessera's shutdown returns once a published checkpoint
// covers every leaf it was handed: without witnesses, within a checkpoint interval. With
// witnesses, only once they cosign, which they do not while they refuse or cannot be
// reached; Close would then wait its whole timeout, after the Append that met the
// refusal had already waited as long. So with witnesses Close stops taking leaves (the
// turn is sealed: a leaf not yet handed over never reaches the log, and its tag is
// freed), waits until Tessera has sequenced every leaf it was handed, and then lets the
// publication go on only until the witnesses' answers since then leave the quorum out of
// reach, or closeGrace has passed; then it stops Tessera without it.
//
// This loses no leaf and breaks no promise. Tessera sequences a leaf (its entry bundle,
// the tiles and the tree state, in sequenceBatch) before the leaf's future resolves, and
// that is what the drain waits for: from then on the leaf is in the log's storage
// whatever this process does, and settle records its tag as logged, so that no second
// successor can take it. What is left undone is only the checkpoint, which holds nothing
// of its own: Tessera publishes one of the stored tree whenever it is larger than the
// published checkpoint, so the next Log opened on the directory (in any process, with the
// same witness policy) has the witnesses cosign a checkpoint that covers the leaf. No
// receipt goes astray either: the Appends of such leaves have returned already (the
// gate waited for them), with an error, and an Append of the identical entry later
// returns its receipt.
func (b *backend) stopTessera(ctx context.Context) error {
	if b.witnesses == nil {
		return b.shutdown(ctx)
	}
	b.turn.seal()
	stop, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- b.shutdown(stop) }()
	drained := make(chan error, 1)
	go func() { drained <- b.turn.drain(stop) }()
	select {
	case err := <-done:
		return err
	case err := <-drained:
		if err != nil { // ctx ended: so does the shutdown
			return <-done
		}
	}
	mark := b.witnesses.recorder.Mark()
	grace := time.NewTimer(closeGrace)
	defer grace.Stop()
	tick := time.NewTicker(b.witnesses.poll)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			if !b.witnesses.refused(mark) {
				continue
			}
		case <-grace.C:
		}
		cancel()
		<-done // context.Canceled: the publication is left to the next Log
		return nil
	}
}

// refused reports whether the witnesses' answers since mark leave the quorum out of
// reach: those that have not refused since could not meet it.
func (w *witnessing) refused(mark uint64) bool {
	no := map[string]bool{}
	for _, name := range w.recorder.RefusedSince(mark) {
		no[name] = true
	}
	var rest []string
	for _, pw := range w.policy.Witnesses() {
		if !no[pw.Name] {
			rest = append(rest, pw.Name)
		}
	}
	return !w.policy.Satisfied(rest...)
}

// requestCosigned makes Tessera republish, through the witnesses, a published checkpoint
// that does not meet the policy: the empty tree's checkpoint Init wrote, or one published
// before the log had witnesses. Tessera republishes an unchanged checkpoint once it is
// older than its republish interval; backdating the file makes it so now.
func (b *backend) requestCosigned(ctx context.Context) error {
	if b.witnesses == nil {
		return nil
	}
	cp, err := b.reader.ReadCheckpoint(ctx)
	if err != nil {
		return err
	}
	if _, err := b.trust.VerifyCheckpoint(cp); err == nil || !errors.Is(err, ledger.ErrQuorum) {
		return nil
	}
	old := time.Now().Add(-tessera.DefaultCheckpointRepublishInterval - time.Minute)
	if err := os.Chtimes(filepath.Join(b.dir, layout.CheckpointPath), old, old); err != nil {
		return fmt.Errorf("asking for the published checkpoint to be cosigned: %w", err)
	}
	return nil
}

// cosignedCheckpoint returns the published checkpoint once it meets the witness policy,
// waiting for that (see requestCosigned) at most as long as an Append would.
func (b *backend) cosignedCheckpoint(ctx context.Context) ([]byte, error) {
	bounded, cancel := b.witnesses.bound(ctx)
	defer cancel()
	tick := time.NewTicker(b.witnesses.poll)
	defer tick.Stop()
	for {
		cp, err := b.reader.ReadCheckpoint(bounded)
		if err == nil {
			if _, verr := b.trust.VerifyCheckpoint(cp); verr == nil {
				return cp, nil
			} else if !errors.Is(verr, ledger.ErrQuorum) {
				return nil, fmt.Errorf("published checkpoint: %w", verr)
			}
		}
		select {
		case <-bounded.Done():
			return nil, fmt.Errorf("reading the cosigned checkpoint of %s: %w", b.origin, b.explain(ctx, bounded, bounded.Err()))
		case <-tick.C:
		}
	}
}
