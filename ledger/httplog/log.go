package httplog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/internal/gate"
	"github.com/evidctl/evidctl/ledger/server"
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
	cp, err := l.do(ctx, http.MethodGet, "/checkpoint", "", nil)
	if err != nil {
		return nil, fmt.Errorf("opening %s: reading checkpoint: %w", rawURL, err)
	}
	origin, _, _, err := checkpointBody(cp)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", rawURL, err)
	}
	l.origin = origin
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
	return l.post(ctx, server.EnvelopeType, envelope, c[:])
}

// Append implements [ledger.Ledger], for servers that accept bare leaves (tests, with
// server.WithLeafAppendsUnsafe). Any other server refuses it with an error wrapping
// ErrEnvelopeRequired: append the signed envelope with AppendEnvelope instead.
func (l *Log) Append(ctx context.Context, leaf []byte) (*ledger.Receipt, error) {
	if len(leaf) != ledger.LeafSize {
		return nil, fmt.Errorf("appending leaf: %d bytes, want a %d-byte commitment: %w", len(leaf), ledger.LeafSize, ledger.ErrMalformed)
	}
	return l.post(ctx, server.LeafType, leaf, leaf)
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
	text, err := l.do(ctx, http.MethodPost, "/append", contentType, body)
	if err != nil {
		return nil, fmt.Errorf("appending to %s: %w", l.origin, err)
	}
	r, err := ledger.ParseReceipt(text)
	if err != nil {
		return nil, fmt.Errorf("appending to %s: the server's receipt: %w", l.origin, err)
	}
	if err := l.covers(r, leaf); err != nil {
		return nil, fmt.Errorf("appending to %s: %w", l.origin, err)
	}
	return r, nil
}

// covers checks, without the log's key, that the receipt is this log's and that its
// inclusion path leads from leaf to the root its checkpoint states.
func (l *Log) covers(r *ledger.Receipt, leaf []byte) error {
	origin, size, root, err := checkpointBody(r.Checkpoint)
	if err != nil {
		return err
	}
	if origin != l.origin {
		return fmt.Errorf("the server returned a receipt of log %q: %w", origin, ledger.ErrWrongOrigin)
	}
	if err := tlog.CheckRecord(r.Proof, int64(size), root, int64(r.Index), tlog.RecordHash(leaf)); err != nil {
		return fmt.Errorf("the server returned a receipt that does not prove this leaf: %w", ledger.ErrLeafMismatch)
	}
	return nil
}

// checkpointBody reads the origin, size and root hash of a checkpoint note, unverified.
func checkpointBody(note []byte) (string, uint64, tlog.Hash, error) {
	lines := bytes.SplitN(note, []byte("\n"), 4)
	if len(lines) < 4 || len(lines[0]) == 0 {
		return "", 0, tlog.Hash{}, fmt.Errorf("the server's checkpoint is not a checkpoint note: %w", ledger.ErrMalformed)
	}
	size, err := strconv.ParseUint(string(lines[1]), 10, 63)
	if err != nil {
		return "", 0, tlog.Hash{}, fmt.Errorf("the server's checkpoint size: %w", ledger.ErrMalformed)
	}
	root, err := tlog.ParseHash(string(lines[2]))
	if err != nil {
		return "", 0, tlog.Hash{}, fmt.Errorf("the server's checkpoint root hash: %w", ledger.ErrMalformed)
	}
	return string(lines[0]), size, root, nil
}
