package custody

import "context"

// RecordUnchecked signs, logs and adds ev as c would, without the chain check that
// operations make: the tamper tests use it to forge validly signed, logged events that
// break custody rules.
func (c *Custodian) RecordUnchecked(ctx context.Context, b *Bundle, ev *Event) (*Record, error) {
	return c.recordWith(ctx, b, ev, false)
}

// WithoutAnchors makes a custodian cite no anchor, as custodians did before statements
// had them: the tests of such bundles use it.
func WithoutAnchors() Option { return func(c *Custodian) { c.unanchored = true } }
