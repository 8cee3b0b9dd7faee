package custody

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/internal/atomicfile"
)

// The three JSON documents of custody — statements, bundles and trust policies — are
// read strictly and written atomically in the same way.
//
// Reading has the semantics of encoding/json/v2 (github.com/go-json-experiment/json):
// a member name matches one field exactly, case included ("Actor" is not "actor");
// a name appears once in an object; a name no field has is an error; strings are
// valid UTF-8; exactly one JSON value, nothing after it. Two readers of the same
// bytes therefore cannot see two different documents. Base64 is canonical wherever it
// appears (consistency hashes here, envelopes in crypto/sign, receipts in ledger):
// each value has one encoding. Writing is unchanged (encoding/json), byte for byte.

// strictOptions are the rules of every custody document read; the unmarshalers read
// what needs more than the defaults (canonical hashes, envelopes and event lists under
// the limits).
//
// The options of a Limits are built once (strictCache): built afresh, they came with an
// empty cache of the decoder's per-type functions, which a bundle's every statement
// then filled again.
func strictOptions(l Limits) json.Options {
	strictCache.Lock()
	defer strictCache.Unlock()
	if o, ok := strictCache.byLimits[l]; ok {
		return o
	}
	o := strictOptionsFor(l, nil)
	if len(strictCache.byLimits) < maxStrictCache {
		strictCache.byLimits[l] = o
	}
	return o
}

// strictCache holds strictOptions for the first maxStrictCache Limits asked for (a
// program uses one or two; past that they are built for each call, as before).
var strictCache = struct {
	sync.Mutex
	byLimits map[Limits]json.Options
}{byLimits: make(map[Limits]json.Options)}

const maxStrictCache = 16

// strictOptionsFor is strictOptions with each called on every bundle event as soon as
// it is read (decodeRecords).
func strictOptionsFor(l Limits, each func(*wireRecord)) json.Options {
	records := func(dec *jsontext.Decoder, rs *[]wireRecord) error { return l.decodeRecords(dec, rs, each) }
	return json.JoinOptions(
		jsontext.AllowDuplicateNames(false),
		jsontext.AllowInvalidUTF8(false),
		json.RejectUnknownMembers(true),
		json.MatchCaseInsensitiveNames(false),
		json.WithUnmarshalers(json.JoinUnmarshalers(
			json.UnmarshalFromFunc(decodeHash),
			json.UnmarshalFromFunc(l.decodeEnvelope),
			json.UnmarshalFromFunc(records),
		)),
	)
}

// decodeStrict decodes exactly one JSON value from r into v by the strict rules.
// Reading stops at the first error, so a hostile document costs what was read.
func decodeStrict(r io.Reader, v any, l Limits) error {
	return jsonError(json.UnmarshalRead(r, v, strictOptions(l)))
}

// decodeFile decodes a bundle or policy file strictly into v, whose mediaType field
// (decoded into *mediaType) must be want; each, when not nil, is called on every
// bundle event as soon as it is read.
func decodeFile(r io.Reader, v any, mediaType *string, want string, l Limits, each func(*wireRecord)) error {
	if err := jsonError(json.UnmarshalRead(r, v, strictOptionsFor(l, each))); err != nil {
		return err
	}
	return checkType("mediaType", *mediaType, want)
}

// checkType refuses a document whose type field (mediaType, _type, predicateType) is
// not want.
func checkType(field, got, want string) error {
	if got != want {
		return fmt.Errorf("%s is %q, want %q", field, got, want)
	}
	return nil
}

// decodeHash reads an RFC 6962 hash as canonical, padded standard base64 (tlog.Hash's
// own decoder accepts non-zero padding bits: two spellings of one hash). A bundle holds
// one per level of every consistency proof, so the common case, a string without
// escapes, is decoded in place.
func decodeHash(dec *jsontext.Decoder, h *tlog.Hash) error {
	if dec.PeekKind() != '"' {
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
		return errors.New("a hash is a base64 string")
	}
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	s := []byte(raw[1 : len(raw)-1])
	if bytes.IndexByte(s, '\\') >= 0 {
		if s, err = jsontext.AppendUnquote(nil, raw); err != nil {
			return err
		}
	}
	// Strict decoding refuses non-zero padding bits but skips line breaks; without
	// them, 44 characters that decode are the one encoding of 32 bytes.
	var buf [33]byte
	if len(s) != 44 || bytes.ContainsAny(s, "\r\n") {
		return errHashEncoding
	}
	if n, err := base64.StdEncoding.Strict().Decode(buf[:], s); err != nil || n != len(h) {
		return errHashEncoding
	}
	copy(h[:], buf[:len(h)])
	return nil
}

