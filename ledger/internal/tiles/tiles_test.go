package tiles

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
)

func TestSplitJoin(t *testing.T) {
	leaves := [][]byte{bytes.Repeat([]byte{1}, 64), bytes.Repeat([]byte{2}, 32), {}}
	b, err := Join(leaves)
	require.NoError(t, err)
	got, err := Split(b)
	require.NoError(t, err)
	require.Equal(t, leaves, got)
	for _, bad := range [][]byte{{0}, {0, 2, 1}, append(b, 0)} {
		_, err := Split(bad)
		require.ErrorIs(t, err, ledger.ErrMalformed, "%x", bad)
	}
	_, err = Join([][]byte{make([]byte, 1<<16)})
	require.Error(t, err)
}

func FuzzSplit(f *testing.F) {
	b, _ := Join([][]byte{bytes.Repeat([]byte{1}, 64), {7}})
	f.Add(b)
	f.Add([]byte{0xff, 0xff, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		leaves, err := Split(b)
		if err != nil {
			return
		}
		again, err := Join(leaves)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("a bundle that splits does not join back: %v", err)
		}
	})
}
