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
// before entries had tags is appended as its commitment alone, as it was then.
//
// A ledger that already holds another successor of the item's custody head refuses the
// entry; the refusal becomes a *RefusedError under RuleFork that names the log index of
// the entry logged first and wraps the ledger's *ledger.ConflictError.
func (c *Custodian) appendEvent(ctx context.Context, b *Bundle, ev *Event, env *sign.Envelope) (*ledger.Receipt, error) {
	cs, err := replay(b)
	if err != nil {
		return nil, fmt.Errorf("reading the bundle's chain: %w", err)
	}
	commit := env.Commitment()
	leaf, err := cs.entryOf(commit, ev)
	if err != nil {
		return nil, err
	}
	if len(leaf) == ledger.LeafSize {
		return c.appendEnvelope(ctx, env, commit)
	}
	var r *ledger.Receipt
	if a, ok := c.ledger.(ledger.AuthenticatedAppender); ok {
		r, err = a.AppendSigned(ctx, leaf, c.signer)
	} else {
		r, err = c.ledger.Append(ctx, leaf)
	}
	if err != nil {
		return nil, c.refusal(err, cs, ev)
	}
	if err := r.CoversUnverified(leaf); err != nil {
		return nil, fmt.Errorf("the log returned a bad receipt: %w", err)
	}
	return r, nil
}

// refusal turns a ledger's *ledger.ConflictError into the custody refusal it means:
// someone already acted on a copy of the bundle. Other errors are returned as they are.
func (c *Custodian) refusal(err error, cs *chainState, ev *Event) error {
	var ce *ledger.ConflictError
	if !errors.As(err, &ce) {
		return err
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
