package ledger

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
)

// TagSize is the size in bytes of an entry's tag.
const TagSize = 32

// EntrySize is the size in bytes of a log entry: a tag followed by a commitment
// (docs/TRUST.md, "Custodians: single-successor log entries"). The RFC 6962 leaf is
// those 64 bytes.
const EntrySize = TagSize + LeafSize

// ErrConflict: the entry's tag is already logged with another commitment, so the entry
// would be a second successor of one custody event. Ledgers return it inside a
// [*ConflictError] that names the entry already logged.
var ErrConflict = errors.New("tag already logged with another commitment")

// ConflictError is a ledger's refusal of an entry whose tag it already holds with
// another commitment. It carries the evidence: the tag, and the log index and commitment
// of the entry logged first. errors.Is(err, ErrConflict) holds.
type ConflictError struct {
	// Tag is the tag both entries carry.
	Tag [TagSize]byte
	// Index is the log index of the entry already logged with Tag.
	Index uint64
	// Commitment is that entry's commitment.
	Commitment [LeafSize]byte
}

// Error names the index of the entry already logged.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("tag %s is already logged at index %d with commitment %s: %v",
		hex.EncodeToString(e.Tag[:]), e.Index, hex.EncodeToString(e.Commitment[:]), ErrConflict)
}

// Unwrap returns ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// Entry is a log entry: tag || commitment. Pass e[:] to [Ledger.Append].
type Entry [EntrySize]byte

// NewEntry joins a tag and a commitment into an entry.
func NewEntry(tag [TagSize]byte, commitment [LeafSize]byte) Entry {
	var e Entry
	copy(e[:TagSize], tag[:])
	copy(e[TagSize:], commitment[:])
	return e
}

// ParseEntry reads an entry of exactly EntrySize bytes; any other length fails with
// ErrMalformed.
func ParseEntry(b []byte) (Entry, error) {
	if len(b) != EntrySize {
		return Entry{}, fmt.Errorf("entry is %d bytes, want %d (tag || commitment): %w", len(b), EntrySize, ErrMalformed)
	}
	return Entry(b), nil
}

// Tag returns the entry's first 32 bytes.
func (e Entry) Tag() [TagSize]byte { return [TagSize]byte(e[:TagSize]) }

// Commitment returns the entry's last 32 bytes: SHA-256 of the envelope's DSSE PAE.
func (e Entry) Commitment() [LeafSize]byte { return [LeafSize]byte(e[TagSize:]) }

// Successor decides an append of leaf to a log that already holds logged, under the same
// tag, at index: nil when the two are the
// same (the append is idempotent and returns the receipt of index), a [*ConflictError]
// naming logged otherwise. Backends call it so that they all decide alike. leaf is an
// EntrySize-byte entry; logged is one too, or the LeafSize-byte commitment an old log
// holds under the same first 32 bytes.
func Successor(leaf, logged []byte, index uint64) error {
	if bytes.Equal(leaf, logged) {
		return nil
	}
	ce := &ConflictError{Tag: [TagSize]byte(logged[:TagSize]), Index: index}
	copy(ce.Commitment[:], logged[len(logged)-LeafSize:])
	return ce
}

// EntrySigner signs log entries with a custodian's key. *sign.Signer (crypto/sign) is
// one: its signature covers the DSSE pre-authentication encoding of the entry under the
// payload type "application/vnd.evidctl.log-entry.v1", so that it can never be taken for
// a signature over a statement.
type EntrySigner interface {
	// KeyID is the key's id: the lowercase hex SHA-256 of its DER SubjectPublicKeyInfo.
	KeyID() string
	// SignEntry returns the signature over the entry.
	SignEntry(ctx context.Context, entry []byte) ([]byte, error)
}

// AuthenticatedAppender is implemented by ledgers that append only entries signed by an
// allowed key, such as a client of a remote `evidctl serve` (ledger/httplog). The server
// checks the signature over the 64-byte entry itself and never sees the statement.
// Callers that hold a signer (custody) use AppendSigned when a ledger offers it, and
// Append otherwise. Errors are as for Append: a [*ConflictError] when the tag is already
// logged with another commitment, the existing receipt when the same entry is.
type AuthenticatedAppender interface {
	AppendSigned(ctx context.Context, entry []byte, s EntrySigner) (*Receipt, error)
}
