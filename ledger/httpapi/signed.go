package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/evidctl/evidctl/ledger"
)

// SignedEntryType is the media type of an append body that carries a log entry signed
// by its custodian: {"entry": base64, "keyid": hex, "sig": base64} (see SignedEntry).
const SignedEntryType = "application/vnd.evidctl.signed-entry.v1+json"

// Limits of a signed entry.
const (
	// MaxSignedEntrySize bounds the body of a signed-entry append: an entry of 64 bytes
	// and one signature (512 bytes for RSA-4096) fit in well under 1 KiB of JSON.
	MaxSignedEntrySize = 4 << 10
	// MaxSignatureSize bounds the signature of a signed entry, decoded.
	MaxSignatureSize = 1 << 10
)

// SignedEntry is the body of a signed-entry append: a 64-byte log entry (tag ||
// commitment), the key id of the custodian's key (lowercase hex SHA-256 of its DER
// SubjectPublicKeyInfo) and its signature over the DSSE PAE of the entry under the
// payload type "application/vnd.evidctl.log-entry.v1" (crypto/sign.Signer.SignEntry).
type SignedEntry struct {
	Entry []byte
	KeyID string
	Sig   []byte
}

// Marshal encodes the body: one JSON object, members in the order entry, keyid, sig,
// standard padded base64.
func (s SignedEntry) Marshal() []byte {
	return fmt.Appendf(nil, `{"entry":"%s","keyid":"%s","sig":"%s"}`,
		base64.StdEncoding.EncodeToString(s.Entry), s.KeyID, base64.StdEncoding.EncodeToString(s.Sig))
}

// signedMembers are the members of a signed entry, each required once.
var signedMembers = []string{"entry", "keyid", "sig"}

// ParseSignedEntry reads a signed-entry body strictly: one JSON object with exactly the
// members "entry", "keyid" and "sig" (case-sensitive, each once, nothing else, nothing
// after it), each a string; entry and sig in canonical standard padded base64, entry of
// exactly ledger.EntrySize bytes, sig of 1 to MaxSignatureSize bytes; keyid 64 lowercase
// hex digits. Errors wrap ledger.ErrMalformed and quote nothing of the body.
func ParseSignedEntry(b []byte) (SignedEntry, error) {
	vals, err := stringMembers(b, signedMembers)
	if err != nil {
		return SignedEntry{}, fmt.Errorf("parsing signed entry: %w: %w", err, ledger.ErrMalformed)
	}
	var s SignedEntry
	if s.Entry, err = canonicalBase64(vals["entry"]); err != nil || len(s.Entry) != ledger.EntrySize {
		return SignedEntry{}, fmt.Errorf("parsing signed entry: entry is not %d bytes (tag || commitment) in canonical base64: %w", ledger.EntrySize, ledger.ErrMalformed)
	}
	if s.Sig, err = canonicalBase64(vals["sig"]); err != nil || len(s.Sig) == 0 || len(s.Sig) > MaxSignatureSize {
		return SignedEntry{}, fmt.Errorf("parsing signed entry: sig is not 1 to %d bytes in canonical base64: %w", MaxSignatureSize, ledger.ErrMalformed)
	}
	if s.KeyID = vals["keyid"]; !IsKeyID(s.KeyID) {
		return SignedEntry{}, fmt.Errorf("parsing signed entry: keyid is not 64 lowercase hex digits: %w", ledger.ErrMalformed)
	}
	return s, nil
}

// IsKeyID reports whether id has the form of a key id: 64 lowercase hex digits.
func IsKeyID(id string) bool {
	if len(id) != 64 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

// stringMembers reads one JSON object whose members are exactly names, each once, each
// a string, and returns their values.
func stringMembers(b []byte, names []string) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	out := make(map[string]string, len(names))
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, errors.New("invalid JSON")
		}
		name, _ := t.(string)
		known := false
		for _, n := range names {
			known = known || n == name
		}
		if !known {
			return nil, errors.New("unknown member")
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("member %q given twice", name)
		}
		v, err := dec.Token()
		s, ok := v.(string)
		if err != nil || !ok {
			return nil, fmt.Errorf("member %q is not a string", name)
		}
		out[name] = s
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, errors.New("invalid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			return nil, fmt.Errorf("member %q is missing", n)
		}
	}
	return out, nil
}

// canonicalBase64 decodes standard padded base64 that re-encodes to the same text.
func canonicalBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || base64.StdEncoding.EncodeToString(b) != s {
		return nil, errors.New("not canonical base64")
	}
	return b, nil
}

// FormatConflict is the one-line body of a 409 answer: the server's refusal of an entry
// whose tag is logged with another commitment, naming the entry logged first:
//
//	conflict: tag <64 hex> is already logged at index <decimal> with commitment <64 hex>
func FormatConflict(ce *ledger.ConflictError) string {
	return "conflict: tag " + hex.EncodeToString(ce.Tag[:]) + " is already logged at index " +
		strconv.FormatUint(ce.Index, 10) + " with commitment " + hex.EncodeToString(ce.Commitment[:])
}

// ParseConflict reads a line made by FormatConflict, and nothing else; errors wrap
// ledger.ErrMalformed.
func ParseConflict(line string) (*ledger.ConflictError, error) {
	f := strings.Split(line, " ")
	bad := fmt.Errorf("parsing conflict: not the line FormatConflict makes: %w", ledger.ErrMalformed)
	if len(f) != 12 || strings.Join([]string{f[0], f[1], f[3], f[4], f[5], f[6], f[7], f[9], f[10]}, " ") != "conflict: tag is already logged at index with commitment" {
		return nil, bad
	}
	ce := &ledger.ConflictError{}
	tag, err1 := hex.DecodeString(f[2])
	commitment, err2 := hex.DecodeString(f[11])
	index, err3 := strconv.ParseUint(f[8], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || len(tag) != ledger.TagSize || len(commitment) != ledger.LeafSize {
		return nil, bad
	}
	ce.Tag, ce.Commitment, ce.Index = [ledger.TagSize]byte(tag), [ledger.LeafSize]byte(commitment), index
	if FormatConflict(ce) != line {
		return nil, bad // upper-case hex, a signed or zero-padded index
	}
	return ce, nil
}
