package httplog

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
)

// ErrNoTrust: Open was given neither [WithTrust] nor
// [WithoutCheckpointVerificationUnsafe]. A client that cannot verify the server's
// checkpoints would take a man-in-the-middle's for the log's.
var ErrNoTrust = errors.New("no trust policy to verify the ledger server's checkpoints with (WithTrust)")

// WithTrust has the client verify every checkpoint the server gives it, in receipts and
// from Checkpoint, before returning anything: it must be signed by the log's key in
// trust (and cosigned by the witness quorum trust asks for), and consistent with every
// checkpoint the client verified before — the client fetches the consistency proof from
// the server and checks it. A checkpoint signed by any other key (a man-in-the-middle, a
// server of another log) fails with an error wrapping ledger.ErrUnknownLog or
// ledger.ErrBadSignature; one that is not consistent (a forked log, showing different
// histories to different clients) with ledger.ErrInconsistent. The server's log must be
// in trust, or Open fails. Open requires this option or
// [WithoutCheckpointVerificationUnsafe].
func WithTrust(trust *ledger.Trust) Option {
	return func(c *config) { c.trust, c.trustSet = trust, true }
}

// WithKnownCheckpoint gives the client a signed checkpoint verified before, such as the
// latest one of each log a bundle holds: the server's checkpoints must be consistent with
// it too. It may be given more than once; a checkpoint of another log than the server's
// is ignored. It needs WithTrust, which it is verified with at Open.
func WithKnownCheckpoint(note []byte) Option {
	return func(c *config) { c.known = append(c.known, note) }
}

// WithoutCheckpointVerificationUnsafe has the client return the server's checkpoints and
// receipts without verifying their signatures or their consistency: it then checks only
// that a receipt is for the server's origin and that its inclusion path leads from the
// appended leaf to the root its checkpoint claims. Whoever answers — a man-in-the-middle
// on a plain-HTTP link, a compromised or forked server — can hand it any checkpoint,
// signed with any key, and the append looks logged until a verifier rejects the bundle.
// For tests, and for callers that verify every receipt themselves before relying on it.
func WithoutCheckpointVerificationUnsafe() Option {
	return func(c *config) { c.unverified = true }
}

// checkTrust refuses trust options that contradict each other, or their absence.
func (c *config) checkTrust() error {
	switch {
	case c.unverified && c.trustSet:
		return errors.New("both WithTrust and WithoutCheckpointVerificationUnsafe")
	case c.unverified:
		if c.known != nil {
			return errors.New("WithKnownCheckpoint needs WithTrust to verify it")
		}
		return nil
	case !c.trustSet:
		return ErrNoTrust
	case c.trust == nil:
		return errors.New("WithTrust: nil trust policy")
	}
	return nil
}

// startVerifying sets up the verifier of a client opened with WithTrust, with the
// known checkpoint if one was given, and accepts the server's first checkpoint.
func (c *client) startVerifying(ctx context.Context, first []byte) error {
	if c.cfg.unverified {
		return nil
	}
	v := &verifier{trust: c.cfg.trust}
	head, err := ledger.ReadHeadUnverified(first)
	if err != nil {
		return fmt.Errorf("the server's checkpoint: %w", err)
	}
	for _, note := range c.cfg.known {
		if h, err := ledger.ReadHeadUnverified(note); err != nil || h.Origin != head.Origin {
			continue // another log's (or unreadable: it cannot be this log's either)
		}
		cp, err := v.trust.VerifyCheckpoint(note)
		if err != nil {
			return fmt.Errorf("the known checkpoint: %w", err)
		}
		if err := v.extend(ctx, c, cp); err != nil {
			return err
		}
	}
	if v.last != nil && head.Size < v.last.Size {
		// The server is behind a checkpoint known to be of its log (its witnesses may be
		// down): it cannot prove its older checkpoint consistent with the newer one, and
		// nothing is written on the strength of it. Its signature must still verify; every
		// later checkpoint it gives must extend the known one.
		if _, err := v.trust.VerifyCheckpoint(first); err != nil {
			return fmt.Errorf("the server's checkpoint does not verify under the trust policy (a man-in-the-middle, or the wrong server?): %w", err)
		}
	} else if _, err := v.accept(ctx, c, first); err != nil {
		return err
	}
	c.verify = v
	return nil
}

// verifier holds what the client has verified of the log: the largest checkpoint, which
// every later one must be consistent with.
type verifier struct {
	trust *ledger.Trust

	// mu is held across a consistency check, proof fetch included, so that each
	// checkpoint is checked against the latest one verified.
	mu   sync.Mutex
	last *ledger.Checkpoint // nil before the first
}

// accept verifies a checkpoint the server gave, and its consistency with the last one
// verified; the larger of the two becomes the last.
func (v *verifier) accept(ctx context.Context, c *client, note []byte) (*ledger.Checkpoint, error) {
	cp, err := v.trust.VerifyCheckpoint(note)
	if err != nil {
		return nil, fmt.Errorf("the server's checkpoint does not verify under the trust policy (a man-in-the-middle, or the wrong server?): %w", err)
	}
	if err := v.extend(ctx, c, cp); err != nil {
		return nil, err
	}
	return cp, nil
}

// receipt verifies a receipt for leaf: its checkpoint and inclusion path under the
// trust, then the checkpoint's consistency with the last one verified.
func (v *verifier) receipt(ctx context.Context, c *client, r *ledger.Receipt, leaf []byte) error {
	cp, err := v.trust.VerifyReceipt(r, leaf)
	if err != nil {
		return fmt.Errorf("the server's receipt does not verify under the trust policy (a man-in-the-middle, or the wrong server?): %w", err)
	}
	return v.extend(ctx, c, cp)
}

// extend checks that cp and the last checkpoint verified are consistent, with a proof
// from the server when their sizes differ, and keeps the larger.
func (v *verifier) extend(ctx context.Context, c *client, cp *ledger.Checkpoint) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.last == nil {
		v.last = cp
		return nil
	}
	older, newer := v.last, cp
	if cp.Size < v.last.Size {
		older, newer = cp, v.last
	}
	var proof []tlog.Hash
	if older.Size > 0 && older.Size < newer.Size {
		var err error
		if proof, err = c.ConsistencyProof(ctx, older.Size, newer.Size); err != nil {
			return fmt.Errorf("checking the server's checkpoint of size %d against the one of size %d verified before: %w", cp.Size, v.last.Size, err)
		}
	}
	if err := ledger.VerifyConsistency(older, newer, proof); err != nil {
		return fmt.Errorf("the server's checkpoint of size %d is not consistent with the one of size %d verified before (a forked log?): %w", cp.Size, v.last.Size, err)
	}
	v.last = newer
	return nil
}
