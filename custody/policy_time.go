package custody

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/evidctl/evidctl/ledger/tsa"
)

// The time part of a trust policy: the TSAs whose tokens are trusted time, how far a
// claimed time may stray from its trusted interval, how wide that interval may be, and
// whether every event must have one; and, per signer, its validity window and
// revocation. docs/TRUST.md says how an event's trusted interval is built.

// DefaultMaxSkew is how far an event's claimed time may lie outside its trusted interval
// when the policy sets no maxSkew: the clocks of signers, witnesses and TSAs differ.
const DefaultMaxSkew = 5 * time.Minute

// Duration is a span of time as a trust policy writes it: Go's duration syntax, such as
// "90s", "5m" or "1h30m". It is never negative.
type Duration time.Duration

// MarshalText writes the duration in Go's syntax ("5m0s").
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a duration in Go's syntax; a negative one is an error.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: want Go's syntax, such as 90s, 5m or 1h30m", truncateText(string(b)))
	}
	if v < 0 {
		return fmt.Errorf("duration %q is negative", string(b))
	}
	*d = Duration(v)
	return nil
}

// truncateText shortens hostile text for an error message.
func truncateText(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// Revocation withdraws the policy's trust in a signer's key from Time on: an event whose
// trusted interval ends before Time stays valid; one that may lie after it fails.
type Revocation struct {
	Time   time.Time `json:"time"`
	Reason string    `json:"reason"` // why: "key stolen", "left the lab"
}

// TrustedTSA is an RFC 3161 time-stamping authority whose tokens over log checkpoints the
// policy accepts as trusted time. Tokens of any other TSA are not trusted.
type TrustedTSA struct {
	Name          string `json:"name"`
	Roots         string `json:"roots"`                   // PEM certificates: the trust anchors
	Intermediates string `json:"intermediates,omitempty"` // PEM CA certificates that complete chains

	authority tsa.Authority
}

// AddTSA trusts a time-stamping authority, after parsing its certificates. An empty name
// becomes the common name of its first root; an authority of the same name is replaced.
func (p *Policy) AddTSA(t TrustedTSA) error {
	a, err := tsa.ParseAuthority(t.Name, []byte(t.Roots), []byte(t.Intermediates))
	if err != nil {
		return fmt.Errorf("TSA: %w", err)
	}
	if t.Name == "" {
		t.Name = a.Roots[0].Subject.CommonName
	}
	if strings.TrimSpace(t.Name) == "" {
		return errors.New("TSA: no name given, and its root certificate has no common name")
	}
	a.Name = t.Name
	t.authority = a
	p.TSAs = slices.DeleteFunc(p.TSAs, func(o TrustedTSA) bool { return o.Name == t.Name })
	p.TSAs = append(p.TSAs, t)
	return nil
}

// RevokeSigner revokes the key with id keyID (hex SHA-256 of its public key) from at,
// for reason. It fails when no signer of the policy is trusted by that key.
func (p *Policy) RevokeSigner(keyID string, at time.Time, reason string) error {
	if at.IsZero() {
		return errors.New("revocation: the time is missing")
	}
	if strings.TrimSpace(reason) == "" {
		return errors.New("revocation: give the reason")
	}
	for i := range p.Signers {
		s := &p.Signers[i]
		if s.verifier != nil && s.verifier.KeyID() == keyID {
			s.Revoked = &Revocation{Time: at.UTC(), Reason: reason}
			return nil
		}
	}
	return fmt.Errorf("revocation: no signer of the policy is trusted by key %s", shortKey(keyID))
}

// checkLifecycle checks a signer's validity window and revocation.
func (s *TrustedSigner) checkLifecycle() error {
	switch {
	case !s.ValidFrom.IsZero() && !s.ValidUntil.IsZero() && !s.ValidFrom.Before(s.ValidUntil):
		return fmt.Errorf("validFrom %s is not before validUntil %s", stamp(s.ValidFrom), stamp(s.ValidUntil))
	case s.Revoked != nil && s.Revoked.Time.IsZero():
		return errors.New("the revocation has no time")
	case s.Revoked != nil && strings.TrimSpace(s.Revoked.Reason) == "":
		return errors.New("the revocation gives no reason")
	}
	return nil
}

// maxSkew is the policy's maxSkew, or DefaultMaxSkew.
func (p *Policy) maxSkew() time.Duration {
	if p.MaxSkew == nil {
		return DefaultMaxSkew
	}
	return time.Duration(*p.MaxSkew)
}

// tsaVerifier is the verifier of the policy's TSAs; nil when it lists none.
func (p *Policy) tsaVerifier() (*tsa.Verifier, error) {
	if len(p.TSAs) == 0 {
		return nil, nil
	}
	as := make([]tsa.Authority, len(p.TSAs))
	for i, t := range p.TSAs {
		if len(t.authority.Roots) == 0 { // built by hand, not by AddTSA
			a, err := tsa.ParseAuthority(t.Name, []byte(t.Roots), []byte(t.Intermediates))
			if err != nil {
				return nil, fmt.Errorf("trust policy: TSA %q: %w", t.Name, err)
			}
			t.authority = a
		}
		as[i] = t.authority
	}
	return tsa.NewVerifier(as...)
}

// stamp formats a time for reports and errors: RFC 3339 in UTC, to the second.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
