package memtree_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/internal/memtree"
)

// TestTreeProvesWhatTlogChecks checks the tree's checkpoints and proofs with
// golang.org/x/mod/sumdb alone, and that a fork grows a history of its own.
func TestTreeProvesWhatTlogChecks(t *testing.T) {
	tr, err := memtree.New("example.org/mem")
	require.NoError(t, err)
	verifier, err := note.NewVerifier(tr.VerifierKey())
	require.NoError(t, err)
	leaf := func(i int) []byte { return fmt.Appendf(nil, "leaf %d", i) }
	for i := range 13 {
		index, err := tr.Append(leaf(i))
		require.NoError(t, err)
		require.EqualValues(t, i, index)
	}
	require.EqualValues(t, 13, tr.Size())

	cp, err := tr.Checkpoint(13)
	require.NoError(t, err)
	n, err := note.Open(cp, note.VerifierList(verifier))
	require.NoError(t, err)
	root, err := tr.Root(13)
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("example.org/mem\n13\n%s\n", root), n.Text)

	for i := range 13 {
		p, err := tr.Inclusion(uint64(i), 13)
		require.NoError(t, err)
		require.NoError(t, tlog.CheckRecord(p, 13, root, int64(i), tlog.RecordHash(leaf(i))), "leaf %d", i)
	}
	old, err := tr.Root(7)
	require.NoError(t, err)
	p, err := tr.Consistency(7, 13)
	require.NoError(t, err)
	require.NoError(t, tlog.CheckTree(p, 13, root, 7, old))
	for _, sizes := range [][2]uint64{{0, 13}, {13, 13}} {
		p, err := tr.Consistency(sizes[0], sizes[1])
		require.NoError(t, err)
		require.Empty(t, p, "%v", sizes)
	}
	_, err = tr.Root(14)
	require.Error(t, err, "no root beyond the tree")

	fork := tr.Fork()
	_, err = fork.Append([]byte("rewritten history"))
	require.NoError(t, err)
	_, err = tr.Append(leaf(13))
	require.NoError(t, err)
	a, err := tr.Root(14)
	require.NoError(t, err)
	b, err := fork.Root(14)
	require.NoError(t, err)
	require.NotEqual(t, a, b, "the fork grew its own history")
	require.Equal(t, tr.VerifierKey(), fork.VerifierKey())
}
