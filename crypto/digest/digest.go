// Package digest computes and represents the cryptographic digests that pin
// evidence: SHA-256 always, and SHA-512, SHA-1 or MD5 on request for
// exchange with tools and jurisdictions that still expect them.
//
// # Hashing
//
// A [Hasher] is an [io.Writer] that computes SHA-256 plus any extra
// algorithms in a single pass over the data. With more than one algorithm the
// hashes run concurrently, each on its own goroutine, so that hashing a large
// image with four algorithms costs little more wall time than with one:
//
//	h, err := digest.NewHasher(digest.SHA512, digest.MD5)
//	if err != nil {
//		return err
//	}
//	if _, err := io.Copy(h, image); err != nil {
//		h.Sum() // releases the hashing goroutines
//		return err
//	}
//	set := h.Sum() // sha256, sha512, md5 in that order
//
// [Reader] does the same for an [io.Reader] in one call.
//
// # Digests as text
//
// A [Digest] is written "ALGORITHM:HEX", for example
//
//	sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
//
// [Parse] is strict: the algorithm must be one of [SHA256], [SHA512], [SHA1]
// or [MD5], the hex must be lowercase and exactly as long as that algorithm's
// output. Anything else is rejected with an error that names the problem.
// [Digest.Equal] compares in constant time.
//
// # Digest sets
//
// A [Set] holds several digests of the same content, SHA-256 first. Its JSON
// form is the in-toto DigestSet, {"md5": "HEX", "sha256": "HEX"}, with sorted
// keys; decoding it is as strict as [Parse] and requires SHA-256. [Set.Map]
// and [SetFromMap] convert to and from the map. [Set.Match] compares two sets
// the way a verifier should: SHA-256 must be present in both, and every
// algorithm present in both must agree; a disagreement is a [*MismatchError]
// carrying both values. [Set.Equal] asks for the very same digests.
package digest

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// Algorithm names a hash function, as written before the colon of a digest
// and as the key of an in-toto DigestSet.
type Algorithm string

// The supported algorithms. SHA256 is always computed; the others only on
// request. SHA1 and MD5 are broken for collision resistance and are offered
// only for exchange with legacy tools; never rely on them alone.
const (
	SHA256 Algorithm = "sha256"
	SHA512 Algorithm = "sha512"
	SHA1   Algorithm = "sha1"
	MD5    Algorithm = "md5"
)

// algorithms lists every supported algorithm in canonical order.
var algorithms = []Algorithm{SHA256, SHA512, SHA1, MD5}

// Size returns the length in bytes of a's output, or 0 if a is not supported.
func (a Algorithm) Size() int {
	switch a {
	case SHA256:
		return sha256.Size
	case SHA512:
		return sha512.Size
	case SHA1:
		return sha1.Size
	case MD5:
		return md5.Size
	}
	return 0
}

// new returns a fresh hash for a, which must be supported.
func (a Algorithm) new() hash.Hash {
	switch a {
	case SHA512:
		return sha512.New()
	case SHA1:
		return sha1.New()
	case MD5:
		return md5.New()
	}
	return sha256.New()
}

// ErrUnknownAlgorithm is wrapped by every error about an algorithm name this
// package does not support.
var ErrUnknownAlgorithm = errors.New("unknown digest algorithm")

// ParseAlgorithm returns the Algorithm named s. Names are lowercase:
// "sha256", "sha512", "sha1", "md5".
func ParseAlgorithm(s string) (Algorithm, error) {
	a := Algorithm(s)
	if a.Size() == 0 {
		return "", fmt.Errorf("%w %s (supported: sha256, sha512, sha1, md5)", ErrUnknownAlgorithm, quote(s))
	}
	return a, nil
}

