package custody_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
)

// TestWriteFileIsMarshalJSON: WriteFile, which encodes a bundle one event at a time,
// writes exactly MarshalJSON's bytes (the whole document indented at once) and a
// newline, for a bundle without events, one with consistency proofs and one with
// anchors.
func TestWriteFileIsMarshalJSON(t *testing.T) {
	plain, _ := bigBundle(t, 12)
	witnessed, _ := bigWitnessedBundle(t, 12)
	require.NotEmpty(t, plain.Consistency, "a bundle with consistency proofs")
	require.NotEmpty(t, witnessed.Anchors, "a bundle with anchors")
	dir := t.TempDir()
	for name, b := range map[string]*custody.Bundle{"empty": {}, "plain": plain, "witnessed": witnessed} {
		t.Run(name, func(t *testing.T) {
			want, err := b.MarshalJSON()
			require.NoError(t, err)
			path := filepath.Join(dir, name+custody.BundleSuffix)
			require.NoError(t, b.WriteFile(path))
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, string(want)+"\n", string(got))
		})
	}
}
