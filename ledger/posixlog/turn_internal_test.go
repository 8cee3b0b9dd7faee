package posixlog

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Two turns on one lock file stand for two processes: flock locks belong to open file
// descriptions, so they exclude each other within one process too.
func twoTurns(t *testing.T, maxHold time.Duration) (*turn, *turn) {
	path := filepath.Join(t.TempDir(), turnFile)
	a, b := newTurn(path, maxHold), newTurn(path, maxHold)
	t.Cleanup(func() { a.close(); b.close() })
	return a, b
}

func enterWithin(t *testing.T, tn *turn, d time.Duration) error {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	return tn.enter(ctx, 1)
}

// TestTurnOneProcessAtATime: while one process has leaves in Tessera's hands, another
// waits; it gets its turn once they are all sequenced.
func TestTurnOneProcessAtATime(t *testing.T) {
	a, b := twoTurns(t, time.Hour)
	require.NoError(t, a.enter(t.Context(), 2))
	require.NoError(t, enterWithin(t, a, time.Second), "the same process enters while it has the turn")
	require.ErrorIs(t, enterWithin(t, b, 100*time.Millisecond), context.DeadlineExceeded)
	a.leave(2)
	require.ErrorIs(t, enterWithin(t, b, 100*time.Millisecond), context.DeadlineExceeded, "one leaf still in Tessera's hands")
	a.leave(1)
	require.NoError(t, enterWithin(t, b, 5*time.Second))
	require.ErrorIs(t, enterWithin(t, a, 100*time.Millisecond), context.DeadlineExceeded)
	b.leave(1)
	require.NoError(t, enterWithin(t, a, 5*time.Second))
	a.leave(1)
}

// TestTurnYields: a process that has held the turn for maxHold while leaves kept coming
// takes no more until those are sequenced, so that another process gets its turn.
func TestTurnYields(t *testing.T) {
	a, b := twoTurns(t, 50*time.Millisecond)
	require.NoError(t, a.enter(t.Context(), 1))
	var wg sync.WaitGroup
	var bErr error
	wg.Go(func() {
		bErr = enterWithin(t, b, 5*time.Second)
		if bErr == nil {
			b.leave(1)
		}
	})
	time.Sleep(100 * time.Millisecond)
	require.ErrorIs(t, enterWithin(t, a, 100*time.Millisecond), context.DeadlineExceeded, "yielding")
	a.leave(1)
	wg.Wait()
	require.NoError(t, bErr)
	require.NoError(t, enterWithin(t, a, 5*time.Second), "the turn comes back")
	a.leave(1)
}

// TestTurnGivenUpUnused: an enter that gives up while the flock is being taken does not
// leave the turn held with nothing in Tessera's hands.
func TestTurnGivenUpUnused(t *testing.T) {
	a, b := twoTurns(t, time.Hour)
	require.NoError(t, a.enter(t.Context(), 1))
	require.ErrorIs(t, enterWithin(t, b, 50*time.Millisecond), context.DeadlineExceeded)
	a.leave(1) // b's flock is granted now, with nobody waiting for it
	require.Eventually(t, func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return !b.taking
	}, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, enterWithin(t, a, 5*time.Second), "b released the flock it got for nobody")
	a.leave(1)
}

// TestTurnClose: appends waiting for the turn fail when the Log closes.
func TestTurnClose(t *testing.T) {
	a, b := twoTurns(t, time.Hour)
	require.NoError(t, a.enter(t.Context(), 1))
	done := make(chan error, 1)
	go func() { done <- b.enter(t.Context(), 1) }()
	time.Sleep(50 * time.Millisecond)
	b.close()
	require.ErrorIs(t, <-done, errClosing)
	a.leave(1)
}

// TestTurnSealDrains: a sealed turn takes no more leaves, and drain returns once those
// already in Tessera's hands are sequenced.
func TestTurnSealDrains(t *testing.T) {
	a, _ := twoTurns(t, time.Hour)
	require.NoError(t, a.enter(t.Context(), 2))
	a.seal()
	require.ErrorIs(t, enterWithin(t, a, time.Second), errClosing, "sealed")
	short, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, a.drain(short), context.DeadlineExceeded, "two leaves in Tessera's hands")
	a.leave(1)
	drained := make(chan error, 1)
	go func() { drained <- a.drain(t.Context()) }()
	a.leave(1)
	require.NoError(t, <-drained)
}
