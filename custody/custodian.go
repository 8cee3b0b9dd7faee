package custody

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
)

// Custodian is a party that acts on evidence: it signs each event with its key as the
// actor it claims to be, and appends the event's entry (tag || commitment) to its
// ledger. Before it signs, it reads the ledger's latest checkpoint (and, when the ledger
// has a TSA, its time-stamp token) and cites it in the statement as the event's
// [Anchor]: the trusted lower bound of the event's time.
type Custodian struct {
	signer     *sign.Signer
	actor      Actor
	ledger     ledger.Ledger
	now        func() time.Time
	unanchored bool // cite no anchor, as before statements had them (tests of old bundles)
}

// Option configures a [Custodian].
type Option func(*Custodian)

// WithClock sets the clock that dates events (the default is time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *Custodian) { c.now = now }
}

// NewCustodian returns a custodian acting as actor, signing with signer and appending
// to l. The actor's key id is the signer's.
func NewCustodian(signer *sign.Signer, actor Actor, l ledger.Ledger, opts ...Option) (*Custodian, error) {
	if signer == nil || l == nil {
		return nil, argError("custodian", "signer", "a signer and a ledger are required")
	}
	actor.KeyID = signer.KeyID()
	if err := actor.Validate(); err != nil {
		return nil, &ArgumentError{Op: "custodian", Arg: "actor", Err: err}
	}
	if err := actor.Party.checkText(); err != nil {
		return nil, &ArgumentError{Op: "custodian", Arg: "actor", Err: err}
	}
	c := &Custodian{signer: signer, actor: actor, ledger: l, now: time.Now}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Actor is who the custodian signs as.
func (c *Custodian) Actor() Actor { return c.actor }

// record completes ev (actor, time, and the anchor: the ledger's latest checkpoint,
// read first), checks it against the bundle's chain, signs it, appends it to the ledger
// and adds it to b with its receipt, the anchor's checkpoint and token, and consistency
// proofs from the bundle's previous checkpoint of the same log and from the anchor.
func (c *Custodian) record(ctx context.Context, b *Bundle, ev *Event) (*Record, error) {
	return c.recordWith(ctx, b, ev, true)
}

func (c *Custodian) recordWith(ctx context.Context, b *Bundle, ev *Event, check bool) (*Record, error) {
	var anchor *Anchor
	var anchored *AnchorCheckpoint
	if !c.unanchored {
		var err error
		if anchor, anchored, err = c.fetchAnchor(ctx); err != nil {
			return nil, fmt.Errorf("%s event: %w", ev.Type, err)
		}
	}
	ev.Actor = c.actor
	ev.Time = c.now().UTC()
	ev.Anchor = anchor
	if err := ev.check(); err != nil {
		return nil, err
	}
	if err := refuseUnkeyed(b, ev); err != nil {
		return nil, err
	}
	if check {
		if err := c.check(b, ev); err != nil {
			return nil, err
		}
	}
	payload, err := NewStatement(ev).Marshal()
	if err != nil {
		return nil, fmt.Errorf("encoding statement: %w", err)
	}
	env, err := sign.SignEnvelope(ctx, PayloadType, payload, c.signer)
	if err != nil {
		return nil, fmt.Errorf("signing %s event: %w", ev.Type, err)
	}
	receipt, err := c.appendEvent(ctx, b, ev, env)
	if err != nil {
		var pending *PendingError
		if errors.As(err, &pending) && anchored != nil {
			pending.Anchor = anchored
			b.keepAnchor(anchored) // Resume needs it: the signed event cites it
		}
		return nil, fmt.Errorf("appending %s event to log %s: %w", ev.Type, c.ledger.Origin(), err)
	}
	return c.addRecord(ctx, b, env, receipt, anchor, anchored)
}

// addRecord adds a logged event to b with its receipt: a consistency proof from the
// bundle's previous checkpoint of the log, the anchor's checkpoint (ac, unless b holds it
// already: nil) and a proof that the receipt's checkpoint extends the anchor's.
func (c *Custodian) addRecord(ctx context.Context, b *Bundle, env *sign.Envelope, receipt *ledger.Receipt, anchor *Anchor, ac *AnchorCheckpoint) (*Record, error) {
	text, head, err := receiptHead(receipt)
	if err != nil {
		return nil, err
	}
	if err := c.addConsistency(ctx, b, head); err != nil {
		return nil, err
	}
	if ac != nil {
		b.keepAnchor(ac)
	}
	if anchor != nil {
		if err := c.addProof(ctx, b, anchor.Origin, anchor.Size, head.Size); err != nil {
			return nil, err
		}
	}
	rec := NewRecord(env, text)
	b.Events = append(b.Events, rec)
	return rec, nil
}

// refuseUnkeyed refuses, before anything is signed, an event that could not be logged:
// one that opens an item without an itemKey, or continues an item opened without one
// (ErrUnkeyedItem: a bundle from before log entries had successor tags).
func refuseUnkeyed(b *Bundle, ev *Event) error {
	cs, err := replay(b)
	if err != nil {
		return fmt.Errorf("reading the bundle's chain: %w", err)
	}
	if _, err := cs.newEntryOf([ledger.LeafSize]byte{}, ev); err != nil {
		return &ArgumentError{Op: string(ev.Type), Arg: "item", Err: err}
	}
	return nil
}

// check refuses, before anything is signed, an event the verifier would reject. A
// predecessor dated after this custodian's clock is no ground for refusal: the custodian
// signs its own time, and only the verifier, with trusted time, can tell a clock that is
// behind from a predecessor dated in the future (which must not freeze custody).
func (c *Custodian) check(b *Bundle, ev *Event) error {
	cs, err := replay(b)
	if err != nil {
		return fmt.Errorf("reading the bundle's chain: %w", err)
	}
	vs := slices.DeleteFunc(cs.apply("sha256:pending", ev), func(v Violation) bool { return v.Rule == RuleTime })
	if len(vs) > 0 {
		return &RefusedError{Type: ev.Type, Item: ev.Item.ID, Violations: vs}
	}
	return nil
}

// addConsistency adds a proof that the new checkpoint extends the bundle's latest
// checkpoint of the same log.
func (c *Custodian) addConsistency(ctx context.Context, b *Bundle, head ledger.Head) error {
	var prev uint64
	for _, r := range b.Events {
		h, err := r.logHead()
		if err == nil && h.Origin == head.Origin && h.Size > prev && h.Size <= head.Size {
			prev = h.Size
		}
	}
	return c.addProof(ctx, b, head.Origin, prev, head.Size)
}

// receiptHead returns a receipt's text, as a record holds it, and the head of its
// checkpoint, unverified (the log just gave it; the verifier checks it).
func receiptHead(r *ledger.Receipt) (string, ledger.Head, error) {
	text, err := r.MarshalText()
	if err != nil {
		return "", ledger.Head{}, fmt.Errorf("encoding receipt: %w", err)
	}
	head, err := ledger.ReadHeadUnverified(r.Checkpoint)
	if err != nil {
		return "", ledger.Head{}, fmt.Errorf("reading new checkpoint: %w", err)
	}
	return string(text), head, nil
}
