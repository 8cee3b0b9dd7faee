package custody

import (
	"errors"
	"fmt"
	"io"
)

// Limits bound what a bundle may hold, so that a hostile bundle is refused early,
// with a clear error, instead of exhausting memory or time. The defaults
// ([DefaultLimits]) are generous for real cases: a case of 100,000 events, each
// signed once, with receipts, consistency proofs and certificates, fits well within
// them. Raise them with [WithLimits] for a larger case.
type Limits struct {
	// BundleSize is the largest bundle file, in bytes (default 1 GiB).
	BundleSize int64
	// Events is the largest number of events in a bundle (default 1,000,000).
	Events int
	// Signatures is the largest number of signatures on one envelope (default 16; a
	// custody event carries one). Each key may sign an envelope once.
	Signatures int
	// CertificateChain is the largest number of certificates an actor's certificate
	// chain may hold, leaf included (default 8).
	CertificateChain int
	// PolicySize is the largest trust policy file, in bytes (default 64 MiB).
	PolicySize int64
}

// DefaultLimits are the limits ParseBundle, ReadBundle and ReadPolicy apply unless
// told otherwise.
func DefaultLimits() Limits {
	return Limits{BundleSize: 1 << 30, Events: 1_000_000, Signatures: 16, CertificateChain: 8, PolicySize: 64 << 20}
}

// ErrLimit is wrapped by every [*LimitError]: a bundle or policy exceeds a limit.
var ErrLimit = errors.New("exceeds a limit")

// LimitError reports a bundle or policy over one of its [Limits]: what is counted
// and the limit. Reading stopped there.
type LimitError struct {
	What  string // "events", "signatures in one envelope", "bytes", "certificates in a chain"
	Limit int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("more than %d %s: refused as a resource limit (see custody.Limits)", e.Limit, e.What)
}

// Unwrap returns ErrLimit.
func (e *LimitError) Unwrap() error { return ErrLimit }

// ReadOption changes how a bundle or policy is read.
type ReadOption func(*Limits)

// WithLimits replaces the default limits; a zero field keeps its default.
func WithLimits(l Limits) ReadOption {
	return func(d *Limits) {
		if l.BundleSize > 0 {
			d.BundleSize = l.BundleSize
		}
		if l.Events > 0 {
			d.Events = l.Events
		}
		if l.Signatures > 0 {
			d.Signatures = l.Signatures
		}
		if l.CertificateChain > 0 {
			d.CertificateChain = l.CertificateChain
		}
		if l.PolicySize > 0 {
			d.PolicySize = l.PolicySize
		}
	}
}

func limitsOf(opts []ReadOption) Limits {
	l := DefaultLimits()
	for _, o := range opts {
		o(&l)
	}
	return l
}

// cappedReader fails with a *LimitError once more than limit bytes are read.
type cappedReader struct {
	r     io.Reader
	left  int64
	limit int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, &LimitError{What: "bytes", Limit: c.limit}
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return 0, &LimitError{What: "bytes", Limit: c.limit}
	}
	return n, err
}
