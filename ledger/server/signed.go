package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httpapi"
)

// refusal is why an append body is not accepted: the status and the one-line reason.
type refusal struct {
	code int
	msg  string
}

// readOnly refuses every append of a server that allows no signer.
var readOnly = &refusal{http.StatusForbidden, "this server accepts no appends (no signer is allowed)"}

// authenticated is an append body that passed: the leaf to log and the key that signed
// it (empty for the unsafe bare-leaf path).
type authenticated struct {
	leaf  []byte
	keyID string
}

// signedEntry authenticates a signed-entry body: the key id must be on the allow list,
// and its key alone is tried. The server sees only the 64-byte entry, never the
// statement.
func (h *Handler) signedEntry(ctx context.Context, body []byte) (authenticated, *refusal) {
	s, err := httpapi.ParseSignedEntry(body)
	if err != nil {
		return authenticated{}, &refusal{http.StatusBadRequest, err.Error()}
	}
	if len(h.allowed) == 0 {
		return authenticated{}, readOnly
	}
	v, ok := h.allowed[s.KeyID]
	if !ok {
		return authenticated{}, &refusal{http.StatusForbidden, "key " + s.KeyID + " is not allowed to append"}
	}
	if err := v.VerifyEntry(ctx, s.Entry, s.Sig); err != nil {
		return authenticated{}, &refusal{http.StatusForbidden, "the entry's signature by key " + s.KeyID + " does not verify"}
	}
	return authenticated{leaf: s.Entry, keyID: s.KeyID}, nil
}

// envelope authenticates a DSSE envelope (the path that goes with ledger.LegacyLeaves):
// every signature must name its key id, there may be at most the configured number, and
// only signatures by allowed keys are verified, each with its one key, stopping at the
// first that fails; the first that verifies authenticates the envelope.
func (h *Handler) envelope(ctx context.Context, body []byte) (authenticated, *refusal) {
	env, err := sign.ParseEnvelope(body)
	if err != nil {
		if unsigned(body) {
			return authenticated{}, &refusal{http.StatusForbidden, "envelope is not signed"}
		}
		return authenticated{}, &refusal{http.StatusBadRequest, "not a DSSE envelope: " + err.Error()}
	}
	if len(h.allowed) == 0 {
		return authenticated{}, readOnly
	}
	if len(env.Signatures) > h.cfg.maxSignatures {
		return authenticated{}, &refusal{http.StatusBadRequest, fmt.Sprintf("envelope has %d signatures, at most %d are accepted", len(env.Signatures), h.cfg.maxSignatures)}
	}
	for i, sig := range env.Signatures {
		if !httpapi.IsKeyID(sig.KeyID) {
			return authenticated{}, &refusal{http.StatusBadRequest, fmt.Sprintf("signature %d has no key id (64 lowercase hex digits)", i)}
		}
	}
	for i, sig := range env.Signatures {
		v, ok := h.allowed[sig.KeyID]
		if !ok {
			continue
		}
		one := &sign.Envelope{PayloadType: env.PayloadType, Payload: env.Payload, Signatures: []sign.Signature{sig}}
		if _, err := one.Verify(ctx, 1, v); err != nil {
			return authenticated{}, &refusal{http.StatusForbidden, fmt.Sprintf("signature %d by key %s does not verify", i, sig.KeyID)}
		}
		c := env.Commitment()
		return authenticated{leaf: c[:], keyID: sig.KeyID}, nil
	}
	return authenticated{}, &refusal{http.StatusForbidden, "envelope is not signed by a key allowed to append"}
}

// conflict answers 409 with the entry logged first, when err is a conflict.
func conflict(w http.ResponseWriter, err error) bool {
	var ce *ledger.ConflictError
	if !errors.As(err, &ce) {
		return false
	}
	refuse(w, http.StatusConflict, httpapi.FormatConflict(ce))
	return true
}
