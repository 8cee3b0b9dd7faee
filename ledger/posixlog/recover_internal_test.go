package posixlog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
)

const (
	bootA = "11111111-1111-4111-8111-111111111111"
	bootB = "22222222-2222-4222-8222-222222222222"
)

// boot makes the index see the running boot as id until the test ends (a test that
// reboots calls it again).
func boot(t *testing.T, id string) {
	old := readBootID
	readBootID = func() string { return id }
	t.Cleanup(func() { readBootID = old })
}

// initLog makes a log and returns its directory and key file.
func initLog(t *testing.T) (dir, key string) {
	dir = filepath.Join(t.TempDir(), "log")
	key = filepath.Join(t.TempDir(), "log.key")
	_, err := Init(dir, key, "evidctl.test/recover")
	require.NoError(t, err)
	return dir, key
}

// appended is an entry and where it landed.
type appended struct {
	entry []byte
	index uint64
}

func appendEntries(t *testing.T, l *Log, prefix string, n int) []appended {
	out := make([]appended, n)
	for i := range out {
		e := ledgertest.Entry(fmt.Sprintf("%s/tag/%d", prefix, i), prefix)
		r, err := l.Append(t.Context(), e)
		require.NoError(t, err)
		out[i] = appended{e, r.Index}
	}
	return out
}

// requireKept checks that the log keeps each entry's tag: the entry again gets its
// index, another successor a conflict naming it.
func requireKept(t *testing.T, l *Log, all []appended) {
	t.Helper()
	for _, a := range all {
		r, err := l.Append(t.Context(), a.entry)
		require.NoError(t, err)
		require.Equal(t, a.index, r.Index, "the same entry again")
		other := append(append([]byte(nil), a.entry[:ledger.TagSize]...), ledgertest.Leaf("a second successor")[ledger.TagSize:]...)
		_, err = l.Append(t.Context(), other)
		var ce *ledger.ConflictError
		require.ErrorAs(t, err, &ce, "a second successor of the entry at %d", a.index)
		require.Equal(t, a.index, ce.Index)
	}
}

// copyDir copies the directory from to to, which must not exist.
func copyDir(t *testing.T, from, to string) {
	require.NoError(t, os.CopyFS(to, os.DirFS(from)))
}

// shardOfEntry returns the path of the shard file that holds e's key.
func shardOfEntry(t *testing.T, dir string, e []byte) string {
	return filepath.Join(dir, indexDir, shardsDir, fmtShard(indexOf(t, dir).shardOf(keyOf(e))))
}

// TestReconcileAfterPowerLoss: after a power loss, the index has only what was synced
// (up to the watermark) while the log has every leaf Tessera acknowledged; the first
// Open of the next boot reconciles the index with the log, so no tag becomes free, even
// when the power loss left records unreadable.
func TestReconcileAfterPowerLoss(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, dir string, before []appended)
	}{
		{"records after the watermark lost", func(*testing.T, string, []appended) {}},
		{"a shard ends in zeros", func(t *testing.T, dir string, before []appended) {
			f, err := os.OpenFile(shardOfEntry(t, dir, before[0].entry), os.O_WRONLY|os.O_APPEND, 0)
			require.NoError(t, err)
			_, err = f.Write(make([]byte, 2*recordSize+10))
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}},
		{"a synced record unreadable", func(t *testing.T, dir string, before []appended) {
			path := shardOfEntry(t, dir, before[0].entry)
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(b), 2*recordSize)
			b[40] ^= 0xff // the first record, not the last: not a torn write
			require.NoError(t, os.WriteFile(path, b, 0o644))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			boot(t, bootA)
			dir, key := initLog(t)
			l, err := Open(t.Context(), dir, key)
			require.NoError(t, err)
			before := appendEntries(t, l, "before", 4)
			require.NoError(t, l.b.index.advance(t.Context(), l.b.reader, l.b.stateDir(), 0))
			synced := filepath.Join(t.TempDir(), "tags")
			copyDir(t, filepath.Join(dir, indexDir), synced)
			after := appendEntries(t, l, "after", 4)
			require.NoError(t, l.Close())

			// The power goes: the log keeps what Tessera synced, the index what the
			// watermark's sync made durable.
			require.NoError(t, os.RemoveAll(filepath.Join(dir, indexDir)))
			copyDir(t, synced, filepath.Join(dir, indexDir))
			tc.damage(t, dir, before)
			require.Error(t, CheckIndex(t.Context(), dir), "the index lost the entries after the watermark")

			boot(t, bootB)
			l, err = Open(t.Context(), dir, key)
			require.NoError(t, err)
			defer l.Close()
			require.NoError(t, CheckIndex(t.Context(), dir))
			requireKept(t, l, append(before, after...))
			w, _, ok, err := l.b.index.readWatermark()
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, bootB, w.boot)
			require.Equal(t, uint64(len(before)+len(after)), w.size)
		})
	}
}

