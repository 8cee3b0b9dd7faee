package trillianlog

import (
	"fmt"
	"time"

	"google.golang.org/grpc"

	"github.com/evidctl/evidctl/ledger"
)

// Option configures Open, CreateTree and Init.
type Option func(*config)

type config struct {
	pollInterval time.Duration
	dialOptions  []grpc.DialOption
	displayName  string
	maxRoot      time.Duration
	decorators   []ledger.Decorator // see decorate.go

	witnessPolicy  []byte // see witness.go
	witnessTimeout time.Duration

	callTimeout time.Duration // see calls.go
}

// DefaultPollInterval is how often appends waiting for integration read the log root.
// Trillian's signer integrates every 100 ms by default (--sequencer_interval), so an
// Append typically returns 100-200 ms after it was queued.
const DefaultPollInterval = 20 * time.Millisecond

func defaults() config {
	return config{pollInterval: DefaultPollInterval, displayName: "evidctl", callTimeout: DefaultCallTimeout}
}

// openConfig parses url and applies opts to the defaults: the first steps of Open and
// OpenReader. An option's error names the endpoint.
func openConfig(url string, opts []Option) (Endpoint, config, error) {
	ep, err := ParseURL(url)
	if err != nil {
		return Endpoint{}, config{}, err
	}
	cfg := defaults()
	if err := cfg.apply(opts); err != nil {
		return Endpoint{}, config{}, fmt.Errorf("opening %s: %w", ep, err)
	}
	return ep, cfg, nil
}

func (c *config) apply(opts []Option) error {
	for _, o := range opts {
		o(c)
	}
	if c.pollInterval <= 0 {
		return fmt.Errorf("poll interval %v is not positive", c.pollInterval)
	}
	if c.maxRoot < 0 {
		return fmt.Errorf("max root duration %v is negative", c.maxRoot)
	}
	if c.callTimeout < 0 {
		return fmt.Errorf("call timeout %v is negative", c.callTimeout)
	}
	return nil
}

// WithPollInterval sets how often appends waiting for integration read the log root.
func WithPollInterval(d time.Duration) Option { return func(c *config) { c.pollInterval = d } }

// WithDialOptions sets the gRPC dial options used to reach Trillian, in place of the
// default (plain-text transport, for a Trillian on loopback or a private network). Pass
// grpc.WithTransportCredentials(credentials.NewTLS(...)) to reach it over TLS.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(c *config) { c.dialOptions = opts }
}

// WithDisplayName sets the display name of a tree made by CreateTree or Init.
func WithDisplayName(name string) Option { return func(c *config) { c.displayName = name } }

// WithMaxRootDuration makes the signer of a tree made by CreateTree or Init produce a new
// log root at least this often even when nothing is appended. The default, 0, means
// never: a root only when leaves arrive, which keeps the tree's history small.
func WithMaxRootDuration(d time.Duration) Option { return func(c *config) { c.maxRoot = d } }
