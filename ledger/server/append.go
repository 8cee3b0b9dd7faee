package server

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"

	"github.com/transparency-dev/tessera"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/evidctl/evidctl/ledger/httpapi"
)

// append serves POST /append: a log entry signed by an allowed key in, the receipt out.
// A body of any other media type is refused with 415 before a byte of it is read: it
// spends nothing of the buffered-bytes budget, and the connection is closed after the
// answer rather than drained of the body.
func (h *Handler) append(w http.ResponseWriter, r *http.Request) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if no := h.mediaType(mt); no != nil {
		w.Header().Set("Connection", "close")
		refuse(w, no.code, no.msg)
		return
	}
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	default:
		w.Header().Set(httpapi.RetryAfterHeader, "1")
		refuse(w, http.StatusServiceUnavailable, "too many appends in flight; retry later")
		return
	}
	body, release, ok := h.readBody(w, r, httpapi.MaxSignedEntrySize)
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
			err = fmt.Errorf("leaf %x... %w after %v; post the same entry again to get its receipt", leaf[:min(6, len(leaf))], errAppendTimeout, h.cfg.appendTimeout)
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

// mediaType refuses, with 415, an append body of media type mt that the server does not
// read: anything but a signed entry, or a bare leaf when WithLeafAppendsUnsafe allows
// it. A DSSE envelope, the append of the transition of issue 12, gets a line of its own
// telling its sender to upgrade.
func (h *Handler) mediaType(mt string) *refusal {
	switch {
	case mt == httpapi.SignedEntryType, mt == httpapi.LeafType && h.cfg.leavesUnsafe:
		return nil
	case mt == httpapi.LeafType:
		return &refusal{http.StatusUnsupportedMediaType, "this server appends only entries signed by an allowed key (Content-Type " + httpapi.SignedEntryType + "), not bare leaves"}
	case mt == httpapi.EnvelopeType:
		return &refusal{http.StatusUnsupportedMediaType, "DSSE envelopes are no longer appended: log entries are tag || commitment, signed by the custodian (Content-Type " + httpapi.SignedEntryType + "); upgrade the client"}
	}
	return &refusal{http.StatusUnsupportedMediaType, "this server appends only entries signed by an allowed key (Content-Type " + httpapi.SignedEntryType + ")"}
}

// authenticate checks an append body of media type mt (one mediaType lets through) and
// returns the leaf to log and its signer, or the refusal.
func (h *Handler) authenticate(ctx context.Context, mt string, body []byte) (authenticated, *refusal) {
	if mt == httpapi.LeafType {
		return authenticated{leaf: body}, nil // the ledger refuses a leaf of the wrong size (400)
	}
	return h.signedEntry(ctx, body)
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