// TestReconcileOldIndex: an index without a watermark (made before there was one, or
// whose reconciliation was cut short) is reconciled with the whole log at Open, and
// shard files of another layout are removed.
func TestReconcileOldIndex(t *testing.T) {
	boot(t, bootA)
	dir, key := initLog(t)
	l, err := Open(t.Context(), dir, key)
	require.NoError(t, err)
	all := appendEntries(t, l, "old", 3)
	require.NoError(t, l.Close())
	shards := filepath.Join(dir, indexDir, shardsDir)
	require.NoError(t, os.RemoveAll(shards))
	require.NoError(t, os.Mkdir(shards, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(shards, "abc"), []byte("a shard of the 4,096-shard layout"), 0o644))
	require.NoError(t, os.Remove(filepath.Join(dir, indexDir, watermarkFile)))

	l, err = Open(t.Context(), dir, key)
	require.NoError(t, err)
	defer l.Close()
	require.NoFileExists(t, filepath.Join(shards, "abc"))
	require.NoError(t, CheckIndex(t.Context(), dir))
	requireKept(t, l, all)
}

// TestDropUnreadableDropsWatermarkFirst: a reconciliation that must drop a whole record
// removes the watermark before it rewrites the shard, so that, cut short, the next one
// reads the whole log; a record torn at the end of a shard is dropped without that.
func TestDropUnreadableDropsWatermarkFirst(t *testing.T) {
	boot(t, bootA)
	dir, _ := initLog(t)
	ix := indexOf(t, dir)
	put(t, dir, record{kind: kindLogged, leaf: ledgertest.Entry("t", "a"), n: 1})
	path := shardOfEntry(t, dir, ledgertest.Entry("t", "a"))

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(make([]byte, 50))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	dropped, err := ix.dropUnreadable()
	require.NoError(t, err)
	require.False(t, dropped, "a partial record at the end")
	require.FileExists(t, filepath.Join(dir, indexDir, watermarkFile))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, int64(recordSize), st.Size())

	f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(make([]byte, recordSize))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	dropped, err = ix.dropUnreadable()
	require.NoError(t, err)
	require.True(t, dropped)
	require.NoFileExists(t, filepath.Join(dir, indexDir, watermarkFile))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Len(t, b, recordSize)
	r, err := parseRecord(b)
	require.NoError(t, err)
	require.Equal(t, kindLogged, r.kind)
}

// TestWithoutBootID: where the system gives no boot id, reservations are made durable
// before the leaf goes to Tessera (group commit), and nothing is reconciled; a later
// Open that has a boot id reconciles once.
func TestWithoutBootID(t *testing.T) {
	boot(t, "")
	dir, key := initLog(t)
	l, err := Open(t.Context(), dir, key)
	require.NoError(t, err)
	all := appendEntries(t, l, "durable", 3)
	require.NoError(t, l.Close())
	w, _, ok, err := indexOf(t, dir).readWatermark()
	require.NoError(t, err)
	require.True(t, ok)
	require.Empty(t, w.boot)

	boot(t, bootA)
	l, err = Open(context.Background(), dir, key)
	require.NoError(t, err)
	defer l.Close()
	requireKept(t, l, all)
	w, _, _, err = l.b.index.readWatermark()
	require.NoError(t, err)
	require.Equal(t, bootA, w.boot)
}
