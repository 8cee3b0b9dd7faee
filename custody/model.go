package custody

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/evidctl/evidctl/crypto/digest"
)

// PredicateType is the in-toto predicate type of a custody event statement.
const PredicateType = "https://evidctl.dev/custody-event/v1"

// StatementType is the in-toto Statement v1 type.
const StatementType = "https://in-toto.io/Statement/v1"

// PayloadType is the DSSE payload type of an event envelope.
const PayloadType = "application/vnd.in-toto+json"

// EventType names what happened to an item.
type EventType string

// The custody event types.
const (
	Acquire  EventType = "acquire"  // a lab takes an image or file into custody
	Disclose EventType = "disclose" // a service provider hands over data under an order
	Preserve EventType = "preserve" // a provider commits to the digests of data it keeps
	Transfer EventType = "transfer" // the custodian hands the item to a named recipient
	Receive  EventType = "receive"  // the named recipient accepts a transfer
	Access   EventType = "access"   // the custodian examines the item
	Derive   EventType = "derive"   // a new item made from others (extraction, translation, report)
	Reseal   EventType = "reseal"   // the payload is re-encrypted to new recipients
	Return   EventType = "return"   // the item goes back to its owner; custody ends
	Dispose  EventType = "dispose"  // the item is destroyed; custody ends
	Note     EventType = "note"     // an annotation; changes nothing
)

// EventTypes lists every event type in the order of the predicate schema.
var EventTypes = []EventType{Acquire, Disclose, Preserve, Transfer, Receive, Access, Derive, Reseal, Return, Dispose, Note}

// opens reports whether an event of type t starts an item's chain.
func (t EventType) opens() bool { return t == Acquire || t == Disclose || t == Preserve || t == Derive }

// LegalKind is the kind of legal authority an event relies on.
type LegalKind string

// The legal authority kinds.
const (
	MLA                   LegalKind = "mla"
	Preservation          LegalKind = "preservation"
	Production            LegalKind = "production"
	TransferOfProceedings LegalKind = "transfer-of-proceedings"
	Spontaneous           LegalKind = "spontaneous"
	Domestic              LegalKind = "domestic"
)

// LegalKinds lists every legal kind.
var LegalKinds = []LegalKind{MLA, Preservation, Production, TransferOfProceedings, Spontaneous, Domestic}

// Legal is the legal authority under which an event happens.
type Legal struct {
	Kind       LegalKind `json:"kind"`
	Basis      string    `json:"basis,omitempty"`     // e.g. "UNTOC art. 18", "Budapest Convention art. 29"
	Reference  string    `json:"reference,omitempty"` // the order's or request's reference
	Requesting string    `json:"requestingAuthority,omitempty"`
	Requested  string    `json:"requestedAuthority,omitempty"`
}

// Party is who someone is, as an event names them and a trust policy knows them. An
// [Actor] is a party with the key it signs with; a [TrustedSigner] is a party with the
// key or roots the policy trusts for it.
type Party struct {
	Name         string `json:"name"`
	Organization string `json:"organization,omitempty"`
	Role         string `json:"role,omitempty"`
	Jurisdiction string `json:"jurisdiction,omitempty"` // ISO 3166-1 alpha-2
}

// String is "Name (Organization, Role, CC)", leaving out what is empty.
func (p Party) String() string {
	var parts []string
	for _, s := range []string{p.Organization, p.Role, p.Jurisdiction} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return p.Name
	}
	return p.Name + " (" + strings.Join(parts, ", ") + ")"
}

// Validate checks the party's name and jurisdiction.
func (p Party) Validate() error {
	if strings.TrimSpace(p.Name) == "" {
		return errors.New("name is empty")
	}
	if p.Jurisdiction != "" && !ValidJurisdiction(p.Jurisdiction) {
		return fmt.Errorf("jurisdiction %q is not an ISO 3166-1 alpha-2 country code (two capital letters, such as FR)", p.Jurisdiction)
	}
	return nil
}

// Actor is a party to custody: who signs an event, or whom a transfer names.
type Actor struct {
	Party
	KeyID       string `json:"keyId"`                 // hex SHA-256 of the signing key's DER SPKI
	Certificate string `json:"certificate,omitempty"` // PEM, when the signer is certified by a root in the policy
}

