package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httpapi"
)

// Handler serves one ledger. Make it with New.
type Handler struct {
	l       ledger.Ledger
	allowed map[string]*sign.Verifier // by key id
	limiter *rateLimiter
	cfg     config
	slots   chan struct{} // one per append in flight
	mux     *http.ServeMux

	// budget holds the bytes of append bodies being read or held (limits.go).
	budget *byteBudget
}

var _ http.Handler = (*Handler)(nil)

// tileDirer is a ledger kept in a local tlog-tiles directory (ledger/posixlog).
type tileDirer interface{ Dir() string }

// New returns the HTTP handler serving l. An append is accepted only as a log entry with
// a valid signature by one of the keys in allow, named by its key id; with an empty allow
// list the server is read-only.
// See the package documentation for the API.
func New(l ledger.Ledger, allow []*sign.Verifier, opts ...Option) (*Handler, error) {
	cfg := defaults()
	if err := cfg.apply(opts); err != nil {
		return nil, fmt.Errorf("making ledger server: %w", err)
	}
	allowed := make(map[string]*sign.Verifier, len(allow))
	for i, v := range allow {
		if v == nil {
			return nil, fmt.Errorf("making ledger server: allowed signer %d is nil", i)
		}
		allowed[v.KeyID()] = v
	}
	if d, ok := l.(tileDirer); ok && cfg.tilesDir == "" {
		cfg.tilesDir = d.Dir()
	}
	h := &Handler{l: l, allowed: allowed, limiter: newRateLimiter(cfg.rate, cfg.burst), cfg: cfg, slots: make(chan struct{}, cfg.maxInflight), mux: http.NewServeMux(),
		budget: newByteBudget(cfg.limits.maxBuffered, cfg.maxBody)}
	h.mux.HandleFunc("POST "+httpapi.AppendPath, h.append)
	h.mux.HandleFunc("GET "+httpapi.CheckpointPath, h.checkpoint)
	h.mux.HandleFunc("POST "+httpapi.TimestampPath, h.timestamp)
	h.mux.HandleFunc("GET "+httpapi.InclusionPath, h.proof(inclusionRoute))
	h.mux.HandleFunc("GET "+httpapi.ConsistencyPath, h.proof(consistencyRoute))
	if lr, ok := l.(ledger.LeafReader); ok {
		h.mux.HandleFunc("GET "+httpapi.EntriesPath, h.entries(lr))
	}
	if cfg.tilesDir != "" {
		if _, err := os.Stat(cfg.tilesDir); err != nil {
			return nil, fmt.Errorf("making ledger server: tiles: %w", err)
		}
		h.mux.Handle("GET "+httpapi.TilePrefix, tileServer{root: filepath.Join(cfg.tilesDir, tileDir)})
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	h.mux.ServeHTTP(w, r)
}

// checkpoint serves GET /checkpoint: the latest signed checkpoint.
func (h *Handler) checkpoint(w http.ResponseWriter, r *http.Request) {
	cp, err := h.l.Checkpoint(r.Context())
	if err != nil {
		h.backendError(w, r, "reading checkpoint", err)
		return
	}
	w.Header().Set("Content-Type", httpapi.CheckpointType)
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(cp)
}

// proofRoute is one of the two proof endpoints: both take two sizes, the second being
// the tree that must exist, and answer a list of hashes.
type proofRoute struct {
	// params names the two sizes in the query.
	params [2]string
	// order refuses a pair of sizes out of order.
	order func(a, b uint64) error
	// prove is the Ledger method that makes the proof.
	prove func(l ledger.Ledger, ctx context.Context, a, b uint64) ([]tlog.Hash, error)
	// doing names the proof in errors.
	doing string
}

// inclusionRoute serves GET /proof/inclusion?index=I&size=N.
var inclusionRoute = proofRoute{
	params: [2]string{httpapi.IndexParam, httpapi.SizeParam},
	order: func(index, size uint64) error {
		if index >= size {
			return fmt.Errorf("index %d is not below size %d", index, size)
		}
		return nil
	},
	prove: ledger.Ledger.InclusionProof,
	doing: "inclusion proof",
}

// consistencyRoute serves GET /proof/consistency?old=M&new=N.
var consistencyRoute = proofRoute{
	params: [2]string{httpapi.OldParam, httpapi.NewParam},
	order: func(oldSize, newSize uint64) error {
		if oldSize > newSize {
			return fmt.Errorf("old size %d is above new size %d", oldSize, newSize)
		}
		return nil
	},
	prove: ledger.Ledger.ConsistencyProof,
	doing: "consistency proof",
}

// proof serves the route: the two sizes as canonical decimals, in order, the second
// within the latest checkpoint (else 400), then the proof.
func (h *Handler) proof(route proofRoute) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		a, err1 := parseUint(q, route.params[0])
		b, err2 := parseUint(q, route.params[1])
		err := errors.Join(err1, err2)
		if err == nil {
			err = route.order(a, b)
		}
		if err != nil {
			refuse(w, http.StatusBadRequest, err.Error())
			return
		}
		if !h.sizeKnown(w, r, b) {
			return
		}
		p, err := route.prove(h.l, r.Context(), a, b)
		if err != nil {
			h.backendError(w, r, route.doing, err)
			return
		}
		writeProof(w, p)
	}
}

