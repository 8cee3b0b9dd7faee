package witness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/transparency-dev/witness/witness"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/ledger"
)

// The upstream handler (witness.HTTPHandler) answers most outcomes as C2SP tlog-witness
// says, but not all of them:
//
//	same size, another root   upstream 422; the spec: "409 Conflict"
//	no trusted signature      upstream 500; the spec: "403 Forbidden"
//	unparsable checkpoint     upstream 500; a client error: 400
//
// The witness's own code keeps every decision; this file only watches it decide. Each
// request carries a verdict in its context; the hooks the witness calls with that
// context (VerifierForLog, the log's note.Verifier, and the persistence's atomic Update)
// record what happened, and the response writer corrects the status code from the
// record. The witness itself is never second-guessed: a correction only renames a
// refusal, it never turns one into a cosignature or back.

type verdictKey struct{}

// verdict records how the witness handled one add-checkpoint request.
type verdict struct {
	mu sync.Mutex
	f  facts
}

type facts struct {
	origin       string
	asked        bool   // the witness looked up the checkpoint's origin
	known        bool   // it is a log the witness accepts
	signed       bool   // the log's signature on it verified
	stored       bool   // the witness reached its atomic check-and-update
	conflict     bool   // the stored checkpoint has the same size and another root
	conflictSize uint64 // that size
}

func verdictOf(ctx context.Context) *verdict {
	v, _ := ctx.Value(verdictKey{}).(*verdict)
	if v == nil {
		return &verdict{} // a call from outside a request: record nowhere
	}
	return v
}

func (v *verdict) set(f func(*facts)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	f(&v.f)
}

func (v *verdict) get() facts {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.f
}

// recordingVerifier notes when the log's signature verifies.
type recordingVerifier struct {
	note.Verifier
	v *verdict
}

func (r recordingVerifier) Verify(msg, sig []byte) bool {
	ok := r.Verifier.Verify(msg, sig)
	if ok {
		r.v.set(func(f *facts) { f.signed = true })
	}
	return ok
}

// persistence wraps the witness's state so that a root mismatch is recorded with the
// stored size, inside the transaction that decided it.
type persistence struct {
	witness.LogStatePersistence
}

func (p persistence) Update(ctx context.Context, origin string, f func([]byte) ([]byte, error)) error {
	v := verdictOf(ctx)
	v.set(func(f *facts) { f.stored = true })
	return p.LogStatePersistence.Update(ctx, origin, func(prev []byte) ([]byte, error) {
		next, err := f(prev)
		if errors.Is(err, witness.ErrRootMismatch) && prev != nil {
			if h, herr := ledger.ReadHeadUnverified(prev); herr == nil {
				v.set(func(f *facts) { f.conflict, f.conflictSize = true, h.Size })
			}
		}
		return next, err
	})
}

// specWriter corrects the status code the upstream handler writes.
type specWriter struct {
	http.ResponseWriter
	v      *verdict
	status int
}

func (w *specWriter) WriteHeader(code int) {
	v := w.v.get()
	var body string
	switch {
	case code == http.StatusUnprocessableEntity && v.conflict:
		// C2SP tlog-witness: "If the old size matches the checkpoint size, the witness
		// MUST check that the root hashes are also identical. If they don't match, the
		// witness MUST respond with a 409 Conflict". The body gives the size of the
		// conflicting cosigned checkpoint; it is deliberately not text/x.tlog.size,
		// which would tell the client to retry from that size: it has, and it forked.
		code = http.StatusConflict
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		body = fmt.Sprintf("%d\n", v.conflictSize)
	case code == http.StatusInternalServerError && !v.asked:
		code = http.StatusBadRequest // no origin line: not a checkpoint
	case code == http.StatusInternalServerError && v.known && !v.stored && !v.signed:
		// "If none of the signatures verify against a trusted public key, the witness
		// MUST respond with a 403 Forbidden HTTP status code."
		code = http.StatusForbidden
	case code == http.StatusInternalServerError && v.known && !v.stored:
		code = http.StatusBadRequest // signed by the log, but not a checkpoint
	}
	w.status = code
	w.ResponseWriter.WriteHeader(code)
	if body != "" {
		_, _ = w.ResponseWriter.Write([]byte(body))
	}
}

func (w *specWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}
