package sign

import (
	"context"
	"fmt"
	"strings"
)

// SignatureError reports why one signature of an envelope was not accepted.
// Err wraps [ErrUnknownKey] or [ErrInvalidSignature].
type SignatureError struct {
	Index int    // position in Envelope.Signatures
	KeyID string // the keyid the signature carries ("" if none)
	Err   error
}

func (e *SignatureError) Error() string {
	id := e.KeyID
	if id == "" {
		id = "(no keyid)"
	}
	return fmt.Sprintf("signature %d by key %s: %v", e.Index, id, e.Err)
}

func (e *SignatureError) Unwrap() error { return e.Err }

// ThresholdError reports an envelope that fewer than Threshold distinct trusted
// keys have validly signed. Accepted lists the key ids that did verify; Rejected
// says why each other signature did not count. errors.Is and errors.As see the
// rejected signatures' errors.
type ThresholdError struct {
	Threshold int
	Accepted  []string
	Rejected  []*SignatureError
}

func (e *ThresholdError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d required trusted signatures verified", len(e.Accepted), e.Threshold)
	for _, r := range e.Rejected {
		b.WriteString("; ")
		b.WriteString(r.Error())
	}
	return b.String()
}

// Unwrap returns the rejected signatures' errors.
func (e *ThresholdError) Unwrap() []error {
	errs := make([]error, len(e.Rejected))
	for i, r := range e.Rejected {
		errs[i] = r
	}
	return errs
}

// Verify checks e's signatures over [PAE](e.PayloadType, e.Payload) against the
// trusted verifiers and returns the key ids of those that accepted, in signature
// order. A key counts once however many signatures it made; verifiers with the same
// key count once. A signature whose keyid no verifier has is skipped (it is listed
// in the error if the threshold is not met); a signature without a keyid is tried
// against every trusted key. If fewer than threshold distinct keys accept, the error
// is a [*ThresholdError]. threshold must be between 1 and the number of distinct
// trusted keys ([ErrInvalidThreshold]).
func (e *Envelope) Verify(ctx context.Context, threshold int, verifiers ...*Verifier) ([]string, error) {
	if e == nil || e.PayloadType == "" {
		return nil, fmt.Errorf("%w: missing payloadType", ErrMalformedEnvelope)
	}
	if len(e.Signatures) == 0 {
		return nil, fmt.Errorf("%w: no signatures", ErrMalformedEnvelope)
	}
	trusted, err := distinctKeys(verifiers)
	if err != nil {
		return nil, err
	}
	if threshold < 1 || threshold > len(trusted) {
		return nil, fmt.Errorf("%w: %d with %d distinct trusted keys", ErrInvalidThreshold, threshold, len(trusted))
	}
	pae := PAE(e.PayloadType, e.Payload)
	var accepted []string
	done := make(map[string]bool)
	terr := &ThresholdError{Threshold: threshold}
	for i, sig := range e.Signatures {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		id, err := verifyOne(ctx, pae, sig, trusted, done)
		switch {
		case err != nil:
			terr.Rejected = append(terr.Rejected, &SignatureError{Index: i, KeyID: sig.KeyID, Err: err})
		case id != "":
			done[id] = true
			accepted = append(accepted, id)
		}
	}
	if len(accepted) < threshold {
		terr.Accepted = accepted
		return nil, terr
	}
	return accepted, nil
}

// verifyOne returns the key id that newly accepts sig, "" if sig is by a key that
// already counted, or why sig was not accepted.
func verifyOne(ctx context.Context, pae []byte, sig Signature, trusted []*Verifier, done map[string]bool) (string, error) {
	if sig.KeyID != "" {
		if done[sig.KeyID] {
			return "", nil
		}
		for _, v := range trusted {
			if v.keyID != sig.KeyID {
				continue
			}
			if err := v.verifyPAE(ctx, pae, sig.Sig); err != nil {
				return "", fmt.Errorf("%w: %w", ErrInvalidSignature, err)
			}
			return v.keyID, nil
		}
		return "", ErrUnknownKey
	}
	for _, v := range trusted {
		if v.verifyPAE(ctx, pae, sig.Sig) == nil {
			if done[v.keyID] {
				return "", nil
			}
			return v.keyID, nil
		}
	}
	return "", fmt.Errorf("%w: no trusted key verifies it", ErrUnknownKey)
}

// distinctKeys drops verifiers whose key id repeats an earlier one.
func distinctKeys(verifiers []*Verifier) ([]*Verifier, error) {
	seen := make(map[string]bool, len(verifiers))
	var out []*Verifier
	for i, v := range verifiers {
		if v == nil {
			return nil, fmt.Errorf("verifying envelope: verifier %d is nil", i)
		}
		if !seen[v.keyID] {
			seen[v.keyID] = true
			out = append(out, v)
		}
	}
	return out, nil
}
