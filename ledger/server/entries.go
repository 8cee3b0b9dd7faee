package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httpapi"
	bundle "github.com/evidctl/evidctl/ledger/internal/tiles"
)

// entries serves GET /entries?start=S&count=N: the log's entries from index S, N of them
// (1 to httpapi.MaxEntriesPerRequest, within the latest checkpoint), in the entry bundle
// encoding. It is how an auditor reads a log that has no tiles (Trillian); the answer is
// checked by the auditor against a checkpoint, not trusted.
func (h *Handler) entries(lr ledger.LeafReader) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		start, err1 := parseUint(q, httpapi.StartParam)
		count, err2 := parseUint(q, httpapi.CountParam)
		err := errors.Join(err1, err2)
		if err == nil && (count == 0 || count > httpapi.MaxEntriesPerRequest) {
			err = fmt.Errorf("count %d is not between 1 and %d", count, httpapi.MaxEntriesPerRequest)
		}
		if err == nil && start > ^uint64(0)-count {
			err = fmt.Errorf("start %d and count %d overflow", start, count)
		}
		if err != nil {
			refuse(w, http.StatusBadRequest, err.Error())
			return
		}
		if !h.sizeKnown(w, r, start+count) {
			return
		}
		leaves := make([][]byte, 0, count)
		for leaf, err := range lr.ReadLeaves(r.Context(), start, start+count) {
			if err != nil {
				h.backendError(w, r, "reading entries", err)
				return
			}
			leaves = append(leaves, leaf)
		}
		body, err := bundle.Join(leaves)
		if err != nil {
			h.backendError(w, r, "encoding entries", err)
			return
		}
		w.Header().Set("Content-Type", httpapi.EntriesType)
		_, _ = w.Write(body)
	}
}
