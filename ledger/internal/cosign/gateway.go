package cosign

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	whttp "github.com/transparency-dev/witness/client/http"
	"github.com/transparency-dev/witness/witness"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
)

// DefaultTimeout bounds how long Cosign waits for the quorum.
const DefaultTimeout = 10 * time.Second

// maxAttempts bounds the requests one witness gets for one checkpoint (each 409 with
// its size costs one more; a busy witness, a few).
const maxAttempts = 5

// pushbackDelay is how long to wait before asking a busy (429) witness again.
const pushbackDelay = 100 * time.Millisecond

// ConsistencyProof returns the log's RFC 6962 consistency proof from oldSize to newSize
// (0 < oldSize < newSize), as [ledger.Ledger.ConsistencyProof] does.
type ConsistencyProof func(ctx context.Context, oldSize, newSize uint64) ([]tlog.Hash, error)

// Option configures New.
type Option func(*config)

type config struct {
	timeout time.Duration
}

// WithTimeout bounds how long Cosign waits for the quorum (default 10 s), and how long
// one witness request may take.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// Gateway obtains cosignatures for one log's checkpoints from the witnesses of its
// policy. It is safe for concurrent use; Close it when done.
type Gateway struct {
	origin  string
	trust   ledger.Trust // the log with its policy: what Cosign returns passes it
	logKey  ledger.Trust // the log alone: what Cosign accepts
	policy  *ledger.WitnessPolicy
	prove   ConsistencyProof
	timeout time.Duration
	ws      []*remote

	bg     context.Context // requests outlive the Cosign that started them, not Close
	stop   context.CancelFunc
	flight sync.WaitGroup

	round chan struct{} // one round at a time

	mu      sync.Mutex
	latest  *ledger.Checkpoint     // the largest cosigned checkpoint
	pending *ledger.Checkpoint     // the largest checkpoint submitted: the next round's
	answers []ledger.WitnessAnswer // of the last round that failed
}

// remote is the gateway's view of one witness.
type remote struct {
	w        ledger.PolicyWitness
	client   whttp.Witness
	verifier note.Verifier
	lock     chan struct{} // one update at a time per witness
	size     uint64        // the size it last cosigned, as far as we know (under lock)
}