// ParseAlgorithms parses a comma-separated list such as "sha512,sha1,md5",
// as given on a command line. Spaces around names are ignored; an empty
// string yields an empty list. Empty items and repeated names are errors.
func ParseAlgorithms(csv string) ([]Algorithm, error) {
	if strings.TrimSpace(csv) == "" {
		return nil, nil
	}
	var out []Algorithm
	for i, item := range strings.Split(csv, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("digest algorithm list: item %d is empty", i+1)
		}
		a, err := ParseAlgorithm(item)
		if err != nil {
			return nil, fmt.Errorf("digest algorithm list: %w", err)
		}
		for _, seen := range out {
			if seen == a {
				return nil, fmt.Errorf("digest algorithm list: %s is listed twice", a)
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// Digest is the output of one hash function over some content.
type Digest struct {
	Algorithm Algorithm
	Sum       []byte
}

// SHA256Bytes returns the SHA-256 digest of b.
func SHA256Bytes(b []byte) Digest {
	s := sha256.Sum256(b)
	return Digest{Algorithm: SHA256, Sum: s[:]}
}

// Parse parses "ALGORITHM:HEX", for example "sha256:e3b0c442…b855". The
// algorithm must be supported and the hex lowercase and exactly as long as
// the algorithm's output.
func Parse(s string) (Digest, error) {
	name, hexSum, ok := strings.Cut(s, ":")
	if !ok {
		return Digest{}, fmt.Errorf("malformed digest %s: want ALGORITHM:HEX, e.g. sha256:<64 hex digits>", quote(s))
	}
	a, err := ParseAlgorithm(name)
	if err != nil {
		return Digest{}, fmt.Errorf("malformed digest: %w", err)
	}
	sum, err := parseHex(a, hexSum)
	if err != nil {
		return Digest{}, fmt.Errorf("malformed digest %s: %w", quote(s), err)
	}
	return Digest{Algorithm: a, Sum: sum}, nil
}

// parseHex decodes a strict lowercase hex digest value for a.
func parseHex(a Algorithm, s string) ([]byte, error) {
	if want := 2 * a.Size(); len(s) != want {
		return nil, fmt.Errorf("%s value must be %d hex digits, got %d characters", a, want, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return nil, fmt.Errorf("%s value must be lowercase hex; character %d is not", a, i+1)
		}
	}
	return hex.DecodeString(s)
}

// String returns "ALGORITHM:HEX", the form [Parse] accepts. The zero Digest
// formats as "".
func (d Digest) String() string {
	if d.IsZero() {
		return ""
	}
	return string(d.Algorithm) + ":" + d.Hex()
}

// Hex returns the lowercase hex encoding of d.Sum.
func (d Digest) Hex() string { return hex.EncodeToString(d.Sum) }

// Equal reports whether d and o have the same algorithm and sum. The sums are
// compared in constant time. Two zero Digests are not equal: an absent digest
// proves nothing.
func (d Digest) Equal(o Digest) bool {
	if d.IsZero() || o.IsZero() || d.Algorithm != o.Algorithm {
		return false
	}
	return subtle.ConstantTimeCompare(d.Sum, o.Sum) == 1
}

// IsZero reports whether d is the zero Digest (no algorithm, no sum).
func (d Digest) IsZero() bool { return d.Algorithm == "" && len(d.Sum) == 0 }

// MarshalText implements [encoding.TextMarshaler], so a Digest is a JSON
// string. It fails for a Digest whose sum length does not fit its algorithm.
func (d Digest) MarshalText() ([]byte, error) {
	if err := d.validate(); err != nil {
		return nil, err
	}
	return []byte(d.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler] with the rules of
// [Parse].
func (d *Digest) UnmarshalText(b []byte) error {
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

func (d Digest) validate() error {
	size := d.Algorithm.Size()
	if size == 0 {
		return fmt.Errorf("invalid digest: %w %s", ErrUnknownAlgorithm, quote(string(d.Algorithm)))
	}
	if len(d.Sum) != size {
		return fmt.Errorf("invalid digest: %s sum must be %d bytes, got %d", d.Algorithm, size, len(d.Sum))
	}
	return nil
}

// quote quotes s for an error message, shortening very long input.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		return fmt.Sprintf("%q…", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
