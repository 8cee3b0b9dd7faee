package tsa

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/digitorus/timestamp"
	"golang.org/x/sync/singleflight"
)

// Defaults of a Client.
const (
	// DefaultTimeout bounds one request to the TSA.
	DefaultTimeout = 30 * time.Second
	// DefaultCacheSize is how many tokens a Client keeps for Token.
	DefaultCacheSize = 1024
)

// maxResponseSize bounds a TSA's answer: a token plus its status.
const maxResponseSize = MaxTokenSize + 4<<10

// RFC 3161 section 3.4 media types.
const (
	queryType = "application/timestamp-query"
	replyType = "application/timestamp-reply"
)

// Client asks one TSA, over RFC 3161's HTTP transport, for tokens over checkpoints.
// It is safe for concurrent use.
type Client struct {
	url      *url.URL
	http     *http.Client
	timeout  time.Duration
	verifier *Verifier

	group singleflight.Group
	cache *fifoCache[[32]byte, []byte]
}

// Option configures a Client.
type Option func(*config)

type config struct {
	httpClient *http.Client
	timeout    time.Duration
	verifier   *Verifier
	cacheSize  int
}

// WithHTTPClient sets the HTTP client (transport, proxy, TLS roots). By default a
// Client uses a fresh http.Client with the default transport.
func WithHTTPClient(c *http.Client) Option { return func(cfg *config) { cfg.httpClient = c } }

// WithTimeout bounds each request to the TSA (DefaultTimeout by default), on top of the
// caller's context.
func WithTimeout(d time.Duration) Option { return func(cfg *config) { cfg.timeout = d } }

// WithVerifier makes the Client verify every new token with v, so that it never hands
// out a token a verifier holding the same policy would refuse.
func WithVerifier(v *Verifier) Option { return func(cfg *config) { cfg.verifier = v } }

// WithCacheSize sets how many tokens Token keeps, the oldest dropped first
// (DefaultCacheSize by default). Zero keeps none; concurrent calls for one checkpoint
// still share one request.
func WithCacheSize(n int) Option { return func(cfg *config) { cfg.cacheSize = n } }

// NewClient returns a Client of the TSA at tsaURL (http or https).
func NewClient(tsaURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(tsaURL)
	if err != nil {
		// Not err itself: a url.Error quotes the URL, and with it any password.
		return nil, fmt.Errorf("TSA URL does not parse: %v", errors.Unwrap(err))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("TSA URL %q: want an http or https URL with a host", u.Redacted())
	}
	cfg := config{timeout: DefaultTimeout, cacheSize: DefaultCacheSize}
	for _, o := range opts {
		o(&cfg)
	}
	switch {
	case cfg.timeout <= 0:
		return nil, fmt.Errorf("TSA timeout %v is not positive", cfg.timeout)
	case cfg.cacheSize < 0:
		return nil, fmt.Errorf("TSA token cache size %d is negative", cfg.cacheSize)
	}
	if cfg.httpClient == nil {
		cfg.httpClient = &http.Client{}
	}
	return &Client{
		url:      u,
		http:     cfg.httpClient,
		timeout:  cfg.timeout,
		verifier: cfg.verifier,
		cache:    newFIFOCache[[32]byte, []byte](cfg.cacheSize),
	}, nil
}

// URL returns the TSA's URL, without any password it holds.
func (c *Client) URL() string { return c.url.Redacted() }

