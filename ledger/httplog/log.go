package httplog

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/internal/gate"
	"github.com/evidctl/evidctl/ledger/httpapi"
)

var (
	_ ledger.Ledger           = (*Log)(nil)
	_ ledger.EnvelopeAppender = (*Log)(nil)
)

// ErrEnvelopeRequired: the server appends only signed DSSE envelopes, so a bare leaf
// cannot be appended; use [Log.AppendEnvelope] with the envelope whose commitment it is.
var ErrEnvelopeRequired = errors.New("the ledger server appends only signed DSSE envelopes, not bare leaves; append the envelope (AppendEnvelope)")

// maxBatchRequests bounds the requests one AppendBatch has in flight.
const maxBatchRequests = 16

// Log is a ledger.Ledger served by a remote `evidctl serve` (ledger/server). It is safe
// for concurrent use.
type Log struct {
	base   string // the server's URL, without a trailing slash
	origin string
	cfg    config

	gate gate.Gate // admits operations until Close
}

// Open connects to the ledger server at rawURL (http:// or https://, optionally with a
// path prefix under which the API is mounted) and reads its checkpoint to learn the log's
// origin. It retries while the server is unreachable or busy, as every request does.
func Open(ctx context.Context, rawURL string, opts ...Option) (*Log, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("ledger server URL %q: want http(s)://HOST[:PORT][/PATH]", rawURL)
	}
	cfg := defaults()
	if err := cfg.apply(opts); err != nil {
		return nil, fmt.Errorf("opening %s: %w", rawURL, err)
	}
	l := &Log{base: strings.TrimSuffix(u.String(), "/"), cfg: cfg}
	cp, err := l.do(ctx, http.MethodGet, httpapi.CheckpointPath, "", nil)
	if err != nil {
		return nil, fmt.Errorf("opening %s: reading checkpoint: %w", rawURL, err)
	}
	head, err := ledger.ReadHeadUnverified(cp)
	if err != nil {
		return nil, fmt.Errorf("opening %s: the server's checkpoint: %w", rawURL, err)
	}
	l.origin = head.Origin
	return l, nil
}

// Origin implements [ledger.Ledger].
func (l *Log) Origin() string { return l.origin }

// URL returns the server's URL.
func (l *Log) URL() string { return l.base }

// AppendEnvelope implements [ledger.EnvelopeAppender]: it posts the signed DSSE envelope
// and returns the receipt of its commitment, after checking that the receipt's inclusion
// path leads from that commitment to the root of the checkpoint it carries (verify the
// checkpoint's signature with a [ledger.Trust]).
func (l *Log) AppendEnvelope(ctx context.Context, envelope []byte) (*ledger.Receipt, error) {
	env, err := sign.ParseEnvelope(envelope)
	if err != nil {
		return nil, fmt.Errorf("appending to %s: %w: %w", l.origin, ledger.ErrMalformed, err)
	}
	c := env.Commitment()
	return l.post(ctx, httpapi.EnvelopeType, envelope, c[:])
}

// Append implements [ledger.Ledger], for servers that accept bare leaves (tests, with
// server.WithLeafAppendsUnsafe). Any other server refuses it with an error wrapping
// ErrEnvelopeRequired: append the signed envelope with AppendEnvelope instead.
func (l *Log) Append(ctx context.Context, leaf []byte) (*ledger.Receipt, error) {
	if len(leaf) != ledger.LeafSize {
		return nil, fmt.Errorf("appending leaf: %d bytes, want a %d-byte commitment: %w", len(leaf), ledger.LeafSize, ledger.ErrMalformed)
	}
	return l.post(ctx, httpapi.LeafType, leaf, leaf)
}

// AppendBatch implements [ledger.Ledger] with concurrent Appends (so it needs a server that
// accepts bare leaves, like Append).
func (l *Log) AppendBatch(ctx context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	for i, leaf := range leaves {
		if len(leaf) != ledger.LeafSize {
			return nil, fmt.Errorf("appending leaf %d: %d bytes, want a %d-byte commitment: %w", i, len(leaf), ledger.LeafSize, ledger.ErrMalformed)
		}
	}
	out := make([]*ledger.Receipt, len(leaves))
	errs := make([]error, len(leaves))
	sem := make(chan struct{}, maxBatchRequests)
	var wg sync.WaitGroup
	for i, leaf := range leaves {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i], errs[i] = l.Append(ctx, leaf)
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// post appends body and checks that the receipt covers leaf.
func (l *Log) post(ctx context.Context, contentType string, body, leaf []byte) (*ledger.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.gate.Done()
	text, err := l.do(ctx, http.MethodPost, httpapi.AppendPath, contentType, body)
	if err != nil {
		return nil, fmt.Errorf("appending to %s: %w", l.origin, err)
	}
	r, err := ledger.ParseReceipt(text)
	if err != nil {
		return nil, fmt.Errorf("appending to %s: the server's receipt: %w", l.origin, err)
	}
	if err := l.checkCovers(r, leaf); err != nil {
		return nil, fmt.Errorf("appending to %s: %w", l.origin, err)
	}
	return r, nil
}

// checkCovers checks, without the log's key, that the receipt is this log's and that its
// inclusion path leads from leaf to the root its checkpoint states.
func (l *Log) checkCovers(r *ledger.Receipt, leaf []byte) error {
	h, err := ledger.ReadHeadUnverified(r.Checkpoint)
	if err != nil {
		return fmt.Errorf("the server's checkpoint: %w", err)
	}
	if h.Origin != l.origin {
		return fmt.Errorf("the server returned a receipt of log %q: %w", h.Origin, ledger.ErrWrongOrigin)
	}
	if err := r.CoversUnverified(leaf); err != nil {
		return fmt.Errorf("the server returned a receipt that does not prove this leaf: %w", err)
	}
	return nil
}
