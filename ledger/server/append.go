package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"

	"github.com/transparency-dev/tessera"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httpapi"
)

// append serves POST /append: a log entry signed by an allowed key (or, while
// ledger.LegacyLeaves holds, a DSSE envelope signed by one) in, the receipt out.
func (h *Handler) append(w http.ResponseWriter, r *http.Request) {
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	default:
		w.Header().Set(httpapi.RetryAfterHeader, "1")
		refuse(w, http.StatusServiceUnavailable, "too many appends in flight; retry later")
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	limit := h.cfg.maxBody
	if mt == httpapi.SignedEntryType {
		limit = min(limit, httpapi.MaxSignedEntrySize)
	}
	body, release, ok := h.readBody(w, r, limit)
	if !ok {
		return
	}
	defer release()
	in, no := h.authenticate(r.Context(), mt, body)
	if no != nil {
		refuse(w, no.code, no.msg)
		return
	}
	if ok, wait := h.limiter.take(in.keyID); !ok {
		w.Header().Set(httpapi.RetryAfterHeader, strconv.Itoa(int(wait.Seconds())+1))
		refuse(w, http.StatusTooManyRequests, "too many appends by key "+in.keyID+"; retry later")
		return
	}
	leaf := in.leaf
	ctx, cancel := context.WithTimeoutCause(r.Context(), h.cfg.appendTimeout, errAppendTimeout)
	defer cancel()
	rcpt, err := h.l.Append(ctx, leaf)
	if conflict(w, err) {
		return
	}
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

// authenticate checks an append body of media type mt and returns the leaf to log and
// its signer, or the refusal.
func (h *Handler) authenticate(ctx context.Context, mt string, body []byte) (authenticated, *refusal) {
	switch {
	case mt == httpapi.LeafType && h.cfg.leavesUnsafe:
		return authenticated{leaf: body}, nil // the ledger refuses a leaf of the wrong size (400)
	case mt == httpapi.LeafType:
		return authenticated{}, &refusal{http.StatusUnsupportedMediaType, "this server appends only entries signed by an allowed key (Content-Type " + httpapi.SignedEntryType + "), not bare leaves"}
	case mt == httpapi.SignedEntryType:
		return h.signedEntry(ctx, body)
	case ledger.LegacyLeaves:
		return h.envelope(ctx, body)
	}
	return authenticated{}, &refusal{http.StatusUnsupportedMediaType, "this server appends only entries signed by an allowed key (Content-Type " + httpapi.SignedEntryType + ")"}
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
