package atomicfile

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWriteBehind: a large file written through the page cache (its file system
// refused direct I/O) in uneven pieces has its writeback started window by window
// while it is written, and its content is intact.
func TestWriteBehind(t *testing.T) {
	data := make([]byte, 2*writeBehindWindow+12345)
	_, _ = rand.Read(data)
	path := filepath.Join(t.TempDir(), "payload.age")
	f, err := Create(path, 0o600)
	require.NoError(t, err)
	f.noDirect = true // as startDirect leaves a File whose file system refused
	for p := data; len(p) > 0; {
		n := min(len(p), 300007)
		_, err := f.Write(p[:n])
		require.NoError(t, err)
		p = p[n:]
	}
	require.Equal(t, int64(len(data)), f.written)
	require.GreaterOrEqual(t, f.flushed, int64(2*writeBehindWindow), "writeback started for every full window")
	require.Less(t, f.written-f.flushed, int64(writeBehindWindow))
	require.NoError(t, f.Commit())
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, got))
}
