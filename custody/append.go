package custody

import (
	"context"
	"errors"
	"fmt"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
)

// appendEvent appends the log leaf of ev, signed in env, and checks that the receipt
// proves that leaf. The leaf is ev's entry, tag || commitment, computed against the
// bundle's chain before ev (tags.go); a ledger that authenticates appends
// ([ledger.AuthenticatedAppender], a ledger server) gets the entry signed with the
// custodian's key and never sees the statement, any other gets Append. An item opened
// before entries had tags (no itemKey) is refused with ErrUnkeyedItem: no ledger logs
// its 32-byte leaves any more.
//
// A ledger that already holds another successor of the item's custody head refuses the
// entry; the refusal becomes a *RefusedError under RuleFork that names the log index of
// the entry logged first and wraps the ledger's *ledger.ConflictError. Any other failure
// to append an event that consumes the head is a *PendingError ([Custodian.Resume]).
func (c *Custodian) appendEvent(ctx context.Context, b *Bundle, ev *Event, env *sign.Envelope) (*ledger.Receipt, error) {
	cs, err := replay(b)
	if err != nil {
		return nil, fmt.Errorf("reading the bundle's chain: %w", err)
	}
	commit := env.Commitment()
	leaf, err := cs.newEntryOf(commit, ev)
	if err != nil {
		return nil, err
	}
	var r *ledger.Receipt
	if a, ok := c.ledger.(ledger.AuthenticatedAppender); ok {
		r, err = a.AppendSigned(ctx, leaf, c.signer)
	} else {
		r, err = c.ledger.Append(ctx, leaf)
	}
	if err != nil {
		return nil, c.refusal(err, cs, ev, env)
	}
	if err := r.CoversUnverified(leaf); err != nil {
		return nil, fmt.Errorf("the log returned a bad receipt: %w", err)
	}
	return r, nil
}

// refusal turns a ledger's *ledger.ConflictError into the custody refusal it means:
// someone already acted on a copy of the bundle. Any other failure of an event that
// consumes its item's custody head becomes a *PendingError carrying the signed event:
// the ledger may have logged its entry all the same, which then holds the head.
func (c *Custodian) refusal(err error, cs *chainState, ev *Event, env *sign.Envelope) error {
	var ce *ledger.ConflictError
	if !errors.As(err, &ce) {
		if ev.Prev == "" || ev.Type == Note {
			return err // it consumes nothing: a new event can take its place
		}
		return &PendingError{Type: ev.Type, Item: ev.Item.ID, Envelope: env, Err: err}
	}
	follows := "item id " + ev.Item.ID
	if st := cs.items[ev.Item.ID]; st != nil && ev.Prev != "" {
		follows = st.custodyHead
	}
	return &RefusedError{Type: ev.Type, Item: ev.Item.ID, Cause: err, Violations: []Violation{{
		Rule: RuleFork,
		Detail: fmt.Sprintf("log %s already holds another successor of this item's custody head, at index %d: someone already acted on a copy of this bundle",
			c.ledger.Origin(), ce.Index),
		Expected: "no other successor of " + follows,
		Found:    fmt.Sprintf("the entry at index %d, commitment %s", ce.Index, commitmentText(ce.Commitment)),
	}}}
}

// PendingError is returned when an event that moves its item's custody (anything but an
// opening event or a note) was signed but its append returned no receipt: the witnesses
// did not cosign in time, the ledger did not answer, the context ended. The ledger may
// have logged the entry all the same; it then holds the item's custody head, and any
// other event after that head is refused as a fork. So the event is not lost: keep
// Envelope (and Anchor) and pass it to [Custodian.Resume] later, which appends the
// same entry (a ledger that logged it returns its receipt) and adds the event to the
// bundle. The bundle's events are unchanged; it keeps Anchor, which Resume needs.
type PendingError struct {
	Type     EventType
	Item     string
	Envelope *sign.Envelope    // the signed event
	Anchor   *AnchorCheckpoint // the checkpoint (and token) the event cites as its anchor; nil if none
	Err      error             // why no receipt came back
	// Batch, when the event was signed in a [Batch], is every event of that batch in
	// order, Envelope among them: complete them all with [Custodian.ResumeBatch].
	Batch []*sign.Envelope
}

func (e *PendingError) Error() string {
	return fmt.Sprintf("%s of item %s was signed but not confirmed by the log: %v", e.Type, e.Item, e.Err)
}

// Unwrap returns Err.
func (e *PendingError) Unwrap() error { return e.Err }

// Resume completes an event that was signed but left without a receipt (a
// [*PendingError]'s Envelope): it appends the same entry again and adds the event to b
// with its receipt, and the checkpoint the event cites as its anchor with a consistency
// proof from it. The failed operation kept that checkpoint in b; a caller that kept the
// event elsewhere passes the PendingError's Anchor. A ledger that logged the entry returns its receipt; one that did not
// logs it now. The event must be this custodian's and still follow b's chain (it is
// checked as a new event would be); a failure to append is a *PendingError again.
func (c *Custodian) Resume(ctx context.Context, b *Bundle, env *sign.Envelope, anchors ...AnchorCheckpoint) (*Record, error) {
	if b == nil || env == nil {
		return nil, argError("resume", "env", "a bundle and a signed event are required")
	}
	for i := range anchors {
		if err := anchors[i].validate(); err != nil {
			return nil, argError("resume", "anchors", "anchor %d: %w", i+1, err)
		}
		b.keepAnchor(&anchors[i])
	}
	st, err := NewRecord(env, "").Statement()
	if err != nil {
		return nil, &ArgumentError{Op: "resume", Arg: "env", Err: err}
	}
	ev := &st.Predicate
	if _, err := env.Verify(ctx, 1, c.signer.Verifier()); err != nil || ev.Actor.KeyID != c.actor.KeyID {
		return nil, argError("resume", "env", "the event is not signed by this custodian's key %s", shortKey(c.actor.KeyID))
	}
	if err := c.check(b, ev); err != nil {
		return nil, err
	}
	receipt, err := c.appendEvent(ctx, b, ev, env)
	if err != nil {
		return nil, fmt.Errorf("resuming %s event on log %s: %w", ev.Type, c.ledger.Origin(), err)
	}
	// The anchor's checkpoint was kept in b when the event became pending.
	return c.addRecord(ctx, b, env, receipt, ev.Anchor, nil)
}
