package custody

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
)

// PolicyMediaType is the media type of a trust policy file.
const PolicyMediaType = "application/vnd.evidctl.trust.v1+json"

// Policy is what a verifier trusts: the logs (origin and note verifier key, with
// witnesses and a quorum), the signers (who they are, and their key or the roots that
// certify them, with their validity and revocation), and the time-stamping authorities
// whose tokens are trusted time, with how trusted time is judged. Verification needs
// nothing else.
type Policy struct {
	Logs    []TrustedLog    `json:"logs"`
	Signers []TrustedSigner `json:"signers"`
	// TSAs are the RFC 3161 authorities whose tokens are trusted time (policy_time.go).
	TSAs []TrustedTSA `json:"tsas,omitempty"`
	// MaxSkew is how far an event's claimed time may lie outside its trusted interval
	// (DefaultMaxSkew when nil).
	MaxSkew *Duration `json:"maxSkew,omitempty"`
	// MaxInterval, when set, bounds the width of an event's trusted interval: a signer
	// citing an old checkpoint widens it.
	MaxInterval *Duration `json:"maxInterval,omitempty"`
	// RequireAnchoredTime makes an event fail unless its trusted interval has both
	// bounds; otherwise an unanchored event is a warning.
	RequireAnchoredTime bool  `json:"requireAnchoredTime,omitempty"`
	Scope               Scope `json:"scope,omitzero"`
}

// Scope says what one bundle may span. By default a bundle may hold events of several
// cases and the same evidence under several item ids, and a report warns of both; a
// policy that forbids them makes each a failed check (RuleCase, RuleEvidence).
type Scope struct {
	// SingleCase: every event that names a case names the same one.
	SingleCase bool `json:"singleCase,omitempty"`
	// UniqueEvidence: no two items have the same SHA-256 (the same evidence acquired
	// twice under two item ids).
	UniqueEvidence bool `json:"uniqueEvidence,omitempty"`
}

// TrustedLog is a log whose checkpoints the policy accepts. Its witnesses are given in
// one of two forms: Witnesses and Quorum (any Quorum of those keys), or WitnessPolicy,
// the witness policy text of Tessera and Sigsum with named witnesses and groups (see
// [ledger.ParseWitnessPolicy]; the same file the log's operator gives `evidctl init
// --witness-policy`, whose URLs a verifier ignores).
type TrustedLog struct {
	Origin        string   `json:"origin"`
	Key           string   `json:"key"`                     // C2SP note verifier key: origin+keyhash+base64
	Witnesses     []string `json:"witnesses,omitempty"`     // note verifier keys of witnesses
	Quorum        int      `json:"quorum,omitempty"`        // witness cosignatures required
	WitnessPolicy string   `json:"witnessPolicy,omitempty"` // witness policy text, instead of Witnesses and Quorum

	policy *ledger.WitnessPolicy // WitnessPolicy, parsed by AddLog
}

// TrustedSigner is a party whose signatures the policy accepts, with the identity an
// event must claim when signed by it. Exactly one of PublicKey and Roots is set. The
// validity window and the revocation are judged over each event's trusted interval,
// never at the time the event claims.
type TrustedSigner struct {
	Party
	PublicKey  string      `json:"publicKey,omitempty"` // PEM
	Roots      string      `json:"roots,omitempty"`     // PEM certificates
	Identity   *Identity   `json:"identity,omitempty"`  // constraints on a certified signer
	ValidFrom  time.Time   `json:"validFrom,omitzero"`  // the key signs nothing before
	ValidUntil time.Time   `json:"validUntil,omitzero"` // the key signs nothing after
	Revoked    *Revocation `json:"revoked,omitempty"`   // the key is not trusted from then on

	verifier *sign.Verifier
	roots    *x509.CertPool
}

// Identity constrains the certificate of a certified signer; empty fields are not
// checked, and at least one must be set.
type Identity struct {
	Subject string `json:"subject,omitempty"` // subject common name, exact
	URI     string `json:"uri,omitempty"`     // one of the URI SANs
	Email   string `json:"email,omitempty"`   // one of the email SANs
	DNS     string `json:"dns,omitempty"`     // one of the DNS SANs
}

type wirePolicy struct {
	MediaType           string          `json:"mediaType"`
	Logs                []TrustedLog    `json:"logs"`
	Signers             []TrustedSigner `json:"signers"`
	Scope               Scope           `json:"scope,omitzero"`
	TSAs                []TrustedTSA    `json:"tsas,omitempty"`
	MaxSkew             *Duration       `json:"maxSkew,omitempty"`
	MaxInterval         *Duration       `json:"maxInterval,omitempty"`
	RequireAnchoredTime bool            `json:"requireAnchoredTime,omitempty"`
}