// New returns a gateway for log, whose WitnessPolicy names the witnesses with their URLs.
// client makes the requests (nil: http.DefaultClient's settings); answers are read up to
// MaxResponseBytes. prove gives the consistency proofs a witness needs to move from the
// size it holds to a new checkpoint's.
func New(log ledger.Log, client *http.Client, prove ConsistencyProof, opts ...Option) (*Gateway, error) {
	cfg := config{timeout: DefaultTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	switch {
	case cfg.timeout <= 0:
		return nil, fmt.Errorf("cosigning gateway: timeout %v is not positive", cfg.timeout)
	case prove == nil:
		return nil, errors.New("cosigning gateway: no consistency proof function")
	case log.WitnessPolicy == nil:
		return nil, fmt.Errorf("cosigning gateway: log %q has no witness policy", log.Origin)
	}
	if err := log.WitnessPolicy.CheckLogUse(); err != nil {
		return nil, fmt.Errorf("cosigning gateway: %w", err)
	}
	if err := (&ledger.Trust{Logs: []ledger.Log{log}}).Validate(); err != nil {
		return nil, fmt.Errorf("cosigning gateway: %w", err)
	}
	hc := &http.Client{}
	if client != nil {
		*hc = *client
	}
	hc.Transport = limitTransport{base: hc.Transport}
	g := &Gateway{
		origin:  log.Origin,
		trust:   ledger.Trust{Logs: []ledger.Log{log}},
		logKey:  ledger.Trust{Logs: []ledger.Log{{Origin: log.Origin, VerifierKey: log.VerifierKey}}},
		policy:  log.WitnessPolicy,
		prove:   prove,
		timeout: cfg.timeout,
	}
	for _, w := range log.WitnessPolicy.Endpoints() {
		u, err := url.Parse(w.URL)
		if err != nil {
			return nil, fmt.Errorf("cosigning gateway: witness %q: %v", w.Name, err)
		}
		v, err := fnote.NewVerifierForCosignatureV1(w.VerifierKey)
		if err != nil {
			return nil, fmt.Errorf("cosigning gateway: witness %q: %v", w.Name, err)
		}
		g.ws = append(g.ws, &remote{w: w, client: whttp.NewWitness(u, hc), verifier: v, lock: make(chan struct{}, 1)})
	}
	g.bg, g.stop = context.WithCancel(context.Background())
	g.round = make(chan struct{}, 1)
	return g, nil
}

// Close cancels the witness requests still running and waits for them.
func (g *Gateway) Close() error {
	g.stop()
	g.flight.Wait()
	return nil
}

// result is one witness's answer to one Cosign.
type result struct {
	i      int
	sig    []byte // its cosignature line, when it cosigned
	answer string
}

// Cosign gets checkpoint, signed by the log, cosigned by the witnesses of the policy:
// it returns it with their cosignatures as soon as they meet the quorum, or a cosigned
// checkpoint of the same log at least as large (so look at the size of what it returns).
// It never returns a checkpoint that does not verify with the log's policy. If the quorum
// is not met within the timeout, it fails with a *ledger.CosigningError naming each
// witness and its answer.
//
// Concurrent calls combine: one round at a time asks every witness at once to cosign the
// largest checkpoint submitted so far, which covers the smaller ones; a witness's
// requests never overtake one another. Requests still running when a round has its
// quorum go on in the background (bounded by the timeout), so that slower witnesses stay
// current for the next round.
func (g *Gateway) Cosign(ctx context.Context, checkpoint []byte) ([]byte, error) {
	cp, err := g.logKey.VerifyCheckpoint(checkpoint)
	if err != nil {
		return nil, fmt.Errorf("cosigning: %w", err)
	}
	if !g.policy.RequiresCosignature() {
		return cp.Note, nil
	}
	start := time.Now()
	bounded, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	if held, err := g.offer(cp); held != nil || err != nil {
		return held, err
	}
	select {
	case g.round <- struct{}{}:
	case <-bounded.Done():
		return g.fail(ctx, cp, start, g.lastAnswers())
	}
	defer func() { <-g.round }()
	if held, err := g.held(cp); held != nil || err != nil {
		return held, err // the previous round covered cp
	}
	g.mu.Lock()
	target := g.pending // at least as large as cp
	g.mu.Unlock()
	signed, answers := g.ask(bounded, target)
	if signed != nil {
		return g.accept(signed)
	}
	g.mu.Lock()
	g.answers = answers
	g.mu.Unlock()
	return g.fail(ctx, cp, start, answers)
}

// offer returns the held checkpoint that covers cp, or makes cp the next round's target
// if it is the largest yet.
func (g *Gateway) offer(cp *ledger.Checkpoint) ([]byte, error) {
	if held, err := g.held(cp); held != nil || err != nil {
		return held, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pending == nil || g.pending.Size < cp.Size {
		g.pending = cp
	}
	return nil, nil
}

// ask sends target to every witness at once and collects their cosignatures until they
// meet the quorum (it returns the cosigned note), all have answered, or ctx ends.
func (g *Gateway) ask(ctx context.Context, target *ledger.Checkpoint) ([]byte, []ledger.WitnessAnswer) {
	results := make(chan result, len(g.ws))
	for i, r := range g.ws {
		g.flight.Go(func() { results <- g.update(ctx, i, r, target) })
	}
	answers := make([]ledger.WitnessAnswer, len(g.ws))
	for i, r := range g.ws {
		answers[i] = ledger.WitnessAnswer{Witness: r.w.Name, URL: r.w.URL, Answer: fmt.Sprintf("no answer within %v", g.timeout)}
	}
	signed := append([]byte(nil), target.Note...)
	var cosigners []string
	for range g.ws {
		var res result
		select {
		case res = <-results:
		case <-ctx.Done():
			return nil, answers
		}
		answers[res.i].Answer, answers[res.i].Cosigned = res.answer, res.sig != nil
		if res.sig == nil {
			continue
		}
		signed = append(signed, res.sig...)
		cosigners = append(cosigners, g.ws[res.i].w.Name)
		if g.policy.Satisfied(cosigners...) {
			return signed, answers
		}
	}
	return nil, answers
}

// held returns the cosigned checkpoint the gateway holds when it covers cp.
func (g *Gateway) held(cp *ledger.Checkpoint) ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.latest == nil || g.latest.Size < cp.Size:
		return nil, nil
	case g.latest.Size == cp.Size && g.latest.Hash != cp.Hash:
		return nil, fmt.Errorf("cosigning checkpoint of %q: the log signed two roots for size %d: %w", g.origin, cp.Size, ledger.ErrInconsistent)
	}
	return append([]byte(nil), g.latest.Note...), nil
}

