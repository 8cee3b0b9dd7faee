package ledger

import (
	"context"
	"sync"
)

// gate admits a ledger's operations until it closes, and lets Close wait for the
// operations still in flight. It is open when made, safe for concurrent use, and not to
// be copied.
type gate struct {
	mu       sync.RWMutex // guards closed; held for reading while admitting
	closed   bool
	inflight sync.WaitGroup
}

// enter admits one operation, which must call done when it returns. After close it fails
// with ErrClosed.
func (g *gate) enter() error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return ErrClosed
	}
	g.inflight.Add(1)
	return nil
}

// done marks an admitted operation as returned.
func (g *gate) done() { g.inflight.Done() }

// close stops admitting operations. It reports whether this call closed the gate (false
// when it was closed already), so that Close shuts the backend down once.
func (g *gate) close() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.closed = true
	return true
}

// wait waits until every admitted operation has returned, or until ctx ends (then it
// returns ctx's error). It may be called more than once.
func (g *gate) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { g.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
