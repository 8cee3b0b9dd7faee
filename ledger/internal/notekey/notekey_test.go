package notekey

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/internal/smallfile"
)

func TestWriteNewThenRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.key")
	vkey, err := WriteNew(path, "example.org/log")
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())

	signer, got, err := Read(path)
	require.NoError(t, err)
	require.Equal(t, vkey, got)
	v, err := note.NewVerifier(vkey)
	require.NoError(t, err)
	msg, err := note.Sign(&note.Note{Text: "example.org/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"}, signer)
	require.NoError(t, err)
	_, err = note.Open(msg, note.VerifierList(v))
	require.NoError(t, err, "the key read back signs what its verifier key accepts")
}

func TestWriteNewNeverReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.key")
	_, err := WriteNew(path, "a")
	require.NoError(t, err)
	before, _ := os.ReadFile(path)
	_, err = WriteNew(path, "a")
	require.ErrorIs(t, err, fs.ErrExist)
	after, _ := os.ReadFile(path)
	require.Equal(t, before, after)
}

func TestReadRejects(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.key")
	_, err := WriteNew(good, "a")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(good, 0o644))
	_, _, err = Read(good)
	require.ErrorIs(t, err, fs.ErrPermission, "a key others may read")

	bad := filepath.Join(dir, "bad.key")
	require.NoError(t, os.WriteFile(bad, []byte("PRIVATE+KEY+a+00000000+secretmaterial\n"), 0o600))
	_, _, err = Read(bad)
	require.Error(t, err)
	require.False(t, strings.Contains(err.Error(), "secretmaterial"), "errors never echo the key")

	_, _, err = Read(filepath.Join(dir, "missing.key"))
	require.ErrorIs(t, err, fs.ErrNotExist)

	huge := filepath.Join(dir, "huge.key")
	require.NoError(t, os.WriteFile(huge, append([]byte("PRIVATE+KEY+a+00000000+secretmaterial\n"), make([]byte, maxSecretFile)...), 0o600))
	_, _, err = Read(huge)
	require.ErrorIs(t, err, smallfile.ErrTooLarge)
	require.False(t, strings.Contains(err.Error(), "secretmaterial"), "errors never echo the key")
}
