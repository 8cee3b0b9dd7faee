package cosign

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/evidctl/evidctl/ledger"
)

// MaxResponseBytes bounds what is read of a witness's answer: a few signature lines.
const MaxResponseBytes = 64 << 10

// errResponseTooLarge is what reading past MaxResponseBytes of an answer returns.
var errResponseTooLarge = fmt.Errorf("witness answer larger than %d bytes", MaxResponseBytes)

// limitedBody fails a read past MaxResponseBytes, so that a hostile witness cannot make
// a client (Tessera's, or the upstream one, which read answers whole) hold an endless one.
type limitedBody struct {
	io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errResponseTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left+1] // one byte more, to tell "exactly the limit" from "more"
	}
	n, err := b.ReadCloser.Read(p)
	if int64(n) > b.left {
		return int(b.left), errResponseTooLarge
	}
	b.left -= int64(n)
	return n, err
}

// limitTransport bounds every answer's size.
type limitTransport struct{ base http.RoundTripper }

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{ReadCloser: resp.Body, left: MaxResponseBytes}
	return resp, nil
}

// Endpoint is the add-checkpoint URL of a witness, as Tessera and the upstream client
// build it from the policy's URL prefix.
func Endpoint(w ledger.PolicyWitness) (string, error) {
	u, err := url.Parse(w.URL)
	if err != nil {
		return "", fmt.Errorf("witness %q: bad URL: %v", w.Name, err)
	}
	return u.JoinPath("/add-checkpoint").String(), nil
}

// Recorder is an http.RoundTripper for a log's requests to its witnesses: it bounds each
// answer's size and remembers each witness's latest answer, so that a log that could not
// get its quorum can say who answered what. Requests to other URLs pass through.
type Recorder struct {
	base  http.RoundTripper
	index map[string]int // endpoint URL -> witness

	mu      sync.Mutex
	answers []ledger.WitnessAnswer
	forked  []bool        // the witness's latest refusal was a fork, not yet followed by a cosignature
	seq     uint64        // answers recorded so far (Mark)
	at      []uint64      // seq of each witness's latest final answer (not a stale size)
	pending []bool        // the witness's latest answer was a stale size: the log asks again
	changed chan struct{} // closed, and replaced, whenever an answer is recorded
}

// NewRecorder records the answers of the policy's endpoints, asked through base (nil:
// http.DefaultTransport).
func NewRecorder(base http.RoundTripper, policy *ledger.WitnessPolicy) (*Recorder, error) {
	r := &Recorder{base: limitTransport{base: base}, index: map[string]int{}, changed: make(chan struct{})}
	for _, w := range policy.Endpoints() {
		u, err := Endpoint(w)
		if err != nil {
			return nil, err
		}
		r.index[u] = len(r.answers)
		r.answers = append(r.answers, ledger.WitnessAnswer{Witness: w.Name, URL: w.URL, Answer: "not asked yet"})
		r.forked = append(r.forked, false)
		r.at = append(r.at, 0)
		r.pending = append(r.pending, false)
	}
	return r, nil
}

// RoundTrip implements http.RoundTripper.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	i, ok := r.index[req.URL.String()]
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		switch {
		case !ok:
		case req.Context().Err() != nil:
			r.record(i, "no answer before the log stopped waiting", false)
		default:
			r.record(i, "unreachable: "+err.Error(), false)
		}
		return nil, err
	}
	if !ok {
		return resp, nil
	}
	var peek []byte
	if resp.StatusCode != http.StatusOK {
		// A few bytes tell a 409's size; put them back for the caller.
		peek, _ = io.ReadAll(io.LimitReader(resp.Body, 32))
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(peek), resp.Body), resp.Body}
	}
	answer, cosigned := DescribeStatus(resp.StatusCode, resp.Header.Get("Content-Type"), peek)
	switch {
	case resp.StatusCode == http.StatusConflict && isStale(resp.Header.Get("Content-Type")):
		r.recordStale(i, answer)
	case resp.StatusCode == http.StatusConflict:
		r.recordFork(i, answer)
	default:
		r.record(i, answer, cosigned)
	}
	return resp, nil
}

// isStale reports whether a 409 is the spec's "your old size is not mine" (the client
// proves consistency from the size given and asks again), as opposed to a fork.
func isStale(contentType string) bool { return contentType == "text/x.tlog.size" }

func (r *Recorder) record(i int, answer string, cosigned bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answers[i].Answer, r.answers[i].Cosigned, r.forked[i] = answer, cosigned, false
	r.final(i)
}

// recordFork records a witness's refusal of a fork; the refusal stands until the witness
// cosigns again.
func (r *Recorder) recordFork(i int, answer string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answers[i].Answer, r.answers[i].Cosigned, r.forked[i] = answer, false, true
	r.final(i)
}

// final notes that witness i's latest answer, just recorded, is final. r.mu is held.
func (r *Recorder) final(i int) {
	r.seq++
	r.at[i] = r.seq
	r.pending[i] = false
	close(r.changed)
	r.changed = make(chan struct{})
}

// recordStale records a witness's "not the old size I last cosigned", unless the witness
// already refused a fork: a log retrying from the witness's size is only a step on the
// way to that refusal again, and the fork is what the witness has to say. It is not a
// final answer: the log asks again at once (RefusedSince does not count it).
func (r *Recorder) recordStale(i int, answer string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.forked[i] {
		r.answers[i].Answer, r.answers[i].Cosigned = answer, false
	}
	r.pending[i] = true
}

// Mark returns a mark of the answers recorded so far, for RefusedSince.
func (r *Recorder) Mark() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seq
}

// RefusedSince returns the names of the witnesses whose latest answer came after mark
// and was not a cosignature: a refusal, an error, or no connection. An answer that only
// asks the log to prove consistency from another size is no refusal.
func (r *Recorder) RefusedSince(mark uint64) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for i, a := range r.answers {
		if r.at[i] > mark && !a.Cosigned {
			out = append(out, a.Witness)
		}
	}
	return out
}

// Answers returns each witness's latest answer, in policy order.
func (r *Recorder) Answers() []ledger.WitnessAnswer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ledger.WitnessAnswer(nil), r.answers...)
}

// SettledAnswers is Answers once no witness's latest answer is a stale size, waiting for
// that at most wait (or until ctx ends). A stale size is not what the witness has to say:
// the log asks again at once, from the size the witness gave, and the witness answers
// that (as a rule, with its cosignature). A log whose bounded wait ran out between the two
// would otherwise report the step, not the answer. After wait, a stale size still
// standing is reported as it is: the log did not ask again.
func (r *Recorder) SettledAnswers(ctx context.Context, wait time.Duration) []ledger.WitnessAnswer {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		r.mu.Lock()
		pending, changed := slices.Contains(r.pending, true), r.changed
		r.mu.Unlock()
		if !pending {
			return r.Answers()
		}
		select {
		case <-changed:
		case <-timer.C:
			return r.Answers()
		case <-ctx.Done():
			return r.Answers()
		}
	}
}