// String is the party and the start of its key id, "Name (Organization, Role, CC) key
// 0123456789abcdef": reports and refusals name actors so, since two people may share a
// name but not a key.
func (a Actor) String() string {
	if a.KeyID == "" {
		return a.Party.String()
	}
	return a.Party.String() + " key " + shortKey(a.KeyID)
}

// Tool is the software used for an acquisition, access or derivation.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	Digest  string `json:"digest,omitempty"` // "sha256:<hex>" of the tool's binary
}

// Sealed describes the age-encrypted payload of an item.
type Sealed struct {
	Digest     digest.Set `json:"digest"` // sha256 of the age file's bytes
	Size       int64      `json:"size"`
	Recipients []string   `json:"recipients"`
}

// Item is a piece of evidence: what it is and its digests.
type Item struct {
	ID          string     `json:"id"`
	Description string     `json:"description,omitempty"`
	MediaType   string     `json:"mediaType,omitempty"`
	Size        int64      `json:"size"`
	Digest      digest.Set `json:"digest"` // plaintext digests, sha256 always
	Sealed      *Sealed    `json:"sealed,omitempty"`
}

// Parent names an item a derived item was made from, at the event that was its head.
type Parent struct {
	ID     string     `json:"id"`
	Digest digest.Set `json:"digest"` // the parent's plaintext digests
	Event  string     `json:"event"`  // "sha256:<hex>" commitment of the parent's head envelope
}

// Event is the predicate of a custody statement: one thing that happened to one item.
// ItemKey, the item's secret tag key, is carried only by the event that opens the item
// (see [ItemKey]).
type Event struct {
	Type         EventType `json:"type"`
	Item         Item      `json:"item"`
	ItemKey      *ItemKey  `json:"itemKey,omitempty"`
	Prev         string    `json:"prev,omitempty"` // commitment of this item's previous envelope
	Time         time.Time `json:"time"`
	Actor        Actor     `json:"actor"`
	Counterparty *Actor    `json:"counterparty,omitempty"`
	Case         string    `json:"case,omitempty"`
	Location     string    `json:"location,omitempty"`
	Purpose      string    `json:"purpose,omitempty"`
	Legal        *Legal    `json:"legal,omitempty"`
	Tool         *Tool     `json:"tool,omitempty"`
	Parents      []Parent  `json:"parents,omitempty"`
	Transfer     string    `json:"transfer,omitempty"` // receive: commitment of the accepted transfer
	Note         string    `json:"note,omitempty"`
	Anchor       *Anchor   `json:"anchor,omitempty"` // the log's checkpoint the signer read before signing
}

// isLowerHex reports whether s is n lowercase hexadecimal digits. It, isCommitment
// and isAlpha2 replace regular expressions that cost a verification of 10,000 events
// a noticeable share of its time.
func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// isCommitment reports whether s is an event commitment, "sha256:" and 64 lowercase hex
// digits.
func isCommitment(s string) bool {
	hex, ok := strings.CutPrefix(s, "sha256:")
	return ok && isLowerHex(hex, 64)
}

// isAlpha2 reports whether s is two capital ASCII letters.
func isAlpha2(s string) bool {
	return len(s) == 2 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z'
}

// ValidJurisdiction reports whether s is an ISO 3166-1 alpha-2 country code in capitals
// (a country, or EU for the Union's bodies such as Eurojust).
func ValidJurisdiction(s string) bool {
	if !isAlpha2(s) {
		return false
	}
	r, err := language.ParseRegion(s)
	return err == nil && (r.IsCountry() || s == "EU")
}

// Validate checks an actor's fields.
func (a *Actor) Validate() error {
	if err := a.Party.Validate(); err != nil {
		if a.Name == "" {
			return fmt.Errorf("actor: %w", err)
		}
		return fmt.Errorf("actor %q: %w", a.Name, err)
	}
	if !isLowerHex(a.KeyID, 64) {
		return fmt.Errorf("actor %q: key id %q is not 64 lowercase hex digits", a.Name, a.KeyID)
	}
	return nil
}

