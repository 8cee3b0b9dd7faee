package ledger_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
)

func TestReadHeadUnverified(t *testing.T) {
	m := newMemLog(t, "example.org/head")
	m.grow(t, 5)
	h, err := ledger.ReadHeadUnverified(m.checkpoint(t, 5))
	require.NoError(t, err)
	require.Equal(t, "example.org/head", h.Origin)
	require.Equal(t, uint64(5), h.Size)
	require.Equal(t, m.verified(t, 5).Hash, h.Hash)

	for name, msg := range map[string]string{
		"empty":        "",
		"no signature": "example.org/head\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"bad size":     "example.org/head\nfive\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— example.org/head AAAA\n",
	} {
		_, err := ledger.ReadHeadUnverified([]byte(msg))
		require.ErrorIs(t, err, ledger.ErrMalformed, name)
	}
}

func TestCoversUnverified(t *testing.T) {
	m := newMemLog(t, "example.org/covers")
	m.grow(t, 9)
	r := m.receipt(t, 3, 9)
	require.NoError(t, r.CoversUnverified(leafOf(3)))
	require.ErrorIs(t, r.CoversUnverified(leafOf(4)), ledger.ErrLeafMismatch, "another leaf")
	short := *r
	short.Proof = r.Proof[:len(r.Proof)-1]
	require.ErrorIs(t, short.CoversUnverified(leafOf(3)), ledger.ErrLeafMismatch, "truncated path")
	far := *r
	far.Index = 9
	require.ErrorIs(t, far.CoversUnverified(leafOf(3)), ledger.ErrMalformed, "index beyond the tree")
	bad := *r
	bad.Checkpoint = bytes.Replace(r.Checkpoint, []byte("\n9\n"), []byte("\nx\n"), 1)
	require.ErrorIs(t, bad.CoversUnverified(leafOf(3)), ledger.ErrMalformed, "unreadable checkpoint")
}

func FuzzReadHeadUnverified(f *testing.F) {
	m := newMemLog(f, "example.org/fuzz")
	m.grow(f, 3)
	f.Add(m.checkpoint(f, 3))
	f.Add([]byte("o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— o x\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		h, err := ledger.ReadHeadUnverified(msg)
		if err == nil && h.Origin == "" {
			t.Fatal("a head without an origin was accepted")
		}
	})
}
