package posixlog

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
)

func openTestLog(t *testing.T) *Log {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "log")
	key := filepath.Join(t.TempDir(), "log.key")
	_, err := Init(dir, key, "evidctl.test/index")
	require.NoError(t, err)
	l, err := Open(t.Context(), dir, key)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// indexOf returns a view of the index of the log in dir, as another process has one.
func indexOf(t *testing.T, dir string) *tagIndex {
	ix := &tagIndex{dir: filepath.Join(dir, indexDir)}
	salt, err := os.ReadFile(filepath.Join(ix.dir, saltFile))
	require.NoError(t, err)
	ix.salt = salt
	return ix
}

// put writes a record into the index of l's directory, as another process would.
func put(t *testing.T, dir string, r record) {
	t.Helper()
	ix := indexOf(t, dir)
	require.NoError(t, ix.withShard(keyOf(r.leaf), false, func(sh *shard) (bool, error) { return true, sh.put(r) }))
}

func deadOwner(t *testing.T) owner {
	var o owner
	_, err := rand.Read(o[:])
	require.NoError(t, err)
	return o
}

// TestReservationOfDeadAppenderNeverLogged: a reservation left by a killed appender whose
// entry never reached the log does not block the tag.
func TestReservationOfDeadAppenderNeverLogged(t *testing.T) {
	l := openTestLog(t)
	lost, next := ledgertest.Entry("t", "lost"), ledgertest.Entry("t", "next")
	put(t, l.Dir(), record{kind: kindReserved, leaf: lost, owner: deadOwner(t)})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	r, err := l.Append(ctx, next)
	require.NoError(t, err)
	_, err = l.Append(ctx, lost)
	var ce *ledger.ConflictError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, r.Index, ce.Index)
}

// TestReservationOfDeadAppenderLogged: a reservation left by an appender killed after
// its entry reached the log (its Logged record lost) is reconciled with the log: the
// entry keeps the tag.
func TestReservationOfDeadAppenderLogged(t *testing.T) {
	l := openTestLog(t)
	first, second := ledgertest.Entry("t", "first"), ledgertest.Entry("t", "second")
	_, err := l.Append(t.Context(), ledgertest.Entry("other", "x"))
	require.NoError(t, err)
	r, err := l.Append(t.Context(), first)
	require.NoError(t, err)
	put(t, l.Dir(), record{kind: kindReserved, leaf: first, n: 1, owner: deadOwner(t)})
	_, err = l.Append(t.Context(), second)
	var ce *ledger.ConflictError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, r.Index, ce.Index)
	again, err := l.Append(t.Context(), first)
	require.NoError(t, err)
	require.Equal(t, r.Index, again.Index)
	require.NoError(t, CheckIndex(t.Context(), l.Dir()))
}

// TestReservationOfLiveAppenderWaits: a tag reserved by an appender that is still open
// (in another process) is not overtaken: the append waits until it is settled.
func TestReservationOfLiveAppenderWaits(t *testing.T) {
	l := openTestLog(t)
	other, err := openIndex(l.Dir())
	require.NoError(t, err)
	defer other.close()
	held, mine := ledgertest.Entry("t", "held"), ledgertest.Entry("t", "mine")
	put(t, l.Dir(), record{kind: kindReserved, leaf: held, owner: other.me})

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err = l.Append(ctx, mine)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "waiting for another append of the same tag")

	done := make(chan error, 1)
	go func() { _, err := l.Append(t.Context(), mine); done <- err }()
	time.Sleep(100 * time.Millisecond)
	put(t, l.Dir(), record{kind: kindFreed, leaf: held})
	require.NoError(t, <-done)
}

// TestTornRecordIsTrimmed: a record cut short by a crash at the end of a shard is
// dropped, and appends go on.
func TestTornRecordIsTrimmed(t *testing.T) {
	l := openTestLog(t)
	e := ledgertest.Entry("t", "torn")
	put(t, l.Dir(), record{kind: kindLogged, leaf: ledgertest.Entry("t", "torn"), n: 99})
	path := filepath.Join(l.Dir(), indexDir, shardsDir, fmtShard(indexOf(t, l.Dir()).shardOf(keyOf(e))))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(record{kind: kindReserved, leaf: e}.marshal()[:40])
	require.NoError(t, err)
	require.NoError(t, f.Close())
	// The logged record (a lie at index 99) is read back; the torn one is trimmed.
	_, err = l.Append(t.Context(), ledgertest.Entry("t", "other"))
	var ce *ledger.ConflictError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, uint64(99), ce.Index)
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Zero(t, st.Size()%recordSize)
}

// TestCorruptRecordIsRefused: a record that fails its checksum before the end of a
// shard is corruption, not a crash: the append fails rather than guess.
func TestCorruptRecordIsRefused(t *testing.T) {
	l := openTestLog(t)
	e := ledgertest.Entry("t", "x")
	put(t, l.Dir(), record{kind: kindLogged, leaf: ledgertest.Entry("t", "y"), n: 1})
	put(t, l.Dir(), record{kind: kindLogged, leaf: ledgertest.Entry("t", "z"), n: 2})
	path := filepath.Join(l.Dir(), indexDir, shardsDir, fmtShard(indexOf(t, l.Dir()).shardOf(keyOf(e))))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[10] ^= 1
	require.NoError(t, os.WriteFile(path, b, 0o644))
	_, err = l.Append(t.Context(), e)
	require.ErrorContains(t, err, "record 0 is corrupt")
}
