package server

import (
	"context"
	"errors"
	"net/http"

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

// conflict answers 409 with the entry logged first, when err is a conflict.
func conflict(w http.ResponseWriter, err error) bool {
	var ce *ledger.ConflictError
	if !errors.As(err, &ce) {
		return false
	}
	refuse(w, http.StatusConflict, httpapi.FormatConflict(ce))
	return true
}
