package httplog

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httpapi"
	"github.com/evidctl/evidctl/ledger/internal/batch"
)

var (
	_ ledger.Ledger                = (*Log)(nil)
	_ ledger.AuthenticatedAppender = (*Log)(nil)
	_ ledger.LeafReader            = (*Log)(nil)
	_ ledger.Backend               = (*client)(nil)
	_ ledger.AuthenticatedAppender = (*client)(nil)
	_ ledger.EntrySigner           = (*sign.Signer)(nil)
)

// ErrSignedEntryRequired: the server appends only entries signed by an allowed key
// (415 Unsupported Media Type for anything else), so a bare leaf cannot be appended; use
// [Log.AppendSigned] with the entry and its signer.
var ErrSignedEntryRequired = errors.New("the ledger server appends only signed entries (AppendSigned), not bare leaves")

// maxBatchRequests bounds the requests one AppendBatch has in flight.
const maxBatchRequests = 16

// Log is a ledger.Ledger served by a remote `evidctl serve` (ledger/server). It is safe
// for concurrent use. Its Ledger methods are those of [ledger.New] over the HTTP client;
// Append and AppendBatch post bare leaves, which only a server started with
// server.WithLeafAppendsUnsafe accepts (any other refuses them with an error wrapping
// ErrSignedEntryRequired).
type Log struct {
	ledger.Ledger
	signed ledger.AuthenticatedAppender // the same Ledger
	c      *client
}

// client is the ledger.Backend of a ledger server: its HTTP client.
type client struct {
	base   string // the server's URL, without a trailing slash
	origin string
	cfg    config
	verify *verifier // nil with WithoutCheckpointVerificationUnsafe
}

// Open connects to the ledger server at rawURL (http:// or https://, optionally with a
// path prefix under which the API is mounted) and reads its checkpoint to learn the log's
// origin. It retries while the server is unreachable or busy, as every request does.
//
// It needs [WithTrust], the trust policy that every checkpoint the server gives must
// verify under (the server's log must be in it), or the explicit opt-out
// [WithoutCheckpointVerificationUnsafe]; else it fails with ErrNoTrust.
func Open(ctx context.Context, rawURL string, opts ...Option) (*Log, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("ledger server URL: not a URL: want http(s)://HOST[:PORT][/PATH]")
	}
	rawURL = u.Redacted() // for messages: no password
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("ledger server URL %q: want http(s)://HOST[:PORT][/PATH]", rawURL)
	}
	cfg := defaults()
	if err := cfg.apply(opts); err != nil {
		return nil, fmt.Errorf("opening %s: %w", rawURL, err)
	}
	c := &client{base: strings.TrimSuffix(u.String(), "/"), cfg: cfg}
	cp, err := c.do(ctx, http.MethodGet, httpapi.CheckpointPath, "", nil)
	if err != nil {
		return nil, fmt.Errorf("opening %s: reading checkpoint: %w", rawURL, err)
	}
	head, err := ledger.ReadHeadUnverified(cp)
	if err != nil {
		return nil, fmt.Errorf("opening %s: the server's checkpoint: %w", rawURL, err)
	}
	c.origin = head.Origin
	if err := c.startVerifying(ctx, cp); err != nil {
		return nil, fmt.Errorf("opening %s: %w", rawURL, err)
	}
	l := ledger.New(c)
	return &Log{Ledger: l, signed: l.(ledger.AuthenticatedAppender), c: c}, nil
}

// URL returns the server's URL.
func (l *Log) URL() string { return l.c.base }

// AppendSigned implements [ledger.AuthenticatedAppender]: it signs the 64-byte entry
// with s, posts entry, key id and signature (never the statement), and returns the
// receipt, after checking that its inclusion path leads from the entry to the root of
// the checkpoint it carries. A conflict (409) is returned as a *ledger.ConflictError
// naming the entry logged first; the same entry again returns its existing receipt.
func (l *Log) AppendSigned(ctx context.Context, entry []byte, s ledger.EntrySigner) (*ledger.Receipt, error) {
	return l.signed.AppendSigned(ctx, entry, s)
}

// Origin implements [ledger.Backend]: the origin of the server's checkpoint when opened.
func (c *client) Origin() string { return c.origin }

// AppendSigned implements [ledger.AuthenticatedAppender] for ledger.New.
func (c *client) AppendSigned(ctx context.Context, entry []byte, s ledger.EntrySigner) (*ledger.Receipt, error) {
	sig, err := s.SignEntry(ctx, entry)
	if err != nil {
		return nil, fmt.Errorf("signing entry: %w", err)
	}
	body := httpapi.SignedEntry{Entry: entry, KeyID: s.KeyID(), Sig: sig}.Marshal()
	return c.post(ctx, httpapi.SignedEntryType, body, entry)
}

// AppendBatch implements [ledger.Backend] with concurrent posts of bare leaves.
func (c *client) AppendBatch(ctx context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	sem := make(chan struct{}, maxBatchRequests)
	return batch.Each(len(leaves), func(i int) (*ledger.Receipt, error) {
		sem <- struct{}{}
		defer func() { <-sem }()
		return c.post(ctx, httpapi.LeafType, leaves[i], leaves[i])
	})
}

// post appends body and checks that the receipt covers leaf.
func (c *client) post(ctx context.Context, contentType string, body, leaf []byte) (*ledger.Receipt, error) {
	text, err := c.do(ctx, http.MethodPost, httpapi.AppendPath, contentType, body)
	if err != nil {
		return nil, err
	}
	r, err := ledger.ParseReceipt(text)
	if err != nil {
		return nil, fmt.Errorf("the server's receipt: %w", err)
	}
	if err := c.checkCovers(ctx, r, leaf); err != nil {
		return nil, err
	}
	return r, nil
}

// checkCovers checks that the receipt proves leaf: with a trust policy, that it verifies
// under it and is consistent with what the client verified before (verify.go); without
// one, only that it is this log's and that its inclusion path leads from leaf to the root
// its checkpoint states.
func (c *client) checkCovers(ctx context.Context, r *ledger.Receipt, leaf []byte) error {
	if c.verify != nil {
		return c.verify.receipt(ctx, c, r, leaf)
	}
	h, err := ledger.ReadHeadUnverified(r.Checkpoint)
	if err != nil {
		return fmt.Errorf("the server's checkpoint: %w", err)
	}
	if h.Origin != c.origin {
		return fmt.Errorf("the server returned a receipt of log %q: %w", h.Origin, ledger.ErrWrongOrigin)
	}
	if err := r.CoversUnverified(leaf); err != nil {
		return fmt.Errorf("the server returned a receipt that does not prove this leaf: %w", err)
	}
	return nil
}