// sizeKnown answers 400 and returns false when size is beyond the latest checkpoint, so
// that a backend error on a size that exists is not mistaken for bad input.
func (h *Handler) sizeKnown(w http.ResponseWriter, r *http.Request, size uint64) bool {
	cp, err := h.l.Checkpoint(r.Context())
	if err != nil {
		h.backendError(w, r, "reading checkpoint", err)
		return false
	}
	head, err := ledger.ReadHeadUnverified(cp)
	if err != nil {
		h.backendError(w, r, "reading checkpoint", err)
		return false
	}
	if have := head.Size; size > have {
		refuse(w, http.StatusBadRequest, fmt.Sprintf("size %d is beyond the latest checkpoint's %d", size, head.Size))
		return false
	}
	return true
}

func parseUint(q map[string][]string, name string) (uint64, error) {
	v := q[name]
	if len(v) != 1 {
		return 0, fmt.Errorf("want exactly one %s parameter", name)
	}
	n, err := strconv.ParseUint(v[0], 10, 64)
	if err != nil || strconv.FormatUint(n, 10) != v[0] {
		return 0, fmt.Errorf("%s %q is not a canonical decimal number", name, v[0])
	}
	return n, nil
}

func writeProof(w http.ResponseWriter, p []tlog.Hash) {
	w.Header().Set("Content-Type", httpapi.ProofType)
	_, _ = w.Write(httpapi.FormatProof(p))
}

// refuse answers a request the server will not carry out, with a one-line reason.
func refuse(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", httpapi.ErrorType)
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg + "\n"))
}

// backendError answers a failure of the ledger: 429 or 503 with Retry-After when it is
// overload or a passing outage, 500 otherwise (logged; the reason is shown only when the
// witness quorum was not met).
func (h *Handler) backendError(w http.ResponseWriter, r *http.Request, doing string, err error) {
	if r.Context().Err() != nil {
		return // the client has gone
	}
	code, retry := classify(err)
	if retry > 0 {
		w.Header().Set(httpapi.RetryAfterHeader, strconv.Itoa(retry))
	}
	switch {
	case errors.Is(err, ledger.ErrQuorum):
		// The witnesses did not cosign within the ledger's bounded wait: the client learns
		// which witnesses answered what (from the public witness policy), and no receipt.
		h.cfg.logger.Warn("ledger server: witness quorum not met", "doing", doing, "path", r.URL.Path, "err", err)
	case code == http.StatusInternalServerError:
		h.cfg.logger.Error("ledger server: backend failure", "doing", doing, "path", r.URL.Path, "err", err)
		refuse(w, code, doing+": internal error")
		return
	}
	refuse(w, code, doing+": "+err.Error())
}

var errAppendTimeout = errors.New("not yet integrated in time")

// classify maps a ledger error to an HTTP status and a Retry-After in seconds (0: none).
func classify(err error) (int, int) {
	switch {
	case isPushback(err):
		return http.StatusTooManyRequests, 1
	case errors.Is(err, errAppendTimeout), errors.Is(err, ledger.ErrClosed), isUnavailable(err):
		return http.StatusServiceUnavailable, 1
	case errors.Is(err, ledger.ErrMalformed):
		return http.StatusBadRequest, 0
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable, 1
	}
	return http.StatusInternalServerError, 0
}
