package trillianlog

import (
	"context"

	"github.com/evidctl/evidctl/ledger"
)

var _ ledger.Timestamper = (*Log)(nil)

// WithDecorator wraps the personality's backend in d (ledger.WithDecorator), inside the
// checks of ledger.New: ledger/tsa's Decorator, say, so that every receipt carries an
// RFC 3161 token over its checkpoint. Decorators apply in the order given; Open alone
// uses them.
func WithDecorator(d ledger.Decorator) Option {
	return func(c *config) {
		if d != nil {
			c.decorators = append(c.decorators, d)
		}
	}
}

// decorations are the ledger.New options of the configured decorators.
func (c *config) decorations() []ledger.Option {
	opts := make([]ledger.Option, len(c.decorators))
	for i, d := range c.decorators {
		opts[i] = ledger.WithDecorator(d)
	}
	return opts
}

// TimestampCheckpoint implements [ledger.Timestamper]: the token of a checkpoint of
// this log, from the TSA a decorator gave it (ledger.ErrNoTimestamps without one).
func (l *Log) TimestampCheckpoint(ctx context.Context, checkpoint []byte) ([]byte, error) {
	return ledger.TimestampCheckpoint(ctx, l.Ledger, checkpoint)
}