// Request asks the TSA for a token over checkpoint (a signed checkpoint note) and
// returns it: a DER TimeStampToken. It sends a request with the SHA-256 imprint of the
// checkpoint body, a fresh random nonce, and certReq set (the token carries the TSA's
// certificate); it checks that the TSA granted the request ([RejectedError]), that the
// token is well formed and its signature verifies (ErrMalformed, ErrBadSignature), and
// that it carries the nonce (ErrNonceMismatch) and the imprint ([ImprintError]) sent;
// with WithVerifier, that the policy trusts it. Every call makes one request: Token
// caches.
func (c *Client) Request(ctx context.Context, checkpoint []byte) ([]byte, error) {
	want, err := Imprint(checkpoint)
	if err != nil {
		return nil, err
	}
	nonce := newNonce()
	query, err := (&timestamp.Request{
		HashAlgorithm: crypto.SHA256,
		HashedMessage: want[:],
		Certificates:  true,
		Nonce:         nonce,
	}).Marshal()
	if err != nil {
		return nil, fmt.Errorf("encoding time-stamp request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	reply, contentType, err := c.post(ctx, query)
	if err != nil {
		return nil, err
	}
	p, err := readReply(reply)
	if err != nil {
		return nil, fmt.Errorf("TSA %s (content type %q): %w", c.URL(), contentType, err)
	}
	if p.ts.Nonce == nil || p.ts.Nonce.Cmp(nonce) != 0 {
		return nil, fmt.Errorf("TSA %s: token nonce %x, request nonce %x: %w", c.URL(), p.ts.Nonce, nonce, ErrNonceMismatch)
	}
	if err := p.checkImprint(want); err != nil {
		return nil, fmt.Errorf("TSA %s: %w", c.URL(), err)
	}
	if c.verifier != nil {
		if _, err := c.verifier.Verify(p.ts.RawToken, checkpoint); err != nil {
			return nil, fmt.Errorf("TSA %s: new token: %w", c.URL(), err)
		}
	}
	return bytes.Clone(p.ts.RawToken), nil
}

// post sends an RFC 3161 query and returns the reply body and its content type.
func (c *Client) post(ctx context.Context, query []byte) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url.String(), bytes.NewReader(query))
	if err != nil {
		return nil, "", fmt.Errorf("TSA %s: %w", c.URL(), err)
	}
	req.Header.Set("Content-Type", queryType)
	req.Header.Set("Accept", replyType)
	resp, err := c.http.Do(req) // net/http strips any password from the URL in its errors
	if err != nil {
		return nil, "", fmt.Errorf("asking the TSA for a time-stamp: %w", err)
	}
	defer resp.Body.Close()
	contentType := resp.Header.Get("Content-Type")
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		text, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return nil, "", fmt.Errorf("TSA %s answered HTTP %d (%q): %q", c.URL(), resp.StatusCode, contentType, text)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseSize+1))
	if err != nil {
		return nil, "", fmt.Errorf("reading the answer of TSA %s: %w", c.URL(), err)
	}
	if len(body) > maxResponseSize {
		return nil, "", fmt.Errorf("TSA %s answered more than %d bytes: %w", c.URL(), maxResponseSize, ErrMalformed)
	}
	return body, contentType, nil
}

// readReply reads a DER TimeStampResp: its status must be granted, and its token must
// pass parseToken.
func readReply(reply []byte) (_ *parsedToken, err error) {
	defer recoverMalformed(&err)
	ts, err := timestamp.ParseResponse(reply)
	if err != nil {
		if status, ok := rejection(err); ok {
			return nil, &RejectedError{Status: status}
		}
		return nil, fmt.Errorf("reading time-stamp response: %s: %w", oneLine(err), ErrMalformed)
	}
	return parseToken(ts.RawToken)
}

// rejection recognises the error timestamp.ParseResponse returns for a status other
// than granted (the library has no typed error for it): it starts with the status text.
func rejection(err error) (string, bool) {
	var (
		parseErr  timestamp.ParseError
		structErr asn1.StructuralError
		syntaxErr asn1.SyntaxError
	)
	if errors.As(err, &parseErr) || errors.As(err, &structErr) || errors.As(err, &syntaxErr) {
		return "", false
	}
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	for s := timestamp.GrantedWithMods; s <= timestamp.RevocationNotification; s++ {
		if strings.HasPrefix(msg, s.String()+": ") {
			return msg, true
		}
	}
	return msg, strings.HasPrefix(msg, "unknown status: ")
}

// newNonce returns a random 128-bit nonce.
func newNonce() *big.Int {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return new(big.Int).SetBytes(b)
}

// Token returns a token over checkpoint, asking the TSA only for a checkpoint body it
// has not seen: tokens are cached (WithCacheSize), and concurrent calls for one
// checkpoint share one request. The request runs to its end (WithTimeout) even if ctx
// ends first, so that other callers and later calls still get its token; Token itself
// returns ctx's error then. Failures are not cached.
func (c *Client) Token(ctx context.Context, checkpoint []byte) ([]byte, error) {
	key, err := Imprint(checkpoint)
	if err != nil {
		return nil, err
	}
	if t, ok := c.cache.get(key); ok {
		return bytes.Clone(t), nil
	}
	detached := context.WithoutCancel(ctx)
	ch := c.group.DoChan(string(key[:]), func() (any, error) {
		if t, ok := c.cache.get(key); ok { // filled since this caller looked
			return t, nil
		}
		t, err := c.Request(detached, checkpoint)
		if err == nil {
			c.cache.put(key, t)
		}
		return t, err
	})
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return bytes.Clone(r.Val.([]byte)), nil
	}
}
