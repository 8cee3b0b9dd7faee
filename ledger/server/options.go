package server

import (
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Option configures New and Serve.
type Option func(*config)

type config struct {
	maxBody       int64
	maxInflight   int
	appendTimeout time.Duration
	tilesDir      string
	leavesUnsafe  bool
	logger        *slog.Logger
	listening     func(net.Addr)
	certFile      string
	keyFile       string
	rate          float64
	burst         int
	limits        limits // limits.go
}

// Defaults.
const (
	// DefaultMaxBodySize bounds the body of an append. Every body the server reads is
	// read only up to httpapi.MaxSignedEntrySize (4 KiB), a signed entry's limit, whatever
	// this says; a smaller value lowers that.
	DefaultMaxBodySize = 256 << 10
	// DefaultMaxInflight bounds the appends the server handles at once; more are refused
	// with 503 and Retry-After.
	DefaultMaxInflight = 4096
	// DefaultAppendTimeout bounds how long an append waits for its leaf to be integrated
	// and signed; past it the client gets 503 with Retry-After and re-posts the same
	// entry to collect its receipt.
	DefaultAppendTimeout = 30 * time.Second
	// DefaultRateLimit is how many appends per second one key may make, sustained;
	// DefaultRateBurst how many at once after a pause. More get 429 with Retry-After.
	// A custodian's events come at human pace; a lab's batch of acquisitions fits in the
	// burst.
	DefaultRateLimit = 10
	DefaultRateBurst = 100
)

func defaults() config {
	return config{
		maxBody:       DefaultMaxBodySize,
		maxInflight:   DefaultMaxInflight,
		appendTimeout: DefaultAppendTimeout,
		logger:        slog.Default(),
		rate:          DefaultRateLimit,
		burst:         DefaultRateBurst,
		limits:        defaultLimits(),
	}
}

func (c *config) apply(opts []Option) error {
	for _, o := range opts {
		o(c)
	}
	switch {
	case c.maxBody < 64:
		return fmt.Errorf("max body size %d is below 64 bytes", c.maxBody)
	case c.maxInflight < 1:
		return fmt.Errorf("max appends in flight %d is below 1", c.maxInflight)
	case c.appendTimeout <= 0:
		return fmt.Errorf("append timeout %v is not positive", c.appendTimeout)
	case c.logger == nil:
		return fmt.Errorf("nil logger")
	case (c.certFile == "") != (c.keyFile == ""):
		return fmt.Errorf("TLS needs both a certificate file and a key file")
	case c.rate < 0 || (c.rate > 0 && c.burst < 1):
		return fmt.Errorf("rate limit %v/s with burst %d: want a rate of 0 (no limit), or above 0 with a burst of 1 or more", c.rate, c.burst)
	}
	return c.limits.check(c.maxBody)
}

// WithMaxBodySize sets the largest append body accepted (default 256 KiB; a signed entry
// is read up to 4 KiB at most, httpapi.MaxSignedEntrySize); larger ones get 413.
func WithMaxBodySize(n int64) Option { return func(c *config) { c.maxBody = n } }

// WithMaxInflight sets how many appends the server handles at once (default 4096); more
// get 503 with Retry-After.
func WithMaxInflight(n int) Option { return func(c *config) { c.maxInflight = n } }

// WithAppendTimeout sets how long one append may wait for its receipt (default 30 s).
func WithAppendTimeout(d time.Duration) Option { return func(c *config) { c.appendTimeout = d } }

// WithTiles serves the tlog-tiles directory dir read-only under /tile/. A ledger with a
// Dir method (ledger/posixlog) has its directory served without this option.
func WithTiles(dir string) Option { return func(c *config) { c.tilesDir = dir } }

// WithLogger sets where the server reports failures of its backend (default
// slog.Default()). Refused requests are not logged.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithListening has Serve call f with the address it listens on, once it does: useful with
// port 0.
func WithListening(f func(net.Addr)) Option { return func(c *config) { c.listening = f } }

// WithTLS has Serve speak HTTPS with the certificate chain and key in these PEM files.
func WithTLS(certFile, keyFile string) Option {
	return func(c *config) { c.certFile, c.keyFile = certFile, keyFile }
}

// WithLeafAppendsUnsafe accepts bare 32-byte leaves (Content-Type
// application/octet-stream) from anyone, with no signature and so no authentication: the
// log then holds whatever anybody sends. It exists for tests and for a log on a network
// where reaching the server is itself the authorisation; never use it on a server others
// can reach.
func WithLeafAppendsUnsafe() Option { return func(c *config) { c.leavesUnsafe = true } }

// WithRateLimit sets how many appends per second each allowed key may make (perSecond),
// and how many at once after a pause (burst); defaults DefaultRateLimit and
// DefaultRateBurst. More get 429 with Retry-After. Only appends whose signature verified
// count, so nobody can spend another key's allowance. A perSecond of 0 turns the limit
// off.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(c *config) { c.rate, c.burst = perSecond, burst }
}
