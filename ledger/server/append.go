package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"

	"github.com/transparency-dev/tessera"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger/httpapi"
)

// append serves POST /append: a DSSE envelope signed by an allowed key in, the receipt of
// its commitment out.
func (h *Handler) append(w http.ResponseWriter, r *http.Request) {
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	default:
		w.Header().Set(httpapi.RetryAfterHeader, "1")
		refuse(w, http.StatusServiceUnavailable, "too many appends in flight; retry later")
		return
	}
	body, release, ok := h.readBody(w, r, h.cfg.maxBody)
	if !ok {
		return
	}
	defer release()
	leaf, code, msg := h.leaf(r, body)
	if code != 0 {
		refuse(w, code, msg)
		return
	}
	ctx, cancel := context.WithTimeoutCause(r.Context(), h.cfg.appendTimeout, errAppendTimeout)
	defer cancel()
	rcpt, err := h.l.Append(ctx, leaf)
	if err != nil {
		if context.Cause(ctx) == errAppendTimeout {
			err = fmt.Errorf("leaf %x... %w after %v; post the same envelope again to get its receipt", leaf[:min(6, len(leaf))], errAppendTimeout, h.cfg.appendTimeout)
		}
		h.backendError(w, r, "appending", err)
		return
	}
	text, err := rcpt.MarshalText()
	if err != nil {
		h.backendError(w, r, "encoding receipt", err)
		return
	}
	w.Header().Set("Content-Type", httpapi.ReceiptType)
	_, _ = w.Write(text)
}

// leaf authenticates an append body and returns the leaf to log, or the status and reason
// to refuse it with.
func (h *Handler) leaf(r *http.Request, body []byte) ([]byte, int, string) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == httpapi.LeafType {
		if !h.cfg.leavesUnsafe {
			return nil, http.StatusUnsupportedMediaType, "this server appends only DSSE envelopes signed by an allowed key (Content-Type " + httpapi.EnvelopeType + "), not bare leaves"
		}
		return body, 0, "" // the ledger refuses a leaf of the wrong size (400)
	}
	env, err := sign.ParseEnvelope(body)
	if err != nil {
		if unsigned(body) {
			return nil, http.StatusForbidden, "envelope is not signed"
		}
		return nil, http.StatusBadRequest, "not a DSSE envelope: " + err.Error()
	}
	if len(h.allow) == 0 {
		return nil, http.StatusForbidden, "this server accepts no appends (no signer is allowed)"
	}
	if _, err := env.Verify(r.Context(), 1, h.allow...); err != nil {
		return nil, http.StatusForbidden, "envelope is not signed by a key allowed to append: " + err.Error()
	}
	c := env.Commitment()
	return c[:], 0, ""
}

// unsigned reports whether body is a JSON object whose signatures list is missing or
// empty, so that an unsigned envelope is refused as unauthenticated rather than malformed.
func unsigned(body []byte) bool {
	var e struct {
		PayloadType string            `json:"payloadType"`
		Signatures  []json.RawMessage `json:"signatures"`
	}
	return json.Unmarshal(body, &e) == nil && e.PayloadType != "" && len(e.Signatures) == 0
}

// isPushback reports overload of the backend: Tessera's pushback, or a Trillian quota.
func isPushback(err error) bool {
	if errors.Is(err, tessera.ErrPushback) {
		return true
	}
	s, ok := status.FromError(err)
	return ok && s.Code() == codes.ResourceExhausted
}

// isUnavailable reports a backend that cannot be reached for now (Trillian restarting).
func isUnavailable(err error) bool {
	s, ok := status.FromError(err)
	return ok && s.Code() == codes.Unavailable
}