// ParsePolicy decodes and checks a trust policy: every key must parse, every log must
// have an origin, quorums must be reachable.
func ParsePolicy(data []byte) (*Policy, error) {
	var w wirePolicy
	if err := decodeFile(bytes.NewReader(data), &w, &w.MediaType, PolicyMediaType, DefaultLimits(), nil); err != nil {
		return nil, fmt.Errorf("trust policy: %w", err)
	}
	if w.MaxInterval != nil && *w.MaxInterval == 0 {
		return nil, errors.New("trust policy: maxInterval is zero: no event could meet it")
	}
	p := &Policy{Scope: w.Scope, MaxSkew: w.MaxSkew, MaxInterval: w.MaxInterval, RequireAnchoredTime: w.RequireAnchoredTime}
	for _, t := range w.TSAs {
		if err := p.AddTSA(t); err != nil {
			return nil, fmt.Errorf("trust policy: %w", err)
		}
	}
	for _, l := range w.Logs {
		if err := p.AddLog(l); err != nil {
			return nil, fmt.Errorf("trust policy: %w", err)
		}
	}
	for _, s := range w.Signers {
		if err := p.AddSigner(s); err != nil {
			return nil, fmt.Errorf("trust policy: %w", err)
		}
	}
	return p, nil
}

// ReadPolicy reads and parses a trust policy file of at most the limits' PolicySize.
func ReadPolicy(path string, opts ...ReadOption) (*Policy, error) {
	l := limitsOf(opts)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading trust policy: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(&cappedReader{r: f, left: l.PolicySize, limit: l.PolicySize})
	if err != nil {
		return nil, fmt.Errorf("reading trust policy %s: %w", path, err)
	}
	p, err := ParsePolicy(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// MarshalJSON encodes the policy in its file format.
func (p *Policy) MarshalJSON() ([]byte, error) {
	w := wirePolicy{MediaType: PolicyMediaType, Logs: p.Logs, Signers: p.Signers, Scope: p.Scope, TSAs: p.TSAs,
		MaxSkew: p.MaxSkew, MaxInterval: p.MaxInterval, RequireAnchoredTime: p.RequireAnchoredTime}
	if w.Logs == nil {
		w.Logs = []TrustedLog{}
	}
	if w.Signers == nil {
		w.Signers = []TrustedSigner{}
	}
	return json.MarshalIndent(w, "", "  ")
}

// WriteFile writes the policy atomically.
func (p *Policy) WriteFile(path string) error {
	data, err := p.MarshalJSON()
	return writeJSONFile(path, data, err)
}

// AddLog adds a trusted log after checking its key and its witnesses (the witness
// policy parses; the quorum can be met); a log with the same origin is replaced.
func (p *Policy) AddLog(l TrustedLog) error {
	if l.Origin == "" {
		return fmt.Errorf("log: origin is empty")
	}
	if l.Quorum < 0 || l.Quorum > len(l.Witnesses) {
		return fmt.Errorf("log %s: quorum %d with %d witnesses", l.Origin, l.Quorum, len(l.Witnesses))
	}
	if l.WitnessPolicy != "" {
		if len(l.Witnesses) > 0 || l.Quorum != 0 {
			return fmt.Errorf("log %s: give either a witness policy or witnesses and a quorum, not both", l.Origin)
		}
		wp, err := ledger.ParseWitnessPolicy([]byte(l.WitnessPolicy))
		if err != nil {
			return fmt.Errorf("log %s: %w", l.Origin, err)
		}
		l.policy = wp
	}
	ll, _ := l.ledgerLog()
	trust := &ledger.Trust{Logs: []ledger.Log{ll}}
	if err := trust.Validate(); err != nil {
		return err
	}
	p.Logs = slices.DeleteFunc(p.Logs, func(o TrustedLog) bool { return o.Origin == l.Origin })
	p.Logs = append(p.Logs, l)
	return nil
}

// ledgerLog is the log as the ledger package verifies it. A witness policy AddLog has not
// parsed is parsed here; ok is false when it does not parse.
func (l TrustedLog) ledgerLog() (_ ledger.Log, ok bool) {
	out := ledger.Log{Origin: l.Origin, VerifierKey: l.Key, Witnesses: l.Witnesses, Quorum: l.Quorum, WitnessPolicy: l.policy}
	if l.WitnessPolicy != "" && out.WitnessPolicy == nil {
		wp, err := ledger.ParseWitnessPolicy([]byte(l.WitnessPolicy))
		if err != nil {
			return out, false
		}
		out.WitnessPolicy = wp
	}
	return out, true
}

// AddSigner adds a trusted signer after checking its key or roots. A signer with the
// same key replaces the earlier entry.
func (p *Policy) AddSigner(s TrustedSigner) error {
	if s.Name == "" {
		return fmt.Errorf("signer: name is empty")
	}
	if err := s.Party.Validate(); err != nil {
		return fmt.Errorf("signer %q: %w", s.Name, err)
	}
	if err := s.Party.checkText(); err != nil {
		return fmt.Errorf("signer: %w", err)
	}
	if err := s.checkLifecycle(); err != nil {
		return fmt.Errorf("signer %q: %w", s.Name, err)
	}
	switch {
	case s.PublicKey != "" && s.Roots == "":
		v, err := sign.LoadVerifier([]byte(s.PublicKey))
		if err != nil {
			return fmt.Errorf("signer %q: public key: %w", s.Name, err)
		}
		s.verifier = v
	case s.Roots != "" && s.PublicKey == "":
		pool, err := certPool([]byte(s.Roots))
		if err != nil {
			return fmt.Errorf("signer %q: roots: %w", s.Name, err)
		}
		if s.Identity == nil || *s.Identity == (Identity{}) {
			return fmt.Errorf("signer %q: certificate roots need identity constraints", s.Name)
		}
		s.roots = pool
	default:
		return fmt.Errorf("signer %q: give exactly one of publicKey and roots", s.Name)
	}
	if s.verifier != nil {
		p.Signers = slices.DeleteFunc(p.Signers, func(o TrustedSigner) bool {
			return o.verifier != nil && o.verifier.KeyID() == s.verifier.KeyID()
		})
	}
	p.Signers = append(p.Signers, s)
	return nil
}

func certPool(pemData []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	for rest := pemData; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", n+1, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("no PEM certificate found")
	}
	return pool, nil
}

// LedgerTrust is the policy's log part, as the ledger package verifies it. A log whose
// witness policy does not parse (AddLog refuses one) is left out: its checkpoints are
// not trusted.
func (p *Policy) LedgerTrust() *ledger.Trust {
	t := &ledger.Trust{}
	for _, l := range p.Logs {
		if ll, ok := l.ledgerLog(); ok {
			t.Logs = append(t.Logs, ll)
		}
	}
	return t
}

// verifierFor finds the trusted signer for an actor and the verifier of its key. A
// signer trusted by key matches on key id; a certified signer matches when the actor's
// certificate chains to its roots at every time of at (the bounds of the event's trusted
// interval: none when it has not both) and meets its identity constraints.
func (p *Policy) verifierFor(a *Actor, at []time.Time) (*TrustedSigner, *sign.Verifier, error) {
	if s := p.signerForKey(a.KeyID); s != nil {
		return s, s.verifier, nil
	}
	if a.Certificate != "" {
		var lastErr error
		for i := range p.Signers {
			s := &p.Signers[i]
			if s.roots == nil {
				continue
			}
			v, err := s.certified(a, at)
			if err != nil {
				lastErr = err
				continue
			}
			if v.KeyID() == a.KeyID {
				return s, v, nil
			}
		}
		if lastErr != nil {
			return nil, nil, fmt.Errorf("certificate of %q is not trusted: %w", a.Name, lastErr)
		}
	}
	return nil, nil, fmt.Errorf("key %s is not trusted by the policy", shortKey(a.KeyID))
}

// errNoTrustedTime: a certificate is judged over an event's trusted interval, and the
// event has no interval with both bounds.
var errNoTrustedTime = errors.New("no trusted time to judge the certificate at: the event's interval lacks a bound (the log needs witnesses or a TSA the policy trusts)")

// certified verifies the actor's certificate against the signer's roots and identity at
// every time of at.
func (s *TrustedSigner) certified(a *Actor, at []time.Time) (*sign.Verifier, error) {
	if len(at) == 0 {
		return nil, errNoTrustedTime
	}
	var v *sign.Verifier
	for _, t := range at {
		var err error
		if v, err = sign.VerifierFromCertificate([]byte(a.Certificate), s.roots, nil, sign.Identity(*s.Identity), t); err != nil {
			return nil, fmt.Errorf("at %s: %w", stamp(t), err)
		}
	}
	return v, nil
}

// signerForKey is the policy's entry for the key with id keyID, or nil.
func (p *Policy) signerForKey(keyID string) *TrustedSigner {
	for i := range p.Signers {
		if s := &p.Signers[i]; s.verifier != nil && s.verifier.KeyID() == keyID {
			return s
		}
	}
	return nil
}

// Signer is the policy's entry for the key with id keyID (a signer trusted by key; a
// certified signer is found only through its certificate).
func (p *Policy) Signer(keyID string) (TrustedSigner, bool) {
	if s := p.signerForKey(keyID); s != nil {
		return *s, true
	}
	return TrustedSigner{}, false
}

// matches reports how a party named in an event (its actor or counterparty) differs
// from the trusted signer.
func (s *TrustedSigner) matches(a *Party) error {
	if m := s.Party.Mismatch(*a); m != "" {
		return errors.New(m + " (the policy's entry)")
	}
	return nil
}

// Mismatch says how claim differs from p, in the fields p sets: `name "X" where "Y" is
// known for this key`, or "" when it does not. Names and
// organisations compare in Unicode normalisation form C; a field p leaves empty is not
// compared.
func (p Party) Mismatch(claim Party) string {
	type field struct{ name, want, got string }
	for _, f := range []field{
		{"name", p.Name, claim.Name},
		{"organization", p.Organization, claim.Organization},
		{"role", p.Role, claim.Role},
		{"jurisdiction", p.Jurisdiction, claim.Jurisdiction},
	} {
		if f.want != "" && !sameName(f.want, f.got) {
			return fmt.Sprintf("%s %q where %q is known for this key", f.name, f.got, f.want)
		}
	}
	return ""
}

func shortKey(id string) string {
	if len(id) > 16 {
		return id[:16]
	}
	return id
}
