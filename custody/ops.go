package custody

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"

	"filippo.io/age"
	"golang.org/x/sync/errgroup"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/crypto/seal"
)

// Details are the optional facts an event records: the case, where, why, under which
// legal authority, with which tool.
type Details struct {
	Case     string
	Location string
	Purpose  string
	Legal    *Legal
	Tool     *Tool
	Note     string
}

func (d Details) apply(e *Event) {
	e.Case, e.Location, e.Purpose, e.Legal, e.Tool, e.Note = d.Case, d.Location, d.Purpose, d.Legal, d.Tool, d.Note
}

// Evidence describes one piece of evidence entering custody: its stream and what to
// call it. Sealed receives the age file; it is nil for a preservation, which commits
// digests without handing anything over.
type Evidence struct {
	ItemID      string // default: a new urn:uuid
	Description string
	MediaType   string
	Source      io.Reader
	Sealed      io.Writer
}

// Sealing says to whom evidence is sealed and which extra digests to compute.
type Sealing struct {
	Recipients []string           // age recipients: age1…, age1pq1…, ssh-ed25519 …, ssh-rsa …
	Digests    []digest.Algorithm // beyond SHA-256, for cross-checks with legacy tools
}

// parse parses the recipients of the sealing for operation op.
func (s Sealing) parse(op EventType) ([]age.Recipient, error) {
	if len(s.Recipients) == 0 {
		return nil, argError(string(op), "s.Recipients", "no recipients: sealed evidence must be readable by someone")
	}
	rs := make([]age.Recipient, len(s.Recipients))
	for i, text := range s.Recipients {
		r, err := seal.ParseRecipient(text)
		if err != nil {
			return nil, argError(string(op), "s.Recipients", "recipient %d: %w", i+1, err)
		}
		rs[i] = r
	}
	return rs, nil
}

// NewItemID returns a fresh item id, a random urn:uuid.
func NewItemID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// sealItem streams e.Source once for operation op: digests, encryption and ciphertext
// digest.
func sealItem(ctx context.Context, op EventType, e Evidence, s Sealing) (Item, error) {
	rs, err := s.parse(op)
	if err != nil {
		return Item{}, err
	}
	if e.Source == nil || e.Sealed == nil {
		return Item{}, argError(string(op), "e", "%s: a source and a sealed destination are required", describe(e))
	}
	res, err := seal.Seal(ctx, e.Sealed, e.Source, rs, seal.WithDigests(s.Digests...))
	if err != nil {
		return Item{}, fmt.Errorf("sealing %s: %w", describe(e), err)
	}
	it := newItem(e, res.Plaintext, res.PlaintextSize)
	it.Sealed = &Sealed{Digest: digest.Set{res.Ciphertext}, Size: res.CiphertextSize, Recipients: s.Recipients}
	return it, nil
}

func newItem(e Evidence, d digest.Set, size int64) Item {
	id := e.ItemID
	if id == "" {
		id = NewItemID()
	}
	return Item{ID: id, Description: e.Description, MediaType: e.MediaType, Size: size, Digest: d}
}

// describe names evidence in an error: `evidence "laptop.dd"`.
func describe(e Evidence) string {
	if e.Description != "" {
		return fmt.Sprintf("evidence %q", e.Description)
	}
	return "evidence"
}

// Acquire takes evidence into custody: it reads the source once, computing its
// digests while sealing it to the recipients, and starts a new bundle with the signed,
// logged acquire event. It is [SealEvidence] then [Custodian.AcquireSealed].
func (c *Custodian) Acquire(ctx context.Context, e Evidence, s Sealing, d Details) (*Bundle, error) {
	se, err := SealEvidence(ctx, e, s)
	if err != nil {
		return nil, err
	}
	return c.AcquireSealed(ctx, se, d)
}

// SealedEvidence is evidence that [SealEvidence] read, hashed and sealed, waiting to
// be acquired by [Custodian.AcquireSealed]. Its digests are those SealEvidence
// computed; nothing else can make one.
type SealedEvidence struct {
	item     Item
	acquired atomic.Bool
}

// Item is the item the evidence becomes: its id, description, size, digests and
// sealed payload.
func (se *SealedEvidence) Item() Item { return se.item }

// SealEvidence is the first half of [Custodian.Acquire], which needs no custodian:
// it reads e.Source once, computing its digests while sealing it to s's recipients
// into e.Sealed. It lets a caller do what must happen between sealing and logging
// (make the sealed payload durable under its name, so that no event is ever logged
// for a payload that is not on disk) and overlap the sealing with what it needs to
// sign (opening the signing key, the ledger).
func SealEvidence(ctx context.Context, e Evidence, s Sealing) (*SealedEvidence, error) {
	it, err := sealItem(ctx, Acquire, e, s)
	if err != nil {
		return nil, err
	}
	return &SealedEvidence{item: it}, nil
}

