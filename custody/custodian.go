package custody

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
)

// Custodian is a party that acts on evidence: it signs each event with its key as the
// actor it claims to be, and appends the event's entry (tag || commitment) to its
// ledger.
type Custodian struct {
	signer *sign.Signer
	actor  Actor
	ledger ledger.Ledger
	now    func() time.Time
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

// record completes ev (actor, time), checks it against the bundle's chain, signs it,
// appends it to the ledger and adds it to b with its receipt and a consistency proof
// from the bundle's previous checkpoint of the same log.
func (c *Custodian) record(ctx context.Context, b *Bundle, ev *Event) (*Record, error) {
	return c.recordWith(ctx, b, ev, true)
}

func (c *Custodian) recordWith(ctx context.Context, b *Bundle, ev *Event, check bool) (*Record, error) {
	ev.Actor = c.actor
	ev.Time = c.now().UTC()
	if err := ev.checkText(); err != nil {
		return nil, &ArgumentError{Op: string(ev.Type), Arg: "text", Err: err}
	}
	if err := ev.Validate(); err != nil {
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
		return nil, fmt.Errorf("appending %s event to log %s: %w", ev.Type, c.ledger.Origin(), err)
	}
	text, err := receipt.MarshalText()
	if err != nil {
		return nil, fmt.Errorf("encoding receipt: %w", err)
	}
	if err := c.addConsistency(ctx, b, receipt.Checkpoint); err != nil {
		return nil, err
	}
	rec := NewRecord(env, string(text))
	b.Events = append(b.Events, rec)
	return rec, nil
}

// appendEnvelope appends the envelope's commitment, handing the whole envelope to
// ledgers that authenticate appends, and checks that the receipt proves this leaf: the
// legacy path of an item opened before entries had tags (appendEvent), gone with
// ledger.LegacyLeaves.
func (c *Custodian) appendEnvelope(ctx context.Context, env *sign.Envelope, commit [32]byte) (*ledger.Receipt, error) {
	ea, ok := c.ledger.(ledger.EnvelopeAppender)
	if !ok {
		return c.ledger.Append(ctx, commit[:])
	}
	data, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	r, err := ea.AppendEnvelope(ctx, data)
	if err != nil {
		return nil, err
	}
	if err := r.CoversUnverified(commit[:]); err != nil {
		return nil, fmt.Errorf("the log returned a bad receipt: %w", err)
	}
	return r, nil
}

// check refuses, before anything is signed, an event the verifier would reject.
func (c *Custodian) check(b *Bundle, ev *Event) error {
	cs, err := replay(b)
	if err != nil {
		return fmt.Errorf("reading the bundle's chain: %w", err)
	}
	if vs := cs.apply("sha256:pending", ev); len(vs) > 0 {
		return &RefusedError{Type: ev.Type, Item: ev.Item.ID, Violations: vs}
	}
	return nil
}

// addConsistency adds a proof that the new checkpoint extends the bundle's latest
// checkpoint of the same log.
func (c *Custodian) addConsistency(ctx context.Context, b *Bundle, note []byte) error {
	head, err := ledger.ReadHeadUnverified(note)
	if err != nil {
		return fmt.Errorf("reading new checkpoint: %w", err)
	}
	origin, size := head.Origin, head.Size
	var prev uint64
	for _, r := range b.Events {
		h, err := r.logHead()
		if err == nil && h.Origin == origin && h.Size > prev && h.Size <= size {
			prev = h.Size
		}
	}
	if prev == 0 || prev == size {
		return nil
	}
	for _, k := range b.Consistency {
		if k.Origin == origin && k.OldSize == prev && k.NewSize == size {
			return nil
		}
	}
	proof, err := c.ledger.ConsistencyProof(ctx, prev, size)
	if err != nil {
		return fmt.Errorf("consistency proof %d→%d from log %s: %w", prev, size, origin, err)
	}
	b.Consistency = append(b.Consistency, Consistency{Origin: origin, OldSize: prev, NewSize: size, Proof: proof})
	return nil
}
