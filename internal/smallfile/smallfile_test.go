package smallfile_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/internal/smallfile"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, make([]byte, n), 0o600))
		return p
	}
	tests := []struct {
		name    string
		path    string
		limit   int64
		want    int
		tooBig  bool
		missing bool
	}{
		{"empty file", write("empty", 0), 10, 0, false, false},
		{"shorter than the limit", write("short", 9), 10, 9, false, false},
		{"exactly the limit", write("exact", 10), 10, 10, false, false},
		{"one byte past the limit", write("over", 11), 10, 0, true, false},
		{"zero limit, empty file", write("empty0", 0), 0, 0, false, false},
		{"zero limit, one byte", write("one", 1), 0, 0, true, false},
		{"negative limit is zero", write("neg", 1), -5, 0, true, false},
		{"missing file", filepath.Join(dir, "nosuch"), 10, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := smallfile.Read(tt.path, tt.limit)
			switch {
			case tt.tooBig:
				require.ErrorIs(t, err, smallfile.ErrTooLarge)
				var tl *smallfile.TooLargeError
				require.ErrorAs(t, err, &tl)
				require.Equal(t, max(tt.limit, 0), tl.Limit)
				require.EqualError(t, err, fmt.Sprintf("larger than %d bytes", max(tt.limit, 0)))
				require.Nil(t, b)
			case tt.missing:
				require.ErrorIs(t, err, fs.ErrNotExist)
			default:
				require.NoError(t, err)
				require.Len(t, b, tt.want)
			}
		})
	}
}

// An endless file is refused after limit+1 bytes, not read to its end.
func TestReadEndless(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /dev/zero")
	}
	_, err := smallfile.Read("/dev/zero", 1<<20)
	require.ErrorIs(t, err, smallfile.ErrTooLarge)
}
