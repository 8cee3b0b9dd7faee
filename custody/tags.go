package custody

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/evidctl/evidctl/ledger"
)

// Log entries (docs/TRUST.md, "Custodians: single-successor log entries"). Each event
// is logged as the 64-byte entry tag || commitment. The tag is keyed by the item's
// secret [ItemKey], so only holders of the bundle can compute it, and it names what the
// event follows: two events that follow the same custody head carry the same tag, and
// a ledger refuses the second ([ledger.ConflictError]).
//
//	opening event:  HMAC-SHA-256(itemKey, "evidctl successor v1\n" || "id " || itemID)
//	other events:   HMAC-SHA-256(itemKey, "evidctl successor v1\n" || "event " || "sha256:" || hex(head))
//	notes:          HMAC-SHA-256(itemKey, "evidctl note v1\n" || "sha256:" || hex(own commitment))
//
// head is the commitment of the item's custody head before the event: its latest event
// that is not a note. hex is lowercase; nothing is NUL-terminated or length-prefixed
// (the domain line and the "id "/"event " prefix keep the messages apart).

// Tag domains: the first line of every tag's HMAC message.
const (
	successorDomain = "evidctl successor v1\n"
	noteDomain      = "evidctl note v1\n"
)

// ItemKeySize is the size in bytes of an item's tag key.
const ItemKeySize = 32

// ItemKey is an item's secret tag key: 32 random bytes made when the item enters
// custody and carried, base64, in the predicate of the event that opens it (`itemKey`:
// acquire, preserve, derive, and a disclose that continues no preservation). Every
// later event of the item is tagged with it.
type ItemKey [ItemKeySize]byte

// NewItemKey returns a fresh random item key.
func NewItemKey() *ItemKey {
	var k ItemKey
	_, _ = rand.Read(k[:]) // crypto/rand.Read never fails
	return &k
}

// MarshalText encodes the key as padded standard base64.
func (k ItemKey) MarshalText() ([]byte, error) {
	return []byte(base64.StdEncoding.EncodeToString(k[:])), nil
}

// UnmarshalText reads a key in canonical padded standard base64 (one spelling per key)
// of exactly ItemKeySize bytes.
func (k *ItemKey) UnmarshalText(text []byte) error {
	raw, err := base64.StdEncoding.Strict().DecodeString(string(text))
	if err != nil || len(raw) != ItemKeySize || base64.StdEncoding.EncodeToString(raw) != string(text) {
		return errors.New("itemKey is not 32 bytes in canonical base64")
	}
	copy(k[:], raw)
	return nil
}

// OpeningTag is the tag of the event that opens the item with id itemID.
func (k *ItemKey) OpeningTag(itemID string) [ledger.TagSize]byte {
	return k.tag(successorDomain, "id ", itemID)
}

// SuccessorTag is the tag of the next event (other than a note) of an item whose
// custody head has commitment head.
func (k *ItemKey) SuccessorTag(head [ledger.LeafSize]byte) [ledger.TagSize]byte {
	return k.tag(successorDomain, "event ", commitmentText(head))
}

// NoteTag is the tag of a note whose own commitment is commitment.
func (k *ItemKey) NoteTag(commitment [ledger.LeafSize]byte) [ledger.TagSize]byte {
	return k.tag(noteDomain, "", commitmentText(commitment))
}

func (k *ItemKey) tag(domain, prefix, subject string) [ledger.TagSize]byte {
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte(domain))
	m.Write([]byte(prefix))
	m.Write([]byte(subject))
	return [ledger.TagSize]byte(m.Sum(nil))
}

// commitmentText is a commitment as statements cite it: "sha256:<hex>".
func commitmentText(c [ledger.LeafSize]byte) string { return "sha256:" + hex.EncodeToString(c[:]) }

// errNoItemKey: an opening statement carries no itemKey.
var errNoItemKey = errors.New("an event that opens an item carries its itemKey")

// ErrUnkeyedItem: the item was opened without an itemKey, before log entries had
// successor tags, and its events were logged as 32-byte commitments, which no ledger
// appends any more. Its custody cannot be continued; its bundle still verifies (with a
// warning that its completeness cannot be audited). Custodians refuse such an event
// before signing it.
var ErrUnkeyedItem = errors.New("the item was opened before log entries had successor tags (it has no itemKey): its custody cannot be continued, though its bundle still verifies")

// newEntryOf returns the entry a custodian appends for ev, whose commitment is commit:
// entryOf's, refused for an item opened without an itemKey (ErrUnkeyedItem) or an
// opening statement without one.
func (cs *chainState) newEntryOf(commit [ledger.LeafSize]byte, ev *Event) ([]byte, error) {
	if ev.Prev == "" && ev.ItemKey == nil {
		return nil, fmt.Errorf("item %s: %w", ev.Item.ID, errNoItemKey)
	}
	leaf, err := cs.entryOf(commit, ev)
	if err != nil {
		return nil, err
	}
	if len(leaf) != ledger.EntrySize {
		return nil, fmt.Errorf("item %s: %w", ev.Item.ID, ErrUnkeyedItem)
	}
	return leaf, nil
}

// entryOf returns the log leaf of ev, whose commitment is commit, as its receipt must
// prove it, judged against the chain as it stands before ev is applied: the 64-byte
// entry (tag || commitment) or, for an item opened without an itemKey (a bundle from
// before entries had tags), the 32-byte commitment alone, as ledgers logged it then.
// No ledger appends a 32-byte leaf any more, so no new event of such an item can be
// logged (see newEntryOf). It fails when ev follows an item the chain does not hold.
func (cs *chainState) entryOf(commit [ledger.LeafSize]byte, ev *Event) ([]byte, error) {
	key, subject, domain := ev.ItemKey, "", successorDomain
	prefix := "id "
	switch {
	case ev.Prev == "":
		subject = ev.Item.ID
	case ev.Type == Note:
		st := cs.items[ev.Item.ID]
		if st == nil {
			return nil, fmt.Errorf("no earlier event of item %s in the bundle: its key is unknown", ev.Item.ID)
		}
		key, domain, prefix, subject = st.key, noteDomain, "", commitmentText(commit)
	default:
		st := cs.items[ev.Item.ID]
		if st == nil {
			return nil, fmt.Errorf("no earlier event of item %s in the bundle: its key and custody head are unknown", ev.Item.ID)
		}
		key, prefix, subject = st.key, "event ", st.custodyHead
	}
	if key == nil {
		return commit[:], nil
	}
	tag := key.tag(domain, prefix, subject)
	e := ledger.NewEntry(tag, commit)
	return e[:], nil
}

// Leaves returns the log leaf of each event of the bundle, in bundle order, as the
// verifier recomputes it: the entry tag || commitment, or the commitment alone for an
// item opened without an itemKey (before log entries had tags). It fails on a
// statement it cannot read or an event whose item has no earlier event in the bundle.
func (b *Bundle) Leaves() ([][]byte, error) {
	cs := newChainState(nil)
	out := make([][]byte, len(b.Events))
	for i, r := range b.Events {
		st, err := r.Statement()
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", i+1, err)
		}
		if out[i], err = cs.entryOf(r.Commitment(), &st.Predicate); err != nil {
			return nil, fmt.Errorf("event %d: %w", i+1, err)
		}
		cs.apply(r.CommitmentString(), &st.Predicate)
	}
	return out, nil
}
