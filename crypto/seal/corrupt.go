package seal

import (
	"fmt"
	"strings"
)

// Kinds of corruption, for a report that must say what is wrong with a
// payload. Each wraps [ErrCorrupt], and a [*CorruptError] wraps exactly one
// of them.
//
// The end of a file is ambiguous: a file cut inside its final chunk, or one
// with bytes appended to a short final chunk, has a final chunk that fails
// to authenticate, and is reported as [ErrAltered] (its message says so).
// Only a file that ends where no age file can end is [ErrTruncated], and
// only bytes after a full-length final chunk are [ErrTrailingData].
var (
	// ErrBadHeader: the age header is malformed, too long, or fails its MAC.
	ErrBadHeader error = &corruptKind{"the age header is malformed or fails its MAC"}
	// ErrAltered: a payload chunk fails to authenticate.
	ErrAltered error = &corruptKind{"a payload chunk fails to authenticate"}
	// ErrTruncated: the file ends inside the header or nonce, or after a
	// chunk that is not marked final.
	ErrTruncated error = &corruptKind{"the file is truncated"}
	// ErrTrailingData: data follows the final chunk.
	ErrTrailingData error = &corruptKind{"data follows the final chunk"}
)

// corruptKind is an error that is also [ErrCorrupt].
type corruptKind struct{ msg string }

func (k *corruptKind) Error() string { return k.msg }
func (k *corruptKind) Unwrap() error { return ErrCorrupt }

// CorruptError is the evidence of a sealed payload that is not an intact
// age file: what is wrong and where. It wraps [ErrCorrupt] (through Kind),
// so errors.Is(err, ErrCorrupt) holds, and Err when there is one.
type CorruptError struct {
	// Kind is ErrBadHeader, ErrAltered, ErrTruncated or ErrTrailingData.
	Kind error
	// Offset is the byte offset in the age file of the fault: 0 for the
	// header, the first byte of the chunk at fault, or where the data ends
	// (ErrTruncated) or continues (ErrTrailingData).
	Offset int64
	// Chunk is the index of the payload chunk at fault, from 0 (each chunk
	// holds 64 KiB of plaintext), or -1 for the header and the nonce.
	Chunk int64
	// Detail says more, in words (no key material, no plaintext).
	Detail string
	// Err is the underlying error from age, if any.
	Err error
}

func (e *CorruptError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v: %v", ErrCorrupt, e.Kind)
	if e.Chunk >= 0 {
		fmt.Fprintf(&b, " (chunk %d at offset %d)", e.Chunk, e.Offset)
	} else {
		fmt.Fprintf(&b, " (at offset %d)", e.Offset)
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Kind (itself wrapping ErrCorrupt) and Err.
func (e *CorruptError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// noIdentity classifies an error of age's header decryption that means the
// identities given cannot open the file.
func noIdentity(err error) error { return fmt.Errorf("%w: %w", ErrNoIdentity, err) }
