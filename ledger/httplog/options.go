package httplog

import (
	"fmt"
	"net/http"
	"time"

	"github.com/evidctl/evidctl/ledger"
)

// Option configures Open.
type Option func(*config)

type config struct {
	client      *http.Client
	maxAttempts int
	maxWait     time.Duration

	// Retry reporting (progress.go).
	retryTimeout time.Duration
	progress     func(Progress)

	// Checkpoint verification (verify.go).
	trust      *ledger.Trust
	trustSet   bool
	known      [][]byte
	unverified bool
}

// Defaults.
const (
	// DefaultMaxAttempts is how many times a request is tried when the server pushes back
	// or cannot be reached.
	DefaultMaxAttempts = 10
	// DefaultMaxRetryWait caps the wait between two attempts, whatever Retry-After says.
	DefaultMaxRetryWait = 30 * time.Second
	// DefaultRetryTimeout bounds the time one request takes in all, attempts and waits.
	DefaultRetryTimeout = time.Minute
)

func defaults() config {
	return config{maxAttempts: DefaultMaxAttempts, maxWait: DefaultMaxRetryWait, retryTimeout: DefaultRetryTimeout}
}

func (c *config) apply(opts []Option) error {
	for _, o := range opts {
		o(c)
	}
	switch {
	case c.maxAttempts < 1:
		return fmt.Errorf("max attempts %d is below 1", c.maxAttempts)
	case c.maxWait <= 0:
		return fmt.Errorf("max retry wait %v is not positive", c.maxWait)
	case c.retryTimeout <= 0:
		return fmt.Errorf("retry timeout %v is not positive", c.retryTimeout)
	}
	if err := c.checkTrust(); err != nil {
		return err
	}
	if c.client == nil {
		c.client = &http.Client{Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
			ForceAttemptHTTP2:   true,
		}}
	}
	return nil
}

// WithHTTPClient sets the HTTP client (for TLS roots, proxies, timeouts). By default Log
// uses its own client with a connection pool sized for concurrent appends.
func WithHTTPClient(c *http.Client) Option { return func(cfg *config) { cfg.client = c } }

// WithMaxAttempts sets how many times a request is tried when the server answers 429, 502,
// 503 or 504 or cannot be reached (default 10); running out of them fails the request with
// a [*RetryError]. Every try ends when ctx does, and at WithRetryTimeout.
func WithMaxAttempts(n int) Option { return func(c *config) { c.maxAttempts = n } }

// WithMaxRetryWait caps the wait between attempts (default 30 s).
func WithMaxRetryWait(d time.Duration) Option { return func(c *config) { c.maxWait = d } }
