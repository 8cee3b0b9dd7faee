package atomicfile

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// testDirectFrom is directFrom in these tests, which lowerDirectFrom sets.
const testDirectFrom = 4 << 20

// lowerDirectFrom makes Files go direct past testDirectFrom until the test ends.
func lowerDirectFrom(t *testing.T) {
	old := directFrom
	directFrom = testDirectFrom
	t.Cleanup(func() { directFrom = old })
}

// directSupported reports whether the file system of dir takes direct writes: a
// probe file set to direct I/O and written one aligned block.
func directSupported(t *testing.T, dir string) bool {
	t.Helper()
	f, err := os.CreateTemp(dir, "probe")
	require.NoError(t, err)
	defer os.Remove(f.Name())
	defer f.Close()
	if setDirect(f, true) != nil {
		return false
	}
	p := directPool.Get().(*[]byte)
	defer directPool.Put(p)
	_, err = f.WriteAt((*p)[:directBlock], 0)
	return err == nil
}

// TestDirectWrite: files of every size around the thresholds, written in uneven
// pieces, arrive intact; those past testDirectFrom go direct where the file system allows.
func TestDirectWrite(t *testing.T) {
	lowerDirectFrom(t)
	dir := t.TempDir()
	direct := directSupported(t, dir)
	if !direct {
		t.Logf("the file system of %s refuses direct I/O: checking the fallback only", dir)
	}
	for _, tc := range []struct {
		name  string
		size  int
		piece int
	}{
		{"below the threshold", testDirectFrom - 1, 300007},
		{"exactly the threshold", testDirectFrom, 1 << 20},
		{"one byte past the threshold", testDirectFrom + 1, 300007},
		{"whole blocks past the threshold", testDirectFrom + 5*directBlock, 4099},
		{"several buffers and a partial block", testDirectFrom + 3*directBuf + 4567, 300007},
		{"one write of it all", testDirectFrom + 2*directBuf + 1, testDirectFrom + 2*directBuf + 1},
		{"age chunks", testDirectFrom + 7*65552 + 17, 65552},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := make([]byte, tc.size)
			_, _ = rand.Read(data)
			path := filepath.Join(dir, "payload-"+filepath.Base(t.Name()))
			f, err := Create(path, 0o600)
			require.NoError(t, err)
			for p := data; len(p) > 0; {
				n, err := f.Write(p[:min(len(p), tc.piece)])
				require.NoError(t, err)
				p = p[n:]
			}
			require.Equal(t, direct && tc.size > testDirectFrom, f.dio != nil, "gone direct")
			require.NoError(t, f.Commit())
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, len(data), len(got))
			require.True(t, bytes.Equal(data, got), "content intact")
		})
	}
}

// TestDirectReadFrom: io.Copy into a File keeps the bytes in order across the switch
// to direct writing, whether it starts before or after it.
func TestDirectReadFrom(t *testing.T) {
	lowerDirectFrom(t)
	data := make([]byte, testDirectFrom+directBuf+999)
	_, _ = rand.Read(data)
	path := filepath.Join(t.TempDir(), "copied")
	f, err := Create(path, 0o600)
	require.NoError(t, err)
	_, err = io.Copy(f, bytes.NewReader(data[:1000]))
	require.NoError(t, err)
	_, err = f.Write(data[1000 : testDirectFrom+10])
	require.NoError(t, err)
	_, err = io.Copy(f, bytes.NewReader(data[testDirectFrom+10:]))
	require.NoError(t, err)
	require.NoError(t, f.Commit())
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, got))
}

// TestDirectAbort: a File aborted while direct leaves nothing behind and its writer
// returns.
func TestDirectAbort(t *testing.T) {
	lowerDirectFrom(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "aborted")
	f, err := Create(path, 0o600)
	require.NoError(t, err)
	before := runtime.NumGoroutine()
	_, err = f.Write(make([]byte, testDirectFrom+3*directBuf+1))
	require.NoError(t, err)
	require.NoError(t, f.Abort())
	require.Nil(t, f.dio)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries)
	require.LessOrEqual(t, runtime.NumGoroutine(), before, "the writer returned")
	_, err = f.Write([]byte("x"))
	require.ErrorIs(t, err, ErrClosed)
}