// accept verifies the cosigned note with the log's policy and remembers it.
func (g *Gateway) accept(signed []byte) ([]byte, error) {
	cp, err := g.trust.VerifyCheckpoint(signed)
	if err != nil {
		return nil, fmt.Errorf("cosigning: the cosigned checkpoint does not verify: %w", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.latest == nil || g.latest.Size < cp.Size {
		g.latest = cp
	}
	return signed, nil
}

func (g *Gateway) lastAnswers() []ledger.WitnessAnswer {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.answers != nil {
		return append([]ledger.WitnessAnswer(nil), g.answers...)
	}
	out := make([]ledger.WitnessAnswer, len(g.ws))
	for i, r := range g.ws {
		out[i] = ledger.WitnessAnswer{Witness: r.w.Name, URL: r.w.URL, Answer: "not asked: an earlier checkpoint's round took the whole wait"}
	}
	return out
}

// fail reports the answers, unless the caller gave up first or a round meanwhile
// obtained a cosigned checkpoint that covers cp.
func (g *Gateway) fail(ctx context.Context, cp *ledger.Checkpoint, start time.Time, answers []ledger.WitnessAnswer) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("cosigning checkpoint of %q at size %d: %w", g.origin, cp.Size, err)
	}
	if held, err := g.held(cp); held != nil || err != nil {
		return held, err
	}
	return nil, &ledger.CosigningError{Origin: g.origin, Size: cp.Size, Quorum: g.policy.QuorumString(), Waited: time.Since(start), Answers: answers}
}

// update gets one witness's cosignature of cp. It waits for the witness's earlier
// request only as long as the round lasts; once sent, a request runs to its own timeout
// even if the round is over, so that the gateway learns the witness's new size.
func (g *Gateway) update(round context.Context, i int, r *remote, cp *ledger.Checkpoint) result {
	select {
	case r.lock <- struct{}{}:
	case <-round.Done():
		return result{i: i, answer: "no answer in time: still busy with an earlier checkpoint"}
	}
	defer func() { <-r.lock }()
	ctx, cancel := context.WithTimeout(g.bg, g.timeout)
	defer cancel()
	for range maxAttempts {
		if r.size > cp.Size {
			return result{i: i, answer: fmt.Sprintf("has already cosigned a larger tree (size %d); ask again with a newer checkpoint", r.size)}
		}
		var proof [][]byte
		if r.size > 0 && r.size < cp.Size {
			p, err := g.prove(ctx, r.size, cp.Size)
			if err != nil {
				return result{i: i, answer: fmt.Sprintf("not asked: no consistency proof from size %d: %v", r.size, err)}
			}
			for _, h := range p {
				proof = append(proof, h[:])
			}
		}
		sigs, size, err := r.client.Update(ctx, r.size, cp.Note, proof)
		switch {
		case err == nil:
			return g.checkSig(i, r, cp, sigs)
		case errors.Is(err, witness.ErrCheckpointStale) && size != r.size:
			r.size = size // prove from where the witness is, and ask again
		case errors.Is(err, witness.ErrPushback):
			select {
			case <-time.After(pushbackDelay):
			case <-ctx.Done():
				return result{i: i, answer: describeError(err, 0)}
			}
		default:
			return result{i: i, answer: describeError(err, size)}
		}
	}
	return result{i: i, answer: fmt.Sprintf("no cosignature after %d requests", maxAttempts)}
}

// checkSig keeps the witness's cosignature line of cp, if it verifies.
func (g *Gateway) checkSig(i int, r *remote, cp *ledger.Checkpoint, sigs []byte) result {
	n, err := note.Open(append(append([]byte(nil), cp.Note...), sigs...), note.VerifierList(r.verifier))
	if err != nil || len(n.Sigs) != 1 {
		return result{i: i, answer: "answered 200 without a valid cosignature by its key"}
	}
	r.size = cp.Size
	s := n.Sigs[0]
	return result{i: i, sig: fmt.Appendf(nil, "— %s %s\n", s.Name, s.Base64), answer: "cosigned"}
}
