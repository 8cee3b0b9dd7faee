package ledger

import "time"

// WithCloseTimeout sets how long Close waits for operations in flight, for tests.
func WithCloseTimeout(d time.Duration) Option {
	return func(c *config) { c.closeTimeout = d }
}
