package ledger

import (
	"context"
	"errors"

	"golang.org/x/mod/sumdb/tlog"
)

// LeafSize is the size in bytes of a commitment (SHA-256 of a DSSE PAE). Before log
// entries had tags, ledgers logged commitments alone, as LeafSize-byte leaves: old logs
// still hold them and old receipts prove them, but no ledger appends one any more.
const LeafSize = 32

// Ledger is an append-only, verifiable log of entries: each [EntrySize] bytes, a tag and a
// commitment.
//
// Implementations are safe for concurrent use. Every method that returns proofs returns
// RFC 6962 hashes, in the order of RFC 6962 section 2.1 (the same order as
// golang.org/x/mod/sumdb/tlog). The backends of this module are Ledgers made by [New],
// which gives them all the same checks and lifecycle.
type Ledger interface {
	// Origin is the log's origin line, the first line of each of its checkpoints.
	Origin() string
	// Append adds leaf (an EntrySize-byte entry, tag || commitment) and returns only
	// when the leaf is covered by a published, signed checkpoint; the receipt proves
	// inclusion under that checkpoint. A leaf of another size, a bare LeafSize-byte
	// commitment included, is rejected with ErrMalformed. An entry whose tag is already logged with another
	// commitment is refused with a *ConflictError (errors.Is ErrConflict) naming the index
	// of the entry logged first; the identical entry appended again returns the receipt
	// of the existing entry and logs nothing. If ctx ends first, Append returns ctx's
	// error; the leaf may still be logged later.
	Append(ctx context.Context, leaf []byte) (*Receipt, error)
	// AppendBatch appends leaves together and returns their receipts in the same order.
	// On error, the slots of leaves already covered by a checkpoint hold their receipts
	// and the others are nil.
	AppendBatch(ctx context.Context, leaves [][]byte) ([]*Receipt, error)
	// Checkpoint returns the latest published signed checkpoint note.
	Checkpoint(ctx context.Context) ([]byte, error)
	// InclusionProof returns the inclusion path of the leaf at index in the tree of
	// treeSize leaves (index < treeSize; treeSize no larger than the log).
	InclusionProof(ctx context.Context, index, treeSize uint64) ([]tlog.Hash, error)
	// ConsistencyProof returns the proof that the tree of newSize leaves extends the tree
	// of oldSize leaves (oldSize <= newSize; newSize no larger than the log). It is empty
	// when oldSize is 0 or equal to newSize.
	ConsistencyProof(ctx context.Context, oldSize, newSize uint64) ([]tlog.Hash, error)
	// Close waits (at most 30 s) for appends in flight to be published, then releases the
	// log. Later calls to other methods fail with ErrClosed; a second Close returns nil.
	Close() error
}

// Sentinel errors. Each error from this package and from its backends that a caller may
// branch on wraps exactly one of these; the message around it names what was expected
// and what was found.
var (
	// ErrMalformed: a receipt, checkpoint, proof, leaf or entry could not be parsed or has the
	// wrong shape (bad base64, wrong hash length, missing header, wrong path length...).
	ErrMalformed = errors.New("malformed")
	// ErrUnknownLog: no log in the trust policy has the checkpoint's origin, or the
	// checkpoint carries no signature by that log's key.
	ErrUnknownLog = errors.New("unknown log")
	// ErrWrongOrigin: the checkpoint is signed by a trusted log's key but names another
	// origin, or two checkpoints compared come from different logs.
	ErrWrongOrigin = errors.New("wrong origin")
	// ErrBadSignature: a signature line claims a trusted key (log or witness) but does
	// not verify: the checkpoint was altered or forged.
	ErrBadSignature = errors.New("bad signature")
	// ErrLeafMismatch: the inclusion proof does not lead from this leaf, at this index,
	// to the checkpoint's root hash.
	ErrLeafMismatch = errors.New("proof does not match leaf")
	// ErrInconsistent: a newer checkpoint does not extend an older one of the same log.
	ErrInconsistent = errors.New("inconsistent checkpoints")
	// ErrQuorum: fewer trusted witnesses cosigned the checkpoint than the policy requires.
	ErrQuorum = errors.New("witness quorum not met")
	// ErrClosed: the Ledger has been closed.
	ErrClosed = errors.New("ledger closed")
)
