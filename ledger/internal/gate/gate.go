// Package gate admits a ledger backend's operations until the backend closes, and lets
// Close wait for the operations still in flight: the lifecycle every ledger.Ledger
// implementation shares.
package gate

import (
	"context"
	"fmt"
	"sync"

	"github.com/evidctl/evidctl/ledger"
)

// Gate is open when made. It is safe for concurrent use; do not copy it.
type Gate struct {
	mu       sync.RWMutex // guards closed; held for reading while admitting
	closed   bool
	inflight sync.WaitGroup
}

// Enter admits one operation, which must call Done when it returns. After Close it fails
// with an error wrapping ledger.ErrClosed that names the log.
func (g *Gate) Enter(log string) error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return fmt.Errorf("log %s: %w", log, ledger.ErrClosed)
	}
	g.inflight.Add(1)
	return nil
}

// Done marks an admitted operation as returned.
func (g *Gate) Done() { g.inflight.Done() }

// Close stops admitting operations. It reports whether this call closed the gate (false
// when it was closed already), so that a backend's Close runs its shutdown once.
func (g *Gate) Close() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.closed = true
	return true
}

// Wait waits until every admitted operation has returned, or until ctx ends (then it
// returns ctx's error). It may be called more than once.
func (g *Gate) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { g.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
