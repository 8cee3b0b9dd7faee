package digest

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
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

// Equal reports whether s and o hold the same algorithms with equal sums,
// in any order. Two empty sets are not equal: they prove nothing.
func (s Set) Equal(o Set) bool {
	if len(s) == 0 || len(s) != len(o) {
		return false
	}
	for _, d := range s {
		od, ok := o.Get(d.Algorithm)
		if !ok || !d.Equal(od) {
			return false
		}
	}
	return true
}

// String returns the digests of the set as "ALGORITHM:HEX" separated by
// spaces, sorted by algorithm name as the JSON form is:
// "md5:… sha256:…". An empty set formats as "".
func (s Set) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = d.String()
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// MarshalJSON encodes the set as an in-toto DigestSet, {"md5":"HEX",
// "sha256":"HEX"}, keys sorted: the bytes encoding/json writes for the
// same map. A nil set encodes as null. A malformed digest or a repeated
// algorithm is an error.
func (s Set) MarshalJSON() ([]byte, error) {
	if s == nil {
		return []byte("null"), nil
	}
	for i, d := range s {
		if err := d.validate(); err != nil {
			return nil, fmt.Errorf("digest set: %w", err)
		}
		if slices.ContainsFunc(s[:i], func(o Digest) bool { return o.Algorithm == d.Algorithm }) {
			return nil, fmt.Errorf("digest set: %s appears twice", d.Algorithm)
		}
	}
	// The bytes json.Marshal(s.Map()) writes, without its reflection and sorting:
	// algorithm names and lowercase hex need no escaping.
	sorted := slices.SortedFunc(slices.Values(s), func(a, b Digest) int { return strings.Compare(string(a.Algorithm), string(b.Algorithm)) })
	b := make([]byte, 0, 2+len(s)*(len(`"sha512":"",`)+2*sha512.Size))
	b = append(b, '{')
	for i, d := range sorted {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, d.Algorithm...)
		b = append(b, `":"`...)
		b = hex.AppendEncode(b, d.Sum)
		b = append(b, '"')
	}
	return append(b, '}'), nil
}

// UnmarshalJSON decodes an in-toto DigestSet with the rules of
// [SetFromMap] (supported algorithms, strict lowercase hex of the right
// length, sha256 present), and also refuses null, a value that is not a
// string and a repeated key. The set is in canonical order: sha256, sha512,
// sha1, md5.
func (s *Set) UnmarshalJSON(data []byte) error {
	m, err := decodeDigestObject(data)
	if err != nil {
		return fmt.Errorf("digest set: %w", err)
	}
	set, err := SetFromMap(m)
	if err != nil {
		return err
	}
	*s = set
	return nil
}

// decodeDigestObject reads a JSON object whose values are all strings,
// refusing repeated keys (which encoding/json would silently collapse).
func decodeDigestObject(data []byte) (map[string]string, error) {
	if m, ok := plainObject(data); ok {
		return m, nil
	}
	return readDigestObject(data)
}

// readDigestObject is decodeDigestObject with encoding/json's decoder, for any input.
func readDigestObject(data []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object of algorithm names and hex digests")
	}
	m := map[string]string{}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, errors.New("malformed JSON object")
		}
		name := key.(string) // object keys are always strings
		val, err := dec.Token()
		hexSum, ok := val.(string)
		if err != nil || !ok {
			return nil, fmt.Errorf("the value of %s is not a string", quote(name))
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("%s appears twice", quote(name))
		}
		m[name] = hexSum
	}
	if _, err := dec.Token(); err != nil {
		return nil, errors.New("malformed JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return m, nil
}

// plainObject reads, without encoding/json's decoder (a statement holds a digest set
// per subject and item, and bundles hold thousands of statements), the common case of
// decodeDigestObject: an object of distinct keys and string values, all printable
// ASCII without escapes. Anything else is not ok, for decodeDigestObject to read or
// refuse as it always has.
func plainObject(data []byte) (map[string]string, bool) {
	i := 0
	skip := func() {
		for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
			i++
		}
	}
	str := func() (string, bool) {
		if i >= len(data) || data[i] != '"' {
			return "", false
		}
		start := i + 1
		for i = start; i < len(data) && data[i] != '"'; i++ {
			if data[i] < 0x20 || data[i] > 0x7e || data[i] == '\\' {
				return "", false
			}
		}
		if i == len(data) {
			return "", false
		}
		i++
		return string(data[start : i-1]), true
	}
	expect := func(c byte) bool {
		skip()
		if i < len(data) && data[i] == c {
			i++
			return true
		}
		return false
	}
	if !expect('{') {
		return nil, false
	}
	m := make(map[string]string, 1)
	for skip(); i < len(data) && data[i] != '}'; skip() {
		if len(m) > 0 && !expect(',') {
			return nil, false
		}
		skip()
		k, ok := str()
		if !ok || !expect(':') {
			return nil, false
		}
		skip()
		v, ok := str()
		if _, dup := m[k]; !ok || dup {
			return nil, false
		}
		m[k] = v
	}
	if !expect('}') {
		return nil, false
	}
	skip()
	return m, i == len(data)
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
