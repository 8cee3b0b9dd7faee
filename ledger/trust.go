package ledger

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Log is one trusted log in a [Trust] policy.
type Log struct {
	// Origin is the origin line the log's checkpoints carry.
	Origin string
	// VerifierKey is the log's C2SP signed-note verifier key, "name+keyhash+base64"
	// (Ed25519 from golang.org/x/mod/sumdb/note, or ECDSA).
	VerifierKey string
	// Witnesses are the verifier keys of the witnesses whose C2SP tlog-cosignature
	// cosignatures count toward Quorum. A plain Ed25519 note key is read as the
	// cosignature/v1 key of the same witness.
	Witnesses []string
	// Quorum is how many distinct Witnesses must have cosigned a checkpoint; 0 asks for
	// none. It may not exceed len(Witnesses).
	Quorum int
	// WitnessPolicy, when set, says which cosignatures a checkpoint needs, with groups
	// (Tessera's and Sigsum's policy text, see [ParseWitnessPolicy]); its URLs are
	// ignored here. Set either it or Witnesses and Quorum, the simple form.
	WitnessPolicy *WitnessPolicy
}

// Trust is a verification policy: the logs whose checkpoints are accepted.
// The zero Trust accepts nothing.
type Trust struct {
	Logs []Log
}

// VerifyCheckpoint opens a signed checkpoint note and checks it against the policy: the
// body is a well-formed tlog-checkpoint (else ErrMalformed); its origin names a trusted log
// (else ErrUnknownLog, or ErrWrongOrigin when another trusted log's key signed it); that
// log's key signed it (else ErrUnknownLog); every signature line claiming a trusted key
// verifies (else ErrBadSignature); and at least Quorum trusted witnesses cosigned it (else
// ErrQuorum). An error in the policy itself is reported as such and wraps no sentinel.
func (t *Trust) VerifyCheckpoint(msg []byte) (*Checkpoint, error) {
	p, err := parseNote(msg)
	if err != nil {
		return nil, err
	}
	l := t.find(p.origin)
	if l == nil {
		return nil, t.misattributed(msg, p, fmt.Errorf("verifying checkpoint: no log with origin %q in the trust policy (signed by %s): %w", p.origin, p.signerNames(), ErrUnknownLog))
	}
	logV, policy, err := l.verifiers()
	if err != nil {
		return nil, err
	}
	if !p.signedBy(logV) {
		return nil, t.misattributed(msg, p, fmt.Errorf("verifying checkpoint of %q: not signed by the trusted log key %s+%08x (signed by %s): %w", p.origin, logV.Name(), logV.KeyHash(), p.signerNames(), ErrUnknownLog))
	}
	n, err := note.Open(msg, note.VerifierList(append([]note.Verifier{logV}, policy.verifiers()...)...))
	if err != nil {
		return nil, openError(p.origin, err)
	}
	cp := &Checkpoint{Origin: p.origin, Size: p.size, Hash: p.hash, Note: append([]byte(nil), msg...)}
	if cp.Cosignatures, err = policy.cosignatures(n.Sigs); err != nil {
		return nil, fmt.Errorf("verifying checkpoint of %q: %w", p.origin, err)
	}
	for _, c := range cp.Cosignatures {
		cp.Cosigners = append(cp.Cosigners, c.KeyName)
	}
	if !policy.satisfiedBy(cp.Cosignatures) {
		return nil, fmt.Errorf("verifying checkpoint of %q at size %d: witness quorum (%s) not met: cosigned by %q: %w", p.origin, p.size, policy.QuorumString(), cp.Cosigners, ErrQuorum)
	}
	return cp, nil
}

// VerifyReceipt verifies r's checkpoint with [Trust.VerifyCheckpoint], then r's
// inclusion proof from leaf to that checkpoint's root with [Receipt.VerifyInclusion]. It
// returns the verified checkpoint.
func (t *Trust) VerifyReceipt(r *Receipt, leaf []byte) (*Checkpoint, error) {
	if r == nil {
		return nil, fmt.Errorf("verifying receipt: no receipt: %w", ErrMalformed)
	}
	cp, err := t.VerifyCheckpoint(r.Checkpoint)
	if err != nil {
		return nil, fmt.Errorf("verifying receipt for index %d: %w", r.Index, err)
	}
	if err := r.VerifyInclusion(cp, leaf); err != nil {
		return nil, err
	}
	return cp, nil
}