// AcquireSealed is the second half of [Custodian.Acquire]: it starts a new bundle
// with the signed, logged acquire event of evidence sealed by [SealEvidence]. Sealed
// evidence is acquired once: a second call, even after a first that failed, is an
// [ArgumentError] (the first may have reached the log).
func (c *Custodian) AcquireSealed(ctx context.Context, se *SealedEvidence, d Details) (*Bundle, error) {
	if se == nil || !se.acquired.CompareAndSwap(false, true) {
		return nil, argError("acquire", "se", "sealed evidence from SealEvidence, not acquired before, is required")
	}
	ev := &Event{Type: Acquire, Item: se.item, ItemKey: NewItemKey()}
	d.apply(ev)
	b := &Bundle{}
	if _, err := c.record(ctx, b, ev); err != nil {
		return nil, err
	}
	return b, nil
}

// Disclose records a service provider's answer to an order: each piece of evidence is
// its own item, sealed to the recipients, and every event cites the order in d.Legal.
// When b holds a preservation of the same item id, the disclosure continues that
// item's chain and is refused unless the data still matches the preserved digests. b
// may be nil for a new bundle; the (new or extended) bundle is returned.
func (c *Custodian) Disclose(ctx context.Context, b *Bundle, es []Evidence, s Sealing, d Details) (*Bundle, error) {
	if len(es) == 0 {
		return nil, argError("disclose", "es", "no evidence")
	}
	if d.Legal == nil {
		return nil, argError("disclose", "d.Legal", "the order (legal authority) is required")
	}
	out := &Bundle{}
	if b != nil {
		out = b.Clone()
	}
	items, err := sealItems(ctx, Disclose, es, s)
	if err != nil {
		return nil, err
	}
	bt := c.Batch(out)
	for _, it := range items {
		bt.add(discloseEvent(it, d))
	}
	if _, err := bt.Commit(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// maxSealers bounds the evidence that sealItems seals at once.
var maxSealers = max(runtime.GOMAXPROCS(0), 4)

// sealItems seals every piece of evidence (sealItem), several at once; on error it
// returns that of the first failing evidence in order.
func sealItems(ctx context.Context, op EventType, es []Evidence, s Sealing) ([]Item, error) {
	if _, err := s.parse(op); err != nil {
		return nil, err
	}
	items := make([]Item, len(es))
	errs := make([]error, len(es))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxSealers)
	for i, e := range es {
		g.Go(func() error {
			items[i], errs[i] = sealItem(gctx, op, e, s)
			return errs[i]
		})
	}
	if err := g.Wait(); err != nil {
		for _, e := range errs {
			if e != nil && !errors.Is(e, context.Canceled) {
				return nil, e
			}
		}
		return nil, err
	}
	return items, nil
}

// discloseEvent is the disclosure of a sealed item: it continues the item's
// preservation, checking that the data has not changed since (the disclosure keeps the
// preservation's item key); a disclosure of an item not preserved opens it, with a new
// key.
func discloseEvent(it Item, d Details) eventOf {
	return func(cs *chainState) (*Event, error) {
		ev := &Event{Type: Disclose, Item: it}
		d.apply(ev)
		st, ok := cs.items[ev.Item.ID]
		if !ok {
			ev.ItemKey = NewItemKey() // a new item
			return ev, nil
		}
		if ev.Item.Digest.Match(st.digest) != nil {
			return nil, &RefusedError{Type: Disclose, Item: ev.Item.ID, Violations: []Violation{{Rule: RuleDigest,
				Detail: "the disclosed data differs from what was preserved", Expected: st.digest.String(), Found: ev.Item.Digest.String()}}}
		}
		ev.Prev = st.head
		return ev, nil
	}
}

// Preserve commits the digests of preserved data without handing it over (the
// Sealed field of each Evidence is ignored). A later Disclose with the same item ids
// is checked against these digests.
func (c *Custodian) Preserve(ctx context.Context, es []Evidence, algs []digest.Algorithm, d Details) (*Bundle, error) {
	if len(es) == 0 {
		return nil, argError("preserve", "es", "no evidence")
	}
	b := &Bundle{}
	for _, e := range es {
		if e.Source == nil {
			return nil, argError("preserve", "es", "%s has no source", describe(e))
		}
		set, n, err := digest.Reader(e.Source, algs...)
		if err != nil {
			return nil, fmt.Errorf("hashing %s: %w", describe(e), err)
		}
		ev := &Event{Type: Preserve, Item: newItem(e, set, n), ItemKey: NewItemKey()}
		d.apply(ev)
		if _, err := c.record(ctx, b, ev); err != nil {
			return nil, err
		}
	}
	return b, nil
}
