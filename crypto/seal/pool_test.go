package seal

import (
	"bytes"
	"runtime"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/require"
)

// TestSmallSealsReuseBuffers: sealing many small files (a bulk disclosure)
// does not allocate a ring's worth of buffers per file.
func TestSmallSealsReuseBuffers(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers on purpose: reuse is not measurable")
	}
	r, ids := testKeys(t)["x25519"].parse(t)
	run := func() {
		var out bytes.Buffer
		_, err := Seal(t.Context(), &out, bytes.NewReader([]byte("one record")), []age.Recipient{r})
		require.NoError(t, err)
		_, err = Verify(t.Context(), &out, ids)
		require.NoError(t, err)
	}
	run() // fill the pool
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 50
	for range n {
		run()
	}
	runtime.ReadMemStats(&after)
	perFile := (after.TotalAlloc - before.TotalAlloc) / n
	require.Less(t, perFile, uint64(chunkSize), "bytes allocated per small seal and verify")
}

// TestReleaseClears: buffers go back to the pool cleared of what they held.
func TestReleaseClears(t *testing.T) {
	rg := newRing(t.Context())
	for range 3 {
		b, err := rg.get()
		require.NoError(t, err)
		for i := range b {
			b[i] = 0xee
		}
		require.NoError(t, rg.put(b[:100]))
	}
	b, err := rg.next()
	require.NoError(t, err)
	rg.recycle(b)
	rg.closeWrite()
	rg.release()
	for range 3 {
		got := *bufPool.Get().(*[]byte)
		require.Len(t, got, chunkSize)
		require.Equal(t, -1, bytes.IndexByte(got, 0xee), "a pooled buffer still holds data")
	}
}