// VerifyInclusion checks that r's inclusion proof leads from leaf, hashed as an RFC 6962
// leaf ([tlog.RecordHash]), at r.Index, to the root hash of cp: a checkpoint
// [Trust.VerifyCheckpoint] accepted, normally r.Checkpoint's (a verifier that meets the
// same note in many receipts verifies it once and calls this for each). A path of the
// wrong length for the index and tree size fails with ErrMalformed; a path that does not
// reach the root, with ErrLeafMismatch.
func (r *Receipt) VerifyInclusion(cp *Checkpoint, leaf []byte) error {
	if r == nil || cp == nil {
		return fmt.Errorf("verifying receipt: no receipt or no checkpoint: %w", ErrMalformed)
	}
	if r.Index >= cp.Size || cp.Size > math.MaxInt64 {
		return fmt.Errorf("verifying receipt: index %d is not in the tree of %d leaves of %q: %w", r.Index, cp.Size, cp.Origin, ErrMalformed)
	}
	if want := inclusionProofLen(r.Index, cp.Size); len(r.Proof) != want {
		return fmt.Errorf("verifying receipt: inclusion path has %d hashes, want %d for index %d in a tree of %d leaves: %w", len(r.Proof), want, r.Index, cp.Size, ErrMalformed)
	}
	h := tlog.RecordHash(leaf)
	if err := tlog.CheckRecord(r.Proof, int64(cp.Size), cp.Hash, int64(r.Index), h); err != nil {
		return fmt.Errorf("verifying receipt: leaf hash %x at index %d does not lead to root %x of %q at size %d: %w", h[:], r.Index, cp.Hash[:], cp.Origin, cp.Size, ErrLeafMismatch)
	}
	return nil
}

// VerifyConsistency checks that newer extends older: both are checkpoints of one log
// (else ErrWrongOrigin), obtained from [Trust.VerifyCheckpoint] or [Trust.VerifyReceipt],
// and proof is an RFC 6962 consistency proof from older.Size to newer.Size (as returned by
// [Ledger.ConsistencyProof]). Any failure to prove it is ErrInconsistent, including an
// "older" checkpoint that is larger, and two different roots for one size.
func VerifyConsistency(older, newer *Checkpoint, proof []tlog.Hash) error {
	if older == nil || newer == nil {
		return fmt.Errorf("verifying consistency: missing checkpoint: %w", ErrMalformed)
	}
	if older.Origin != newer.Origin {
		return fmt.Errorf("verifying consistency: checkpoints of %q and %q are of different logs: %w", older.Origin, newer.Origin, ErrWrongOrigin)
	}
	switch {
	case older.Size > newer.Size:
		return fmt.Errorf("verifying consistency of %q: older checkpoint has %d leaves, newer has %d: %w", older.Origin, older.Size, newer.Size, ErrInconsistent)
	case newer.Size > math.MaxInt64:
		return fmt.Errorf("verifying consistency of %q: tree size %d is out of range: %w", older.Origin, newer.Size, ErrMalformed)
	case older.Size == newer.Size && (older.Hash != newer.Hash || len(proof) != 0):
		return fmt.Errorf("verifying consistency of %q: two roots for size %d: %x and %x: %w", older.Origin, older.Size, older.Hash[:], newer.Hash[:], ErrInconsistent)
	case older.Size == 0 || older.Size == newer.Size:
		if len(proof) != 0 {
			return fmt.Errorf("verifying consistency of %q: want an empty proof from size %d to %d, got %d hashes: %w", older.Origin, older.Size, newer.Size, len(proof), ErrInconsistent)
		}
		return nil
	}
	if err := tlog.CheckTree(proof, int64(newer.Size), newer.Hash, int64(older.Size), older.Hash); err != nil {
		return fmt.Errorf("verifying consistency of %q: the tree of %d leaves with root %x does not extend the tree of %d leaves with root %x: %w", older.Origin, newer.Size, newer.Hash[:], older.Size, older.Hash[:], ErrInconsistent)
	}
	return nil
}

// find returns the trusted log with origin, or nil.
func (t *Trust) find(origin string) *Log {
	i := slices.IndexFunc(t.Logs, func(l Log) bool { return l.Origin == origin })
	if i < 0 {
		return nil
	}
	return &t.Logs[i]
}