var errHashEncoding = errors.New("a hash is 32 bytes in canonical base64")

// jsonError makes the decoder's error readable: what is wrong, then where (a JSON
// pointer), without the decoder's package name.
func jsonError(err error) error {
	var sem *json.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &syn):
		return &FormatError{Pointer: string(syn.JSONPointer), Err: syn.Err}
	case errors.As(err, &sem) && errors.Is(sem.Err, json.ErrUnknownName):
		p, name := splitPointer(sem.JSONPointer)
		return &FormatError{Pointer: p, Err: fmt.Errorf("unknown member %q", name)}
	case errors.As(err, &sem) && sem.Err != nil:
		var fe *FormatError
		if errors.As(sem.Err, &fe) {
			return fe
		}
		return &FormatError{Pointer: string(sem.JSONPointer), Err: sem.Err}
	case errors.As(err, &sem):
		what := "a JSON " + sem.JSONKind.String()
		if sem.JSONKind == 0 {
			what = "this value"
		}
		return &FormatError{Pointer: string(sem.JSONPointer), Err: fmt.Errorf("%s cannot be read as %s", what, goType(sem))}
	}
	return err
}

func goType(sem *json.SemanticError) string {
	if sem.GoType == nil {
		return "the expected type"
	}
	return sem.GoType.String()
}

// splitPointer splits a JSON pointer into its parent and last member name.
func splitPointer(p jsontext.Pointer) (string, string) {
	s := string(p)
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return "", s
	}
	return s[:i], strings.NewReplacer("~1", "/", "~0", "~").Replace(s[i+1:])
}

// FormatError is a document that does not have the format: what is wrong and where,
// as a JSON pointer ("/predicate/actor"; "" for the document itself).
type FormatError struct {
	Pointer string
	Err     error
}

func (e *FormatError) Error() string {
	if e.Pointer == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("%s (at %s)", e.Err, e.Pointer)
}

// Unwrap returns what is wrong.
func (e *FormatError) Unwrap() error { return e.Err }

// decodeEnvelope reads a DSSE envelope in place, with crypto/sign's rules and at most
// l.Signatures signatures.
func (l Limits) decodeEnvelope(dec *jsontext.Decoder, e *sign.Envelope) error {
	env, err := sign.DecodeEnvelope(dec, sign.WithMaxSignatures(l.Signatures), sign.WithUniqueKeyIDs())
	if errors.Is(err, sign.ErrTooManySignatures) {
		return &LimitError{What: "signatures in one envelope", Limit: int64(l.Signatures)}
	}
	if err != nil {
		return err
	}
	*e = *env
	return nil
}

// decodeRecords reads a bundle's events one at a time, calling each (when not nil) on
// every one as soon as it is read, and stops at the first one beyond l.Events.
func (l Limits) decodeRecords(dec *jsontext.Decoder, rs *[]wireRecord, each func(*wireRecord)) error {
	if dec.PeekKind() != '[' {
		return errors.New("events is not an array")
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != ']' {
		if len(*rs) == l.Events {
			return &LimitError{What: "events", Limit: int64(l.Events)}
		}
		var r wireRecord
		if err := json.UnmarshalDecode(dec, &r); err != nil {
			return err
		}
		*rs = append(*rs, r)
		if each != nil {
			each(&r)
		}
	}
	_, err := dec.ReadToken()
	return err
}

// writeJSONFile writes an encoded document and a final newline atomically: a
// temporary file renamed over path when complete.
func writeJSONFile(path string, data []byte, encodeErr error) error {
	if encodeErr != nil {
		return encodeErr
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}

// decodeBytes is decodeStrict over a byte slice.
func decodeBytes(data []byte, v any, l Limits) error {
	return decodeStrict(bytes.NewReader(data), v, l)
}
