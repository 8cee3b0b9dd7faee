package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httpapi"
)

// timestamp serves POST /checkpoint/timestamp: one of the log's checkpoints in, the
// RFC 3161 token over it out, when the ledger has a time-stamping authority (a
// ledger.Timestamper, such as one decorated by ledger/tsa). The ledger stamps only its
// latest checkpoint or one it stamped before, so anyone may ask: the TSA sees at most one
// request per checkpoint.
func (h *Handler) timestamp(w http.ResponseWriter, r *http.Request) {
	ts, ok := h.l.(ledger.Timestamper)
	if !ok {
		refuse(w, http.StatusNotFound, "this ledger has no time-stamping authority")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, httpapi.MaxCheckpointSize))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body exceeds %d bytes", httpapi.MaxCheckpointSize))
			return
		}
		refuse(w, http.StatusBadRequest, "reading body: "+err.Error())
		return
	}
	head, err := ledger.ReadHeadUnverified(body)
	if err != nil {
		refuse(w, http.StatusBadRequest, "the body is not a signed checkpoint note")
		return
	}
	if head.Origin != h.l.Origin() {
		refuse(w, http.StatusBadRequest, fmt.Sprintf("the checkpoint is of log %q, not of this log", head.Origin))
		return
	}
	token, err := ts.TimestampCheckpoint(r.Context(), body)
	switch {
	case errors.Is(err, ledger.ErrNoTimestamps):
		refuse(w, http.StatusNotFound, "this ledger has no time-stamping authority")
		return
	case errors.Is(err, ledger.ErrNotLatest):
		refuse(w, http.StatusConflict, "not the log's latest checkpoint; read "+httpapi.CheckpointPath+" again")
		return
	case errors.Is(err, ledger.ErrClosed):
		h.backendError(w, r, "time-stamping", err)
		return
	case err != nil:
		if r.Context().Err() != nil {
			return
		}
		h.cfg.logger.Error("ledger server: time-stamping failed", "path", r.URL.Path, "err", err)
		w.Header().Set(httpapi.RetryAfterHeader, "1")
		refuse(w, http.StatusBadGateway, "the time-stamping authority gave no token; retry later")
		return
	}
	w.Header().Set("Content-Type", httpapi.TokenType)
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(token)
}
