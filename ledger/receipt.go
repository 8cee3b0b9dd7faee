package ledger

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"
)

// receiptHeader is the first line of every C2SP tlog-proof.
const receiptHeader = "c2sp.org/tlog-proof@v1"

// maxProofHashes bounds an inclusion path: a tree of at most 2^64 leaves is 64 levels deep.
const maxProofHashes = 64

// Receipt is the proof that a leaf is in a log: a C2SP tlog-proof
// (https://c2sp.org/tlog-proof, "c2sp.org/tlog-proof@v1").
//
// It is self-contained and verifiable offline with [Trust.VerifyReceipt]; the text form
// ([Receipt.MarshalText], [ParseReceipt]) is what travels in custody bundles.
type Receipt struct {
	// Index is the zero-based position of the leaf in the log.
	Index uint64
	// Extra is opaque, unauthenticated data. The spec allows at most one extra line, so
	// Extra has at most one element; most receipts have none.
	Extra [][]byte
	// Proof is the RFC 6962 inclusion path from the leaf's sibling up to the root's child.
	Proof []tlog.Hash
	// Checkpoint is the signed checkpoint note the proof leads to, verbatim.
	Checkpoint []byte
}

// MarshalText encodes r as C2SP tlog-proof text. It fails with ErrMalformed when r has more
// than one Extra element or a Checkpoint that is empty or does not end in a newline.
func (r *Receipt) MarshalText() ([]byte, error) {
	if len(r.Extra) > 1 {
		return nil, fmt.Errorf("encoding receipt: %d extra data items, the format allows one: %w", len(r.Extra), ErrMalformed)
	}
	if len(r.Proof) > maxProofHashes {
		return nil, fmt.Errorf("encoding receipt: inclusion path of %d hashes exceeds %d: %w", len(r.Proof), maxProofHashes, ErrMalformed)
	}
	if len(r.Checkpoint) == 0 || r.Checkpoint[len(r.Checkpoint)-1] != '\n' {
		return nil, fmt.Errorf("encoding receipt: checkpoint is empty or lacks its final newline: %w", ErrMalformed)
	}
	b := make([]byte, 0, 64+len(r.Proof)*45+len(r.Checkpoint))
	b = append(b, receiptHeader+"\n"...)
	for _, e := range r.Extra {
		b = append(b, "extra "...)
		b = base64.StdEncoding.AppendEncode(b, e)
		b = append(b, '\n')
	}
	b = append(b, "index "...)
	b = strconv.AppendUint(b, r.Index, 10)
	b = append(b, '\n')
	for _, h := range r.Proof {
		b = base64.StdEncoding.AppendEncode(b, h[:])
		b = append(b, '\n')
	}
	b = append(b, '\n')
	return append(b, r.Checkpoint...), nil
}

// String returns the receipt's text form, or a description of why it has none.
func (r *Receipt) String() string {
	b, err := r.MarshalText()
	if err != nil {
		return "invalid receipt: " + err.Error()
	}
	return string(b)
}

// ParseReceipt parses C2SP tlog-proof text strictly. Every departure from the format
// fails with an error wrapping ErrMalformed that names the line: a missing header, more
// than one extra line, a missing or non-canonical index, bad or non-canonical base64, a
// hash that is not 32 bytes, a missing blank line, or a checkpoint that is not a
// well-formed signed note (which also rejects trailing garbage). ParseReceipt checks
// syntax only: verify with [Trust.VerifyReceipt].
func ParseReceipt(text []byte) (*Receipt, error) {
	p := lineReader{rest: text}
	if line, ok := p.next(); !ok || string(line) != receiptHeader {
		return nil, malformed(1, "missing header %q", receiptHeader)
	}
	r := &Receipt{}
	line, ok := p.next()
	if ok && bytes.HasPrefix(line, []byte("extra ")) {
		e, err := decodeBase64(line[len("extra "):])
		if err != nil {
			return nil, malformed(p.n, "extra data: %v", err)
		}
		r.Extra = [][]byte{e}
		line, ok = p.next()
	}
	idx, found := bytes.CutPrefix(line, []byte("index "))
	if !ok || !found {
		return nil, malformed(p.n, `want "index <decimal>"`)
	}
	var err error
	if r.Index, err = parseDecimal(idx); err != nil {
		return nil, malformed(p.n, "index: %v", err)
	}
	if r.Proof, err = p.hashes(); err != nil {
		return nil, err
	}
	if _, err := parseNote(p.rest); err != nil {
		return nil, fmt.Errorf("parsing receipt checkpoint (from line %d): %w", p.n+1, err)
	}
	r.Checkpoint = bytes.Clone(p.rest)
	return r, nil
}

// hashes reads inclusion path lines up to and including the blank line.
func (p *lineReader) hashes() ([]tlog.Hash, error) {
	var proof []tlog.Hash
	for {
		line, ok := p.next()
		if !ok {
			return nil, malformed(p.n, "missing blank line before the checkpoint")
		}
		if len(line) == 0 {
			return proof, nil
		}
		if len(proof) == maxProofHashes {
			return nil, malformed(p.n, "inclusion path longer than %d hashes", maxProofHashes)
		}
		h, err := decodeHash(line)
		if err != nil {
			return nil, malformed(p.n, "inclusion path: %v", err)
		}
		proof = append(proof, h)
	}
}

// lineReader splits newline-terminated lines, counting them for error messages.
type lineReader struct {
	rest []byte
	n    int // number of the line last returned, from 1
}

// next returns the next line without its newline; ok is false when no complete line is left.
func (p *lineReader) next() (line []byte, ok bool) {
	line, rest, ok := bytes.Cut(p.rest, []byte("\n"))
	if !ok {
		return nil, false
	}
	p.rest = rest
	p.n++
	return line, true
}

func malformed(line int, format string, args ...any) error {
	return fmt.Errorf("parsing receipt: line %d: %s: %w", line, fmt.Sprintf(format, args...), ErrMalformed)
}

// parseDecimal parses an ASCII decimal with no sign and no leading zeroes.
func parseDecimal(b []byte) (uint64, error) {
	if len(b) == 0 || len(b) > 1 && b[0] == '0' {
		return 0, fmt.Errorf("%q is not a canonical decimal", b)
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a canonical decimal", b)
		}
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is out of range", b)
	}
	return n, nil
}

// decodeBase64 decodes standard, padded base64 and insists on the canonical encoding
// (the decoder in encoding/base64 skips CR and LF, and Strict alone allows neither).
func decodeBase64(b []byte) ([]byte, error) {
	// Strict decoding refuses missing padding and non-zero padding bits but skips line
	// breaks: without line breaks, what it decodes encodes back to exactly b.
	out := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
	n, err := base64.StdEncoding.Strict().Decode(out, b)
	if err != nil || bytes.ContainsAny(b, "\r\n") {
		return nil, fmt.Errorf("%q is not canonical base64", truncate(b))
	}
	return out[:n], nil
}

// decodeHash decodes one base64 SHA-256 hash.
func decodeHash(b []byte) (tlog.Hash, error) {
	raw, err := decodeBase64(b)
	if err != nil {
		return tlog.Hash{}, err
	}
	if len(raw) != tlog.HashSize {
		return tlog.Hash{}, fmt.Errorf("hash is %d bytes, want %d", len(raw), tlog.HashSize)
	}
	return tlog.Hash(raw), nil
}

// truncate shortens b for an error message.
func truncate(b []byte) []byte {
	if len(b) > 64 {
		return append(bytes.Clone(b[:61]), "..."...)
	}
	return b
}
