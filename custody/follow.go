package custody

import (
	"context"
	"fmt"
	"io"
	"slices"
)

// Items lists the ids of the bundle's items in the order they entered custody.
func (b *Bundle) Items() ([]string, error) {
	cs, err := replay(b)
	if err != nil {
		return nil, err
	}
	return slices.Clone(cs.order), nil
}

// follow prepares the next event of an existing item. An empty itemID means the
// bundle's only item.
func (c *Custodian) follow(b *Bundle, itemID string, t EventType) (*Event, *itemState, error) {
	cs, err := replay(b)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the bundle's chain: %w", err)
	}
	return cs.next(itemID, t)
}

// next prepares the next event of an item of the replayed chain.
func (cs *chainState) next(itemID string, t EventType) (*Event, *itemState, error) {
	if itemID == "" {
		if len(cs.order) != 1 {
			return nil, nil, argError(string(t), "itemID", "the bundle holds %d items; name one of %v", len(cs.order), cs.order)
		}
		itemID = cs.order[0]
	}
	st, ok := cs.items[itemID]
	if !ok {
		return nil, nil, argError(string(t), "itemID", "%w: %s", ErrUnknownItem, itemID)
	}
	it := st.item
	it.Digest, it.Sealed = st.digest, st.sealed
	return &Event{Type: t, Item: it, Prev: st.head}, st, nil
}

// eventOf makes one event of an item already in custody against the chain as it
// stands before it: the single operations below and a [Batch] share them.
type eventOf func(cs *chainState) (*Event, error)

// recordOf records the event build makes against b's chain.
func (c *Custodian) recordOf(ctx context.Context, b *Bundle, build eventOf) (*Record, error) {
	cs, err := replay(b)
	if err != nil {
		return nil, fmt.Errorf("reading the bundle's chain: %w", err)
	}
	ev, err := build(cs)
	if err != nil {
		return nil, err
	}
	return c.record(ctx, b, ev)
}

// simpleEvent is the next event of type t of the item, with details d.
func simpleEvent(itemID string, t EventType, d Details) eventOf {
	return func(cs *chainState) (*Event, error) {
		ev, _, err := cs.next(itemID, t)
		if err != nil {
			return nil, err
		}
		d.apply(ev)
		return ev, nil
	}
}

func accessEvent(itemID string, d Details) eventOf {
	if d.Purpose == "" {
		return failed(argError("access", "d.Purpose", "a purpose is required"))
	}
	return simpleEvent(itemID, Access, d)
}

func returnEvent(itemID string, to *Actor, d Details) eventOf {
	return func(cs *chainState) (*Event, error) {
		ev, err := simpleEvent(itemID, Return, d)(cs)
		if err != nil {
			return nil, err
		}
		ev.Counterparty = to
		return ev, nil
	}
}

func noteEvent(itemID, text string, d Details) eventOf {
	if text == "" {
		return failed(argError("note", "text", "the text is empty"))
	}
	d.Note = text
	return simpleEvent(itemID, Note, d)
}

func transferEvent(itemID string, to Actor, d Details) eventOf {
	if err := to.Validate(); err != nil {
		return failed(argError("transfer", "to", "recipient: %w", err))
	}
	if err := to.Party.checkText(); err != nil {
		return failed(argError("transfer", "to", "recipient: %w", err))
	}
	return func(cs *chainState) (*Event, error) {
		ev, err := simpleEvent(itemID, Transfer, d)(cs)
		if err != nil {
			return nil, err
		}
		ev.Counterparty = &to
		return ev, nil
	}
}

// receiveEvent accepts the item's open transfer; check, when not nil, vets the item
// first (Receive checks the payload that arrived).
func receiveEvent(itemID string, d Details, check func(st *itemState) *Violation) eventOf {
	return func(cs *chainState) (*Event, error) {
		ev, st, err := cs.next(itemID, Receive)
		if err != nil {
			return nil, err
		}
		if st.pending == nil {
			return nil, &RefusedError{Type: Receive, Item: st.id, Violations: []Violation{{Rule: RuleTransfer, Detail: "no open transfer to receive"}}}
		}
		if check != nil {
			if v := check(st); v != nil {
				return nil, &RefusedError{Type: Receive, Item: st.id, Violations: []Violation{*v}}
			}
		}
		d.apply(ev)
		ev.Transfer = st.pending.commitment
		sender := st.custodian
		sender.Certificate = ""
		ev.Counterparty = &sender
		return ev, nil
	}
}

// failed is an eventOf that fails with err: an argument refused before any chain.
func failed(err error) eventOf {
	return func(*chainState) (*Event, error) { return nil, err }
}

// Access records that the custodian examined the item (say why in d.Purpose and with
// what in d.Tool).
func (c *Custodian) Access(ctx context.Context, b *Bundle, itemID string, d Details) (*Record, error) {
	return c.recordOf(ctx, b, accessEvent(itemID, d))
}

// Return records that the item went back to its owner; custody ends.
func (c *Custodian) Return(ctx context.Context, b *Bundle, itemID string, to *Actor, d Details) (*Record, error) {
	return c.recordOf(ctx, b, returnEvent(itemID, to, d))
}

// Dispose records that the item was destroyed; custody ends.
func (c *Custodian) Dispose(ctx context.Context, b *Bundle, itemID string, d Details) (*Record, error) {
	return c.recordOf(ctx, b, simpleEvent(itemID, Dispose, d))
}

// Note adds an annotation to the item's chain. Any trusted party may add one.
func (c *Custodian) Note(ctx context.Context, b *Bundle, itemID, text string, d Details) (*Record, error) {
	return c.recordOf(ctx, b, noteEvent(itemID, text, d))
}

// Transfer hands the item to a named recipient, identified by the key id of the key
// it signs with. Until that recipient's Receive, nobody else may act on the item.
func (c *Custodian) Transfer(ctx context.Context, b *Bundle, itemID string, to Actor, d Details) (*Record, error) {
	return c.recordOf(ctx, b, transferEvent(itemID, to, d))
}

// Receive accepts the open transfer of the item; only its named recipient may. When
// payload is not nil, its ciphertext digest is checked against the sealed digest first
// and a mismatch refuses the receipt.
func (c *Custodian) Receive(ctx context.Context, b *Bundle, itemID string, payload io.Reader, d Details) (*Record, error) {
	var check func(st *itemState) *Violation
	if payload != nil {
		check = func(st *itemState) *Violation { return checkArrival(ctx, payload, st) }
	}
	return c.recordOf(ctx, b, receiveEvent(itemID, d, check))
}

// Derive makes a new item from parents (an extraction, translation, redaction or
// report): the derived evidence is sealed like an acquisition and its event cites each
// parent at its current event. The custodian must hold every parent.
func (c *Custodian) Derive(ctx context.Context, b *Bundle, parents []string, e Evidence, s Sealing, d Details) (*Record, error) {
	if len(parents) == 0 {
		return nil, argError("derive", "parents", "no parent items")
	}
	cs, err := replay(b)
	if err != nil {
		return nil, fmt.Errorf("reading the bundle's chain: %w", err)
	}
	var ps []Parent
	for _, id := range parents {
		ev, _, err := cs.next(id, Derive)
		if err != nil {
			return nil, err
		}
		ps = append(ps, Parent{ID: ev.Item.ID, Digest: ev.Item.Digest, Event: ev.Prev})
	}
	it, err := sealItem(ctx, Derive, e, s)
	if err != nil {
		return nil, err
	}
	ev := &Event{Type: Derive, Item: it, Parents: ps, ItemKey: NewItemKey()}
	d.apply(ev)
	return c.record(ctx, b, ev)
}
