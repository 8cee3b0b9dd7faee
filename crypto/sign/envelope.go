package sign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
)

var (
	// ErrMalformedEnvelope means a DSSE envelope is not well formed: bad JSON, an
	// unknown, duplicate or missing field, bad base64, no signatures, an empty
	// signature. The error names what is wrong.
	ErrMalformedEnvelope = errors.New("malformed DSSE envelope")
	// ErrInvalidSignature means a signature by a trusted key does not verify.
	ErrInvalidSignature = errors.New("signature does not verify")
	// ErrTooManySignatures means an envelope carries more signatures than the
	// parser allows ([WithMaxSignatures]); it is wrapped with [ErrMalformedEnvelope].
	ErrTooManySignatures = errors.New("too many signatures")
	// ErrUnknownKey means a signature names a key id that no trusted verifier has.
	// Such signatures are skipped, not fatal; they appear in [*ThresholdError].
	ErrUnknownKey = errors.New("signature by an untrusted key")
	// ErrInvalidThreshold means [Envelope.Verify] was asked for a threshold below 1
	// or above the number of distinct trusted keys.
	ErrInvalidThreshold = errors.New("invalid threshold")
)

// Envelope is a DSSE envelope (https://github.com/secure-systems-lab/dsse,
// envelope.md). Payload and Sig hold raw bytes; in JSON they are standard base64.
type Envelope struct {
	PayloadType string
	Payload     []byte
	Signatures  []Signature
}

// Signature is one DSSE signature: the signer's [KeyID] and the raw signature over
// [PAE](PayloadType, Payload). Its JSON form is {"keyid": "…", "sig": "<base64>"}.
type Signature struct {
	KeyID string `json:"keyid"`
	Sig   []byte `json:"sig"`
}

// envelopeJSON is the wire form of an Envelope.
type envelopeJSON struct {
	PayloadType string      `json:"payloadType"`
	Payload     string      `json:"payload"`
	Signatures  []Signature `json:"signatures"`
}

// MarshalJSON encodes e as DSSE JSON with standard, padded base64. It has a value
// receiver so that an Envelope held by value in another struct encodes as DSSE too.
func (e Envelope) MarshalJSON() ([]byte, error) {
	sigs := e.Signatures
	if sigs == nil {
		sigs = []Signature{}
	}
	return json.Marshal(envelopeJSON{
		PayloadType: e.PayloadType,
		Payload:     base64.StdEncoding.EncodeToString(e.Payload),
		Signatures:  sigs,
	})
}

// UnmarshalJSON decodes e with the rules of [ParseEnvelope], so that an Envelope
// nested in a larger document is held to the same standard.
func (e *Envelope) UnmarshalJSON(b []byte) error {
	p, err := ParseEnvelope(b)
	if err != nil {
		return err
	}
	*e = *p
	return nil
}

// PAE returns the DSSE pre-authentication encoding of a payload, the bytes every
// signature covers:
//
//	"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
//
// where SP is one space and LEN is the length in bytes as ASCII decimal, no
// leading zeros.
func PAE(payloadType string, payload []byte) []byte {
	b := make([]byte, 0, len("DSSEv1")+len(payloadType)+len(payload)+44)
	b = append(b, "DSSEv1 "...)
	b = strconv.AppendInt(b, int64(len(payloadType)), 10)
	b = append(b, ' ')
	b = append(b, payloadType...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(payload)), 10)
	b = append(b, ' ')
	return append(b, payload...)
}

// Commitment returns SHA-256(PAE(e.PayloadType, e.Payload)): the log leaf of the
// envelope. It does not depend on the signatures, so adding a signature later does
// not change it.
func (e *Envelope) Commitment() [32]byte {
	return sha256.Sum256(PAE(e.PayloadType, e.Payload))
}

// SignEnvelope signs payload as payloadType with every signer, in order, through
// sigstore's DSSE adapter and go-securesystemslib's envelope signer. Each signature
// carries its signer's [KeyID].
func SignEnvelope(ctx context.Context, payloadType string, payload []byte, signers ...*Signer) (*Envelope, error) {
	if payloadType == "" {
		return nil, errors.New("signing envelope: empty payload type")
	}
	if len(signers) == 0 {
		return nil, errors.New("signing envelope: no signers")
	}
	adapters := make([]ssldsse.Signer, len(signers))
	for i, s := range signers {
		if s == nil {
			return nil, fmt.Errorf("signing envelope: signer %d is nil", i)
		}
		adapters[i] = s.adapter()
	}
	es, err := ssldsse.NewEnvelopeSigner(adapters...)
	if err != nil {
		return nil, fmt.Errorf("making envelope signer: %w", err)
	}
	signed, err := es.SignPayload(ctx, payloadType, payload)
	if err != nil {
		return nil, fmt.Errorf("signing envelope: %w", err)
	}
	e := &Envelope{PayloadType: payloadType, Payload: bytes.Clone(payload)}
	for _, s := range signed.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			return nil, fmt.Errorf("decoding signature of key %s: %w", s.KeyID, err)
		}
		e.Signatures = append(e.Signatures, Signature{KeyID: s.KeyID, Sig: sig})
	}
	return e, nil
}

// AddSignature signs e with s and appends the signature. It refuses a key that has
// already signed e. The [Envelope.Commitment] does not change.
func (e *Envelope) AddSignature(ctx context.Context, s *Signer) error {
	if s == nil {
		return errors.New("adding a signature: nil signer")
	}
	if e.PayloadType == "" {
		return fmt.Errorf("%w: missing payloadType", ErrMalformedEnvelope)
	}
	for _, sig := range e.Signatures {
		if sig.KeyID == s.KeyID() {
			return fmt.Errorf("adding a signature: the envelope is already signed by key %s", s.KeyID())
		}
	}
	sig, err := s.adapter().Sign(ctx, PAE(e.PayloadType, e.Payload))
	if err != nil {
		return err
	}
	e.Signatures = append(e.Signatures, Signature{KeyID: s.KeyID(), Sig: sig})
	return nil
}

// adapter returns the signer as a go-securesystemslib dsse.Signer: sigstore's
// SignerAdapter over a signer that checks external signatures.
func (s *Signer) adapter() ssldsse.Signer {
	return &sigdsse.SignerAdapter{
		SignatureSigner: checkedSigner{s},
		Pub:             s.Public(),
		PubKeyID:        s.KeyID(),
	}
}
