package atomicfile

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// withSyncFSMin sets syncFSMin for the test.
func withSyncFSMin(t testing.TB, n int) {
	old := syncFSMin
	syncFSMin = n
	t.Cleanup(func() { syncFSMin = old })
}

// syncStrategies are CommitAll's two ways to make files durable.
var syncStrategies = []struct {
	name string
	min  int // syncFSMin
}{{"fsync each", math.MaxInt}, {"syncfs", 1}}

func TestCreateAllCommitAll(t *testing.T) {
	for _, st := range syncStrategies {
		for _, tc := range []struct {
			name    string
			link    int // index of a destination that becomes a symbolic link before the commit, or -1
			wantErr error
			placed  int
		}{
			{"all committed", -1, nil, 5},
			{"a destination became a link", 2, ErrSymlink, 2},
		} {
			t.Run(st.name+"/"+tc.name, func(t *testing.T) {
				withSyncFSMin(t, st.min)
				dir := t.TempDir()
				paths := make([]string, 5)
				for i := range paths {
					paths[i] = filepath.Join(dir, fmt.Sprintf("p.%d.age", i+1))
				}
				files, err := CreateAll(paths, 0o644)
				require.NoError(t, err)
				for i, f := range files {
					_, err := fmt.Fprintf(f, "payload %d", i+1)
					require.NoError(t, err)
				}
				if tc.link >= 0 {
					require.NoError(t, os.Symlink("elsewhere", paths[tc.link]))
				}
				n, err := CommitAll(files)
				require.ErrorIs(t, err, tc.wantErr)
				require.Equal(t, tc.placed, n)
				for i, p := range paths[:n] {
					data, err := os.ReadFile(p)
					require.NoError(t, err)
					require.Equal(t, fmt.Sprintf("payload %d", i+1), string(data))
				}
				for _, name := range dirEntries(t, dir) {
					_, isTemp := tempBase(name)
					require.False(t, isTemp, "temporary file %s left behind", name)
				}
				for _, f := range files {
					require.NoError(t, f.Abort(), "abort after CommitAll is a no-op")
				}
				_, err = CommitAll(files)
				require.ErrorIs(t, err, ErrClosed)
			})
		}
	}
}

// BenchmarkCommitAll commits 5,000 small files in one directory (a bulk disclosure's
// payloads) with each way of making them durable. Creating and writing them is not
// timed.
func BenchmarkCommitAll(b *testing.B) {
	const n = 5000
	payload := make([]byte, 200)
	for _, st := range syncStrategies {
		b.Run(st.name, func(b *testing.B) {
			withSyncFSMin(b, st.min)
			for b.Loop() {
				b.StopTimer()
				dir := b.TempDir()
				paths := make([]string, n)
				for i := range paths {
					paths[i] = filepath.Join(dir, fmt.Sprintf("p.%d.age", i+1))
				}
				files, err := CreateAll(paths, 0o644)
				require.NoError(b, err)
				for _, f := range files {
					_, err := f.Write(payload)
					require.NoError(b, err)
				}
				b.StartTimer()
				placed, err := CommitAll(files)
				require.NoError(b, err)
				require.Equal(b, n, placed)
			}
		})
	}
}

func TestCreateAllRemovesStale(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.1.age")
	stale := filepath.Join(dir, ".p.1.age"+tempInfix+"0123456789abcdef")
	other := filepath.Join(dir, ".q.age"+tempInfix+"0123456789abcdef")
	require.NoError(t, os.WriteFile(stale, []byte("left by a killed process"), 0o644))
	require.NoError(t, os.WriteFile(other, []byte("another destination's"), 0o644))
	files, err := CreateAll([]string{path}, 0o644)
	require.NoError(t, err)
	defer files[0].Abort()
	if canLock {
		require.NoFileExists(t, stale)
	}
	require.FileExists(t, other, "only the temporaries of the paths named are removed")

	_, err = CreateAll([]string{dir + "/"}, 0o644)
	require.Error(t, err, "a directory is no file")
}