// TestDirectCommitAll: CommitAll writes out a direct File's last buffers before it
// syncs and renames.
func TestDirectCommitAll(t *testing.T) {
	lowerDirectFrom(t)
	dir := t.TempDir()
	big := make([]byte, testDirectFrom+directBuf+5)
	_, _ = rand.Read(big)
	paths := []string{filepath.Join(dir, "big"), filepath.Join(dir, "small")}
	files, err := CreateAll(paths, 0o600)
	require.NoError(t, err)
	_, err = files[0].Write(big)
	require.NoError(t, err)
	_, err = files[1].Write([]byte("small"))
	require.NoError(t, err)
	n, err := CommitAll(files)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	got, err := os.ReadFile(paths[0])
	require.NoError(t, err)
	require.True(t, bytes.Equal(big, got))
}

// TestDirectSpans: the writers are given whole aligned buffers that lie end to end,
// and the last partial block goes to the tail writer at its offset.
func TestDirectSpans(t *testing.T) {
	var mu sync.Mutex
	written := map[int64][]byte{}
	d := newDirect(testDirectFrom, func(b []byte, off int64) error {
		mu.Lock()
		defer mu.Unlock()
		if len(b)%directBlock != 0 {
			return errors.New("not whole blocks")
		}
		written[off] = bytes.Clone(b)
		return nil
	}, nil)
	data := make([]byte, 2*directBuf+3*directBlock+77)
	_, _ = rand.Read(data)
	n, err := d.add(data)
	require.NoError(t, err)
	require.Equal(t, len(data), n)
	var tailOff int64
	var tail []byte
	require.NoError(t, d.finish(func(b []byte, off int64) error { tail, tailOff = bytes.Clone(b), off; return nil }))
	d.release()
	offs := slices.Sorted(maps.Keys(written))
	require.Equal(t, []int64{testDirectFrom, testDirectFrom + directBuf, testDirectFrom + 2*directBuf}, offs)
	require.Equal(t, int64(testDirectFrom+2*directBuf+3*directBlock), tailOff)
	var out []byte
	for _, off := range offs {
		out = append(out, written[off]...)
	}
	require.Equal(t, data, append(out, tail...))
}

// TestDirectWriteError: a failed direct write is returned by a later add, or by
// finish, and nothing after it is written.
func TestDirectWriteError(t *testing.T) {
	boom := errors.New("disk full")
	var calls atomic.Int32
	d := newDirect(0, func([]byte, int64) error { calls.Add(1); return boom }, nil)
	_, err := d.add(make([]byte, directBuf))
	require.NoError(t, err, "the buffer is only queued")
	var addErr error
	for range 2*directBufs + 1 {
		if _, addErr = d.add(make([]byte, directBuf)); addErr != nil {
			break
		}
	}
	require.ErrorIs(t, addErr, boom)
	require.ErrorIs(t, d.finish(func([]byte, int64) error { t.Fatal("tail written after a failure"); return nil }), boom)
	d.release()
	require.LessOrEqual(t, calls.Load(), int32(directWriters), "no write started after the failure")
}

// TestDirectFlush: the disk's cache is flushed in the background as the File grows,
// every directFlush bytes (requests that come while one waits are merged), and a
// failed flush fails the File, since its error would not reach Commit's fsync.
func TestDirectFlush(t *testing.T) {
	var flushes atomic.Int32
	d := newDirect(0, func([]byte, int64) error { return nil }, func() error { flushes.Add(1); return nil })
	_, err := d.add(make([]byte, 2*directFlush+directBuf))
	require.NoError(t, err)
	require.NoError(t, d.finish(func([]byte, int64) error { return nil }))
	d.release()
	require.GreaterOrEqual(t, flushes.Load(), int32(1))
	require.LessOrEqual(t, flushes.Load(), int32(2))

	boom := errors.New("write-back error")
	d = newDirect(0, func([]byte, int64) error { return nil }, func() error { return boom })
	_, _ = d.add(make([]byte, directFlush+directBuf))
	require.ErrorIs(t, d.finish(func([]byte, int64) error { return nil }), boom)
	d.release()
}
