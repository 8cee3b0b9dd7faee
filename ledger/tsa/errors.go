package tsa

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors. Every error of this package that a caller may branch on wraps exactly
// one of these (errors.Is); the typed errors below carry the evidence.
var (
	// ErrMalformed: a token or a TSA's response cannot be read, is larger than
	// MaxTokenSize, has trailing data, is not a TimeStampToken, has not exactly one
	// signer, or does not carry its signing certificate; or a checkpoint note cannot
	// be read.
	ErrMalformed = errors.New("malformed")
	// ErrBadSignature: the token's signature does not verify with the certificate it
	// names: the token was altered.
	ErrBadSignature = errors.New("bad token signature")
	// ErrWrongCheckpoint: the token's message imprint is not the SHA-256 of this
	// checkpoint's body: it covers something else ([ImprintError]).
	ErrWrongCheckpoint = errors.New("token covers another checkpoint")
	// ErrUntrusted: the token's signing certificate does not chain, at the token's time,
	// to the roots of any authority the policy trusts ([UntrustedError]).
	ErrUntrusted = errors.New("untrusted time-stamping authority")
	// ErrNotTimestamping: the signing certificate is not a time-stamping certificate as
	// RFC 3161 section 2.3 requires ([UsageError]).
	ErrNotTimestamping = errors.New("not a time-stamping certificate")
	// ErrRejected: the TSA answered, but did not grant a token ([RejectedError]).
	ErrRejected = errors.New("time-stamp request rejected")
	// ErrNonceMismatch: the TSA's token does not carry the nonce of the request: it is a
	// replay, or answers another request.
	ErrNonceMismatch = errors.New("time-stamp nonce mismatch")
	// ErrExtraTaken: a receipt already carries extra data, and the tlog-proof format has
	// room for one extra line only.
	ErrExtraTaken = errors.New("receipt extra data already set")
	// ErrNoToken: a receipt carries no extra data, so no token.
	ErrNoToken = errors.New("receipt carries no time-stamp token")
)

// ImprintError reports a token whose message imprint is not the one wanted. It wraps
// ErrWrongCheckpoint.
type ImprintError struct {
	// Want is the SHA-256 of the checkpoint body.
	Want []byte
	// Got is the hashed message in the token, under Algorithm.
	Got []byte
	// Algorithm names the token's imprint hash ("SHA-256", ...).
	Algorithm string
}

func (e *ImprintError) Error() string {
	return fmt.Sprintf("token imprint is %s:%x, want SHA-256:%x of the checkpoint body: %v", e.Algorithm, e.Got, e.Want, ErrWrongCheckpoint)
}

func (e *ImprintError) Unwrap() error { return ErrWrongCheckpoint }

// UntrustedError reports a token whose signer chains to no trusted authority. It wraps
// ErrUntrusted.
type UntrustedError struct {
	// Subject and Issuer are the distinguished names of the signing certificate.
	Subject, Issuer string
	// At is the token's time, at which the chain was checked.
	At time.Time
	// Reasons holds, for each authority of the policy in order, why it did not accept.
	Reasons []error
}

func (e *UntrustedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "token signed by %q (issuer %q) at %s: %v", e.Subject, e.Issuer, e.At.UTC().Format(time.RFC3339), ErrUntrusted)
	for _, r := range e.Reasons {
		b.WriteString("; ")
		b.WriteString(r.Error())
	}
	return b.String()
}

func (e *UntrustedError) Unwrap() error { return ErrUntrusted }

// UsageError reports a signing certificate without the key usage RFC 3161 requires. It
// wraps ErrNotTimestamping.
type UsageError struct {
	// Subject is the distinguished name of the signing certificate.
	Subject string
	// Reason says what is wrong.
	Reason string
}

func (e *UsageError) Error() string {
	return fmt.Sprintf("token signer %q: %s: %v", e.Subject, e.Reason, ErrNotTimestamping)
}

func (e *UsageError) Unwrap() error { return ErrNotTimestamping }

// RejectedError reports a TSA's refusal: a PKIStatus other than granted. It wraps
// ErrRejected.
type RejectedError struct {
	// Status is the TSA's status, failure information and text, as the TSA sent them
	// (quoted: they are untrusted text).
	Status string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("the TSA answered %q: %v", e.Status, ErrRejected)
}

func (e *RejectedError) Unwrap() error { return ErrRejected }