// misattributed returns ErrWrongOrigin (or ErrBadSignature) when another trusted log's key
// signed a note that names some other origin, and otherwise returns fallback.
func (t *Trust) misattributed(msg []byte, p *parsedNote, fallback error) error {
	for _, l := range t.Logs {
		if l.Origin == p.origin {
			continue
		}
		v, err := newLogVerifier(l.VerifierKey)
		if err != nil || !p.signedBy(v) {
			continue
		}
		if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
			return openError(l.Origin, err)
		}
		return fmt.Errorf("verifying checkpoint: names origin %q but is signed by the key of trusted log %q: %w", p.origin, l.Origin, ErrWrongOrigin)
	}
	return fallback
}

// openError maps a note.Open failure on a note whose signers are known.
func openError(origin string, err error) error {
	var bad *note.InvalidSignatureError
	if errors.As(err, &bad) {
		return fmt.Errorf("verifying checkpoint of %q: signature by %s+%08x does not verify: %w", origin, bad.Name, bad.Hash, ErrBadSignature)
	}
	return fmt.Errorf("verifying checkpoint of %q: %v: %w", origin, err, ErrMalformed)
}

// verifiers parses the log's key and its witness policy, and checks the policy entry.
func (l *Log) verifiers() (note.Verifier, *WitnessPolicy, error) {
	logV, err := newLogVerifier(l.VerifierKey)
	if err != nil {
		return nil, nil, fmt.Errorf("trust policy: log %q: %w", l.Origin, err)
	}
	policy := l.WitnessPolicy
	switch {
	case policy != nil && (len(l.Witnesses) > 0 || l.Quorum != 0):
		return nil, nil, fmt.Errorf("trust policy: log %q: set either a witness policy or witnesses and a quorum, not both", l.Origin)
	case policy == nil:
		if policy, err = SimpleWitnessPolicy(l.Witnesses, l.Quorum); err != nil {
			return nil, nil, fmt.Errorf("trust policy: log %q: %w", l.Origin, err)
		}
	}
	logKey, _ := ed25519Key(l.VerifierKey)
	for _, w := range policy.witnesses {
		wKey, _ := ed25519Key(w.VerifierKey)
		sameHash := w.verifier.Name() == logV.Name() && w.verifier.KeyHash() == logV.KeyHash()
		if sameHash || logKey != nil && bytes.Equal(wKey, logKey) {
			return nil, nil, fmt.Errorf("trust policy: log %q: witness %q has the log's own key", l.Origin, w.Name)
		}
	}
	return logV, policy, nil
}

// ed25519Key returns the Ed25519 public key of a note verifier key of type 0x01 (a log's
// Ed25519 key) or 0x04 (a cosignature/v1 key), whatever its name: the two types give one
// key two key hashes, so only the key itself tells that a witness is the log.
func ed25519Key(vkey string) ([]byte, bool) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, false
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || (raw[0] != 0x01 && raw[0] != 0x04) {
		return nil, false
	}
	return raw[1:], true
}

// newLogVerifier parses a log's note verifier key. Its errors never quote the key (the
// parser's do): a private key pasted by mistake must not end up in a log.
func newLogVerifier(key string) (note.Verifier, error) {
	if strings.HasPrefix(key, "PRIVATE+KEY+") {
		return nil, errors.New("bad verifier key: this is a private note signing key; give the log's verifier key, and keep the private key secret")
	}
	v, err := fnote.NewVerifier(key)
	if err != nil {
		return nil, errors.New("bad verifier key: not a C2SP signed-note verifier key (NAME+HASH+KEY)")
	}
	return v, nil
}

// inclusionProofLen is the length of the RFC 6962 inclusion path of index in a tree of
// size leaves (index < size).
func inclusionProofLen(index, size uint64) int {
	inner := bits.Len64(index ^ (size - 1))
	border := bits.OnesCount64(index >> inner)
	return inner + border
}

// Validate checks the policy itself: every log's verifier key and witness keys parse,
// no witness is listed twice or has its log's own key (in whichever form or name), and
// every quorum is reachable. Verification reports these
// errors too; Validate lets a tool that writes policies refuse a bad entry early.
func (t *Trust) Validate() error {
	seen := map[string]bool{}
	for i := range t.Logs {
		l := &t.Logs[i]
		if l.Origin == "" {
			return fmt.Errorf("trust policy: log %d has no origin", i+1)
		}
		if seen[l.Origin] {
			return fmt.Errorf("trust policy: log %q is listed twice", l.Origin)
		}
		seen[l.Origin] = true
		if _, _, err := l.verifiers(); err != nil {
			return err
		}
	}
	return nil
}
