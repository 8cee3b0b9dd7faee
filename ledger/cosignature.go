package ledger

import (
	"fmt"
	"strings"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// Cosignature is a trusted witness's C2SP tlog-cosignature/v1 on a verified
// [Checkpoint]: the witness vouches that, at Time, this checkpoint was consistent with
// every checkpoint of the log it had cosigned before. Time is trusted time: the checkpoint,
// and every leaf it covers, existed by then.
type Cosignature struct {
	// Witness is the witness's name in the trust policy's [WitnessPolicy] (for the
	// simple form, Witnesses and Quorum, its key's name).
	Witness string
	// KeyName and KeyHash identify the key on the signature line (c2sp.org/signed-note).
	KeyName string
	KeyHash uint32
	// VerifierKey is the witness's verifier key as the policy gives it.
	VerifierKey string
	// Time is the cosignature's timestamp, in UTC (second precision).
	Time time.Time
}

// cosignatures lists the verified signatures of the policy's witnesses, in note order.
func (p *WitnessPolicy) cosignatures(sigs []note.Signature) ([]Cosignature, error) {
	var out []Cosignature
	for _, s := range sigs {
		w := p.witnessFor(s)
		if w < 0 {
			continue // the log's own signature
		}
		t, err := fnote.CoSigV1Timestamp(s)
		if err != nil {
			return nil, fmt.Errorf("cosignature by %s+%08x: no timestamp: %v: %w", s.Name, s.Hash, err, ErrMalformed)
		}
		pw := p.witnesses[w]
		out = append(out, Cosignature{Witness: pw.Name, KeyName: s.Name, KeyHash: s.Hash, VerifierKey: pw.VerifierKey, Time: t.UTC()})
	}
	return out, nil
}

// satisfiedBy reports whether the cosignatures meet the quorum.
func (p *WitnessPolicy) satisfiedBy(cs []Cosignature) bool {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Witness
	}
	return p.Satisfied(names...)
}

// WitnessAnswer is what one witness last answered a log that asked it to cosign.
type WitnessAnswer struct {
	Witness  string // the witness's name in the policy
	URL      string // its submission prefix
	Cosigned bool   // it returned a valid cosignature
	Answer   string // in words: "cosigned", "unreachable: ...", "refused: ... (HTTP 409)"
}

// CosigningError reports that a log could not get a checkpoint cosigned as its witness
// policy requires within its bounded wait. It names each witness and what it answered,
// and wraps [ErrQuorum]. No receipt was issued for the appends it failed.
type CosigningError struct {
	Origin  string          // the log
	Size    uint64          // the tree size that was to be cosigned; 0 if unknown
	Quorum  string          // the policy's quorum, as [WitnessPolicy.QuorumString] puts it
	Waited  time.Duration   // how long the log waited
	Answers []WitnessAnswer // one per witness the log asks, in policy order
}

func (e *CosigningError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cosigning checkpoint of %q", e.Origin)
	if e.Size > 0 {
		fmt.Fprintf(&b, " at size %d", e.Size)
	}
	fmt.Fprintf(&b, ": witness quorum (%s) not met after %v", e.Quorum, e.Waited.Round(time.Millisecond))
	for _, a := range e.Answers {
		fmt.Fprintf(&b, "; witness %q at %s: %s", a.Witness, a.URL, a.Answer)
	}
	fmt.Fprintf(&b, "; hint: %s", e.Hint())
	return b.String()
}

// Unwrap makes errors.Is(err, ErrQuorum) true.
func (e *CosigningError) Unwrap() error { return ErrQuorum }

// Hint says what to do about the answers.
func (e *CosigningError) Hint() string {
	has := func(words ...string) bool {
		for _, a := range e.Answers {
			for _, w := range words {
				if strings.Contains(a.Answer, w) {
					return true
				}
			}
		}
		return false
	}
	switch {
	case has("fork", "consistency proof"):
		return "a witness has cosigned another history of this log: the log has forked or been rolled back; stop appending and compare its checkpoints with the witnesses' before anything else"
	case has("does not know this log"):
		return "ask that witness's operator to add the log (evidctl witness add-log --origin ORIGIN --key LOG_VKEY)"
	case has("does not accept the log's signature"):
		return "the witness lists this log under another key: give its operator the log's verifier key"
	case has("unreachable", "no answer"):
		return "start the witnesses that do not answer, or check the URLs in the witness policy; with k of n, up to n-k witnesses may be down"
	}
	return "check the witnesses' logs; the append may still be logged later, but no receipt was issued"
}
