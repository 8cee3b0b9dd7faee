package sign

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Envelopes are read with the semantics of encoding/json/v2: member names match
// exactly (case-sensitive), a name may appear once, unknown members are errors,
// strings must be valid UTF-8. The signature list is read one signature at a time, so
// an envelope with more signatures than allowed is refused as soon as the first one
// too many is seen, however long the rest of it is.

// DefaultMaxSignatures is how many signatures an envelope may carry unless
// [WithMaxSignatures] says otherwise: a custody event has one, a countersigned one a
// few.
const DefaultMaxSignatures = 16

// ParseOption changes a limit of [ParseEnvelope] and [DecodeEnvelope].
type ParseOption func(*parseConfig)

type parseConfig struct {
	maxSignatures int
	uniqueKeys    bool
}

// WithMaxSignatures sets how many signatures an envelope may carry (n ≥ 1); more is
// [ErrTooManySignatures].
func WithMaxSignatures(n int) ParseOption {
	return func(c *parseConfig) {
		if n >= 1 {
			c.maxSignatures = n
		}
	}
}

// WithUniqueKeyIDs refuses an envelope in which two signatures carry the same key id
// (or none): each key signs once, so a verifier never spends more than one signature
// check on one key, however many junk signatures claim it.
func WithUniqueKeyIDs() ParseOption {
	return func(c *parseConfig) { c.uniqueKeys = true }
}

// strictText are the syntactic rules of every envelope read.
var strictText = json.JoinOptions(jsontext.AllowDuplicateNames(false), jsontext.AllowInvalidUTF8(false))

// ParseEnvelope decodes DSSE JSON strictly. It rejects: anything but one JSON
// object; unknown, duplicate or differently-cased field names; a missing or empty
// payloadType; a missing payload; base64 that is not canonical standard padded
// base64 (URL-safe, unpadded, with line breaks or with non-zero padding bits); an
// envelope without signatures or with more than [DefaultMaxSignatures]
// ([ErrTooManySignatures]; see [WithMaxSignatures]); with [WithUniqueKeyIDs], two
// signatures with the same keyid; a signature with a missing or empty sig. A missing keyid
// is read as "". Errors wrap [ErrMalformedEnvelope] and never quote the payload.
func ParseEnvelope(b []byte, opts ...ParseOption) (*Envelope, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(b), strictText)
	e, err := DecodeEnvelope(dec, opts...)
	if err != nil {
		return nil, err
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrMalformedEnvelope)
	}
	return e, nil
}

// DecodeEnvelope reads the next JSON value of dec as an envelope, by the rules of
// [ParseEnvelope]: a document that embeds envelopes (a custody bundle) reads each in
// place, and stops reading at the first thing wrong.
func DecodeEnvelope(dec *jsontext.Decoder, opts ...ParseOption) (*Envelope, error) {
	cfg := parseConfig{maxSignatures: DefaultMaxSignatures}
	for _, o := range opts {
		o(&cfg)
	}
	if dec.PeekKind() != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformedEnvelope)
	}
	var w struct {
		PayloadType *string     `json:"payloadType"`
		Payload     *string     `json:"payload"`
		Signatures  []Signature `json:"signatures"`
	}
	err := json.UnmarshalDecode(dec, &w, strictText, json.RejectUnknownMembers(true),
		json.WithUnmarshalers(json.UnmarshalFromFunc(cfg.decodeSignatures)))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedEnvelope, jsonError(err))
	}
	switch {
	case w.PayloadType == nil || *w.PayloadType == "":
		return nil, fmt.Errorf("%w: missing payloadType", ErrMalformedEnvelope)
	case w.Payload == nil:
		return nil, fmt.Errorf("%w: missing payload", ErrMalformedEnvelope)
	case len(w.Signatures) == 0:
		return nil, fmt.Errorf("%w: no signatures", ErrMalformedEnvelope)
	}
	payload, err := decodeBase64(*w.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %w", ErrMalformedEnvelope, err)
	}
	return &Envelope{PayloadType: *w.PayloadType, Payload: payload, Signatures: w.Signatures}, nil
}

// decodeSignatures reads the signature list one signature at a time.
func (c parseConfig) decodeSignatures(dec *jsontext.Decoder, sigs *[]Signature) error {
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '[':
	default:
		return errors.New("signatures is not an array")
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	keys := map[string]bool{}
	for i := 0; dec.PeekKind() != ']'; i++ {
		if i == c.maxSignatures {
			return fmt.Errorf("%w: more than %d", ErrTooManySignatures, c.maxSignatures)
		}
		s, err := decodeSignature(dec)
		if err != nil {
			return fmt.Errorf("signature %d: %w", i, err)
		}
		if c.uniqueKeys && keys[s.KeyID] {
			return fmt.Errorf("signature %d: a second signature by key %q (a key signs once)", i, truncate(s.KeyID))
		}
		keys[s.KeyID] = true
		*sigs = append(*sigs, s)
	}
	_, err := dec.ReadToken()
	return err
}

func decodeSignature(dec *jsontext.Decoder) (Signature, error) {
	if k := dec.PeekKind(); k != '{' {
		if k == 0 {
			_, err := dec.ReadToken()
			return Signature{}, err
		}
		return Signature{}, errors.New("not a JSON object")
	}
	var raw struct {
		KeyID *string `json:"keyid"`
		Sig   *string `json:"sig"`
	}
	if err := json.UnmarshalDecode(dec, &raw); err != nil {
		return Signature{}, jsonError(err)
	}
	if raw.Sig == nil || *raw.Sig == "" {
		return Signature{}, errors.New("empty sig")
	}
	sig, err := decodeBase64(*raw.Sig)
	if err != nil {
		return Signature{}, fmt.Errorf("sig: %w", err)
	}
	s := Signature{Sig: sig}
	if raw.KeyID != nil {
		s.KeyID = *raw.KeyID
	}
	return s, nil
}

// jsonError says what is wrong in the words of this package: `unknown field "x"`,
// `duplicate field "x"`, `invalid JSON`, or the decoder's own reason.
func jsonError(err error) error {
	var sem *json.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case errors.As(err, &syn) && errors.Is(syn.Err, jsontext.ErrDuplicateName):
		return fmt.Errorf("duplicate field %q", truncate(lastName(syn.JSONPointer)))
	case errors.As(err, &syn):
		return errors.New("invalid JSON")
	case errors.As(err, &sem) && errors.Is(sem.Err, json.ErrUnknownName):
		return fmt.Errorf("unknown field %q", truncate(lastName(sem.JSONPointer)))
	case errors.As(err, &sem) && sem.Err != nil:
		return jsonError(sem.Err)
	case errors.As(err, &sem):
		return fmt.Errorf("cannot unmarshal JSON %s into Go %v at %q", sem.JSONKind, sem.GoType, sem.JSONPointer)
	}
	return err
}

// lastName is the last reference token of a JSON pointer, unescaped.
func lastName(p jsontext.Pointer) string {
	s := string(p)
	s = s[strings.LastIndexByte(s, '/')+1:]
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
}

// decodeBase64 accepts only canonical standard base64: padded, no line breaks, no
// non-zero padding bits. Each byte string has exactly one encoding.
func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("line break in base64")
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, errors.New("not standard base64")
	}
	return b, nil
}

// truncate keeps error messages short when a field name is long.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
