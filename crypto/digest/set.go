package digest

import (
	"errors"
	"fmt"
	"slices"
)

// Set is several digests of the same content: SHA-256 first, then any extras
// in the order they were requested (or, from [SetFromMap], in the canonical
// order sha512, sha1, md5). Each algorithm appears at most once.
type Set []Digest

// Get returns the digest for algorithm a, if the set has one.
func (s Set) Get(a Algorithm) (Digest, bool) {
	for _, d := range s {
		if d.Algorithm == a {
			return d, true
		}
	}
	return Digest{}, false
}

// SHA256 returns the SHA-256 digest of the set, or the zero Digest if it has
// none.
func (s Set) SHA256() Digest {
	d, _ := s.Get(SHA256)
	return d
}

// Algorithms returns the algorithms of the set, in order.
func (s Set) Algorithms() []Algorithm {
	out := make([]Algorithm, len(s))
	for i, d := range s {
		out[i] = d.Algorithm
	}
	return out
}

// Map returns the set as an in-toto DigestSet: {"sha256": "HEX", ...}.
func (s Set) Map() map[string]string {
	m := make(map[string]string, len(s))
	for _, d := range s {
		m[string(d.Algorithm)] = d.Hex()
	}
	return m
}

// SetFromMap parses an in-toto DigestSet. Every key must be a supported
// algorithm, every value strict lowercase hex of the right length, and
// "sha256" must be present.
func SetFromMap(m map[string]string) (Set, error) {
	for k := range m {
		if _, err := ParseAlgorithm(k); err != nil {
			return nil, fmt.Errorf("digest set: %w", err)
		}
	}
	if _, ok := m[string(SHA256)]; !ok {
		return nil, errors.New("digest set: no sha256 digest")
	}
	var s Set
	for _, a := range algorithms {
		v, ok := m[string(a)]
		if !ok {
			continue
		}
		sum, err := parseHex(a, v)
		if err != nil {
			return nil, fmt.Errorf("digest set: %w", err)
		}
		s = append(s, Digest{Algorithm: a, Sum: sum})
	}
	return s, nil
}

// MismatchError reports that two digests of what should be the same content
// differ. Want is the expected (recorded) value, Got the one computed.
type MismatchError struct {
	Algorithm Algorithm
	Want, Got Digest
}

// Error names the algorithm and both values, e.g.
// "sha256 digest mismatch: want sha256:…, got sha256:…".
func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s digest mismatch: want %s, got %s", e.Algorithm, e.Want, e.Got)
}

// Match checks that s (computed) agrees with want (expected): both must hold
// a SHA-256 digest, and every algorithm present in both must be equal. A
// disagreement returns a [*MismatchError] for the first differing algorithm,
// SHA-256 first. Algorithms present in only one set are ignored.
func (s Set) Match(want Set) error {
	if err := s.check(); err != nil {
		return fmt.Errorf("computed %w", err)
	}
	if err := want.check(); err != nil {
		return fmt.Errorf("expected %w", err)
	}
	for _, a := range algorithms {
		got, ok1 := s.Get(a)
		exp, ok2 := want.Get(a)
		if !ok1 || !ok2 {
			continue
		}
		if !got.Equal(exp) {
			return &MismatchError{Algorithm: a, Want: exp, Got: got}
		}
	}
	return nil
}

// check verifies that s is well formed: valid digests, no repeated
// algorithm, and a SHA-256 digest present.
func (s Set) check() error {
	var seen []Algorithm
	for _, d := range s {
		if err := d.validate(); err != nil {
			return fmt.Errorf("digest set: %w", err)
		}
		if slices.Contains(seen, d.Algorithm) {
			return fmt.Errorf("digest set: %s appears twice", d.Algorithm)
		}
		seen = append(seen, d.Algorithm)
	}
	if !slices.Contains(seen, SHA256) {
		return errors.New("digest set: no sha256 digest")
	}
	return nil
}
