package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCreateAllCommitAll(t *testing.T) {
	for _, tc := range []struct {
		name    string
		link    int // index of a destination that becomes a symbolic link before the commit, or -1
		wantErr error
		placed  int
	}{
		{"all committed", -1, nil, 5},
		{"a destination became a link", 2, ErrSymlink, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
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
