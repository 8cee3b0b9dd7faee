package posixlog

import (
	"context"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCloseOutOfTimeKeepsTheLease: a Close that runs out of time while Tessera still has
// a leaf of this Log keeps the turn, the appender lease and the process's claim on the
// directory until the leaf is settled. Released at once, another appender would find the
// leaf's reservation ownerless and, the leaf not being in the log yet, free its key,
// although Tessera may still log it: a second successor could then take the key.
func TestCloseOutOfTimeKeepsTheLease(t *testing.T) {
	dir, key := initLog(t)
	l, err := Open(t.Context(), dir, key)
	require.NoError(t, err)
	b := l.b
	// A leaf in Tessera's hands, its settling to come.
	require.NoError(t, b.turn.enter(t.Context(), 1))
	b.settling.Add(1)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err = b.Close(ctx)
	require.ErrorIs(t, err, errUnsettled)

	lease := filepath.Join(b.index.dir, ownersDir, hex.EncodeToString(b.index.me[:]))
	other := newTurn(b.turn.path, time.Hour)
	t.Cleanup(other.close)
	require.True(t, flocked(t, lease), "the lease is kept while the leaf is unsettled")
	require.ErrorIs(t, enterWithin(t, other, 100*time.Millisecond), context.DeadlineExceeded, "so is the turn")
	require.Error(t, register(b.dir), "and the directory, in this process")

	b.turn.leave(1) // Tessera sequenced the leaf
	b.settling.Done()
	require.Eventually(t, func() bool {
		_, err := os.Stat(lease)
		return errors.Is(err, fs.ErrNotExist)
	}, 10*time.Second, 10*time.Millisecond, "the lease is given up once the leaf is settled")
	require.NoError(t, enterWithin(t, other, 5*time.Second), "the turn too")
	other.leave(1)
	require.NoError(t, register(b.dir), "the directory too")
	unregister(b.dir)
}

// flocked reports whether another open file description holds a flock on path.
func flocked(t *testing.T, path string) bool {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return true
	}
	require.NoError(t, syscall.Flock(int(f.Fd()), syscall.LOCK_UN))
	return false
}