// String is the legal authority as reports cite it: its kind, basis and reference,
// "mla UNTOC art. 18 MLA-2026-44", leaving out what is empty.
func (l Legal) String() string {
	var parts []string
	for _, s := range []string{string(l.Kind), l.Basis, l.Reference} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// Validate checks a legal authority's fields.
func (l *Legal) Validate() error {
	if !slices.Contains(LegalKinds, l.Kind) {
		return fmt.Errorf("legal: kind %q is not one of %s", l.Kind, joinKinds())
	}
	return nil
}

func joinKinds() string {
	s := make([]string, len(LegalKinds))
	for i, k := range LegalKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// Validate checks the structure of an event predicate: types, required fields, formats.
// It says nothing of signatures or chains; Verify does that.
func (e *Event) Validate() error {
	if !slices.Contains(EventTypes, e.Type) {
		return fmt.Errorf("event type %q is unknown", e.Type)
	}
	if e.Item.ID == "" {
		return fmt.Errorf("%s event: item id is empty", e.Type)
	}
	if e.Item.Digest.SHA256().IsZero() {
		return fmt.Errorf("%s event for item %s: no sha256 digest", e.Type, e.Item.ID)
	}
	if e.Item.Sealed != nil && e.Item.Sealed.Digest.SHA256().IsZero() {
		return fmt.Errorf("%s event for item %s: the sealed payload has no sha256 digest", e.Type, e.Item.ID)
	}
	if e.Time.IsZero() {
		return fmt.Errorf("%s event for item %s: time is missing", e.Type, e.Item.ID)
	}
	if err := e.Actor.Validate(); err != nil {
		return fmt.Errorf("%s event for item %s: %w", e.Type, e.Item.ID, err)
	}
	if e.Counterparty != nil {
		if err := e.Counterparty.Validate(); err != nil {
			return fmt.Errorf("%s event for item %s: counterparty: %w", e.Type, e.Item.ID, err)
		}
	}
	if e.Legal != nil {
		if err := e.Legal.Validate(); err != nil {
			return fmt.Errorf("%s event for item %s: %w", e.Type, e.Item.ID, err)
		}
	}
	if e.Anchor != nil {
		if err := e.Anchor.Validate(); err != nil {
			return fmt.Errorf("%s event for item %s: %w", e.Type, e.Item.ID, err)
		}
	}
	return e.validateLinks()
}

func (e *Event) validateLinks() error {
	for _, link := range [...]struct{ name, v string }{{"prev", e.Prev}, {"transfer", e.Transfer}} {
		if link.v != "" && !isCommitment(link.v) {
			return fmt.Errorf("%s event for item %s: %s %q is not sha256:<64 hex>", e.Type, e.Item.ID, link.name, link.v)
		}
	}
	switch {
	case e.Type.opens() && e.Prev != "" && e.Type != Disclose:
		return fmt.Errorf("%s event for item %s: a first event has no prev", e.Type, e.Item.ID)
	case !e.Type.opens() && e.Prev == "":
		return fmt.Errorf("%s event for item %s: prev is missing", e.Type, e.Item.ID)
	case e.Type == Transfer && e.Counterparty == nil:
		return fmt.Errorf("transfer of item %s: no counterparty (the recipient)", e.Item.ID)
	case e.Type == Receive && e.Transfer == "":
		return fmt.Errorf("receive of item %s: the accepted transfer is not cited", e.Item.ID)
	case e.Type == Derive && len(e.Parents) == 0:
		return fmt.Errorf("derive of item %s: no parents", e.Item.ID)
	case e.Prev != "" && e.ItemKey != nil:
		return fmt.Errorf("%s event for item %s: only the event that opens an item carries its itemKey", e.Type, e.Item.ID)
	}
	for _, p := range e.Parents {
		if p.ID == "" || !isCommitment(p.Event) || p.Digest.SHA256().IsZero() {
			return fmt.Errorf("derive of item %s: parent %q lacks an id, a sha256 digest or an event commitment", e.Item.ID, p.ID)
		}
	}
	return nil
}
