package ledger

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a verified C2SP tlog-checkpoint: the state of one log, signed by it.
// Only [Trust.VerifyCheckpoint] and [Trust.VerifyReceipt] make one; a Checkpoint built by
// hand proves nothing.
type Checkpoint struct {
	// Origin is the log's origin line.
	Origin string
	// Size is the number of leaves in the tree.
	Size uint64
	// Hash is the RFC 6962 root hash of the tree.
	Hash tlog.Hash
	// Note is the signed note, verbatim.
	Note []byte
	// Cosigners names the trusted witnesses whose cosignatures verified, in note order:
	// the names on their signature lines (Cosignatures[i].KeyName).
	Cosigners []string
	// Cosignatures are those cosignatures, in note order, with their timestamps.
	Cosignatures []Cosignature
}

// parsedNote is a signed note split into its checkpoint body and signature lines,
// none of them verified yet.
type parsedNote struct {
	origin string
	size   uint64
	hash   tlog.Hash
	sigs   []note.Signature
}

// parseNote checks the syntax of a signed checkpoint note without verifying signatures.
func parseNote(msg []byte) (*parsedNote, error) {
	_, err := note.Open(msg, note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		// With no known verifiers, Open can only fail as malformed.
		return nil, fmt.Errorf("parsing checkpoint: not a signed note: %w", ErrMalformed)
	}
	n := unverified.Note
	for _, s := range n.UnverifiedSigs {
		if _, err := decodeBase64([]byte(s.Base64)); err != nil {
			return nil, fmt.Errorf("parsing checkpoint: signature by %s: %v: %w", s.Name, err, ErrMalformed)
		}
	}
	p, err := parseCheckpointBody(n.Text)
	if err != nil {
		return nil, err
	}
	p.sigs = n.UnverifiedSigs
	return p, nil
}

// parseCheckpointBody parses the tlog-checkpoint body: origin, canonical decimal size,
// base64 root hash, then zero or more non-empty extension lines, each ending in a newline.
func parseCheckpointBody(text string) (*parsedNote, error) {
	if !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("parsing checkpoint: body does not end in a newline: %w", ErrMalformed)
	}
	lines := strings.Split(text[:len(text)-1], "\n")
	if len(lines) < 3 {
		return nil, fmt.Errorf("parsing checkpoint: %d body lines, want at least 3 (origin, size, root hash): %w", len(lines), ErrMalformed)
	}
	if lines[0] == "" {
		return nil, fmt.Errorf("parsing checkpoint: empty origin line: %w", ErrMalformed)
	}
	size, err := parseDecimal([]byte(lines[1]))
	if err != nil {
		return nil, fmt.Errorf("parsing checkpoint: tree size: %v: %w", err, ErrMalformed)
	}
	hash, err := decodeHash([]byte(lines[2]))
	if err != nil {
		return nil, fmt.Errorf("parsing checkpoint: root hash: %v: %w", err, ErrMalformed)
	}
	for i, ext := range lines[3:] {
		if ext == "" {
			return nil, fmt.Errorf("parsing checkpoint: empty extension line %d: %w", i+4, ErrMalformed)
		}
	}
	return &parsedNote{origin: lines[0], size: size, hash: hash}, nil
}

// signedBy reports whether the note carries a signature line claiming v's key.
func (p *parsedNote) signedBy(v note.Verifier) bool {
	return slices.ContainsFunc(p.sigs, func(s note.Signature) bool {
		return s.Name == v.Name() && s.Hash == v.KeyHash()
	})
}

// signerNames lists the names on the note's signature lines, for error messages.
func (p *parsedNote) signerNames() string {
	if len(p.sigs) == 0 {
		return "nobody"
	}
	names := make([]string, len(p.sigs))
	for i, s := range p.sigs {
		names[i] = fmt.Sprintf("%s+%08x", s.Name, s.Hash)
	}
	return strings.Join(names, ", ")
}

// Head is what a checkpoint note claims, read without verifying any signature: enough
// to route a receipt to its log or to sanity-check what a server returned, never
// evidence. Only a [Checkpoint] from [Trust] is verified.
type Head struct {
	Origin string
	Size   uint64
	Hash   tlog.Hash
}

// ReadHeadUnverified reads the origin, size and root hash a signed checkpoint note
// claims. It checks the note's syntax (ErrMalformed) but no signature.
func ReadHeadUnverified(msg []byte) (Head, error) {
	p, err := parseNote(msg)
	if err != nil {
		return Head{}, err
	}
	return Head{Origin: p.origin, Size: p.size, Hash: p.hash}, nil
}

// CoversUnverified checks that the receipt's inclusion path leads from leaf, at its
// index, to the root its checkpoint claims (ErrLeafMismatch, or ErrMalformed for a
// receipt that cannot be read). The checkpoint's signature is not checked: this catches
// a server that returned a receipt for another leaf; [Trust.VerifyReceipt] is the proof.
func (r *Receipt) CoversUnverified(leaf []byte) error {
	h, err := ReadHeadUnverified(r.Checkpoint)
	if err != nil {
		return err
	}
	if r.Index >= h.Size || h.Size > 1<<63-1 {
		return fmt.Errorf("receipt index %d is outside the tree of %d leaves: %w", r.Index, h.Size, ErrMalformed)
	}
	if err := tlog.CheckRecord(r.Proof, int64(h.Size), h.Hash, int64(r.Index), tlog.RecordHash(leaf)); err != nil {
		return fmt.Errorf("the receipt's inclusion path does not lead from this leaf to the root of %q at size %d: %w", h.Origin, h.Size, ErrLeafMismatch)
	}
	return nil
}
