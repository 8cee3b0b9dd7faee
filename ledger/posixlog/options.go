package posixlog

import (
	"fmt"
	"time"

	"github.com/evidctl/evidctl/ledger"
)

// Option configures Open.
type Option func(*config)

type config struct {
	batchMaxAge        time.Duration
	batchMaxSize       uint
	checkpointInterval time.Duration
	pollInterval       time.Duration
	witnessPolicy      []byte // see witness.go
	witnessTimeout     time.Duration
	decorators         []ledger.Decorator // see decorate.go
}

// The defaults suit an interactive CLI: a leaf waits at most 10 ms for its batch, and a
// checkpoint is published at most every 100 ms (the least Tessera allows), so an Append
// typically returns in about 100-150 ms. A batch is sequenced at 4,096 leaves at the most:
// one-by-one appends, even 256 at once, fill a batch by age long before that, and a large
// AppendBatch (custody's Batch) is sequenced in few steps, each rewriting the partial
// tiles and the tree state once (with 256, a batch of 10,000 took 40 steps and twice the
// system time).
const (
	DefaultBatchMaxAge        = 10 * time.Millisecond
	DefaultBatchMaxSize       = 4096
	DefaultCheckpointInterval = 100 * time.Millisecond
	DefaultPollInterval       = 10 * time.Millisecond
)

func defaults() config {
	return config{
		batchMaxAge:        DefaultBatchMaxAge,
		batchMaxSize:       DefaultBatchMaxSize,
		checkpointInterval: DefaultCheckpointInterval,
		pollInterval:       DefaultPollInterval,
		witnessTimeout:     DefaultWitnessTimeout,
	}
}

// WithBatchMaxAge sets how long a leaf may wait for others to share its batch.
func WithBatchMaxAge(d time.Duration) Option { return func(c *config) { c.batchMaxAge = d } }

// WithBatchMaxSize sets how many leaves make a full batch, which is sequenced at once.
func WithBatchMaxSize(n uint) Option { return func(c *config) { c.batchMaxSize = n } }

// WithCheckpointInterval sets the least time between two published checkpoints
// (at least 100 ms).
func WithCheckpointInterval(d time.Duration) Option {
	return func(c *config) { c.checkpointInterval = d }
}

// WithPollInterval sets how often appends waiting for publication read the checkpoint.
func WithPollInterval(d time.Duration) Option { return func(c *config) { c.pollInterval = d } }

func (c config) validate() error {
	switch {
	case c.batchMaxAge <= 0:
		return fmt.Errorf("batch max age %v is not positive", c.batchMaxAge)
	case c.batchMaxSize == 0:
		return fmt.Errorf("batch max size is zero")
	case c.checkpointInterval < DefaultCheckpointInterval:
		return fmt.Errorf("checkpoint interval %v is below the minimum %v", c.checkpointInterval, DefaultCheckpointInterval)
	case c.pollInterval <= 0:
		return fmt.Errorf("poll interval %v is not positive", c.pollInterval)
	}
	return nil
}
