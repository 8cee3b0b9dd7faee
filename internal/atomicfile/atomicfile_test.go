package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWrite(t *testing.T) {
	errFill := errors.New("fill failed")
	tests := []struct {
		name     string
		existing string // content of path before Write; "" = absent
		fill     func(w io.Writer) error
		wantErr  error
		want     string // content of path after
	}{
		{"new file", "", func(w io.Writer) error { _, err := io.WriteString(w, "hello"); return err }, nil, "hello"},
		{"replaces existing", "old", func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }, nil, "new"},
		{"empty content", "", func(w io.Writer) error { return nil }, nil, ""},
		{"fill error leaves no file", "", func(w io.Writer) error { _, _ = io.WriteString(w, "partial"); return errFill }, errFill, "<absent>"},
		{"fill error keeps existing", "old", func(w io.Writer) error { _, _ = io.WriteString(w, "partial"); return errFill }, errFill, "old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.bin")
			if tt.existing != "" {
				require.NoError(t, os.WriteFile(path, []byte(tt.existing), 0o644))
			}
			err := Write(path, 0o640, tt.fill)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			got, rerr := os.ReadFile(path)
			if tt.want == "<absent>" {
				require.ErrorIs(t, rerr, os.ErrNotExist)
				require.Empty(t, dirEntries(t, dir))
				return
			}
			require.NoError(t, rerr)
			require.Equal(t, tt.want, string(got))
			require.Equal(t, []string{"out.bin"}, dirEntries(t, dir), "no temporary file left behind")
		})
	}
}

func TestWritePermissions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, Write(path, 0o600, func(w io.Writer) error { return nil }))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}

func TestCreateInvisibleUntilCommit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "evidence.img")
	f, err := Create(path, 0o600)
	require.NoError(t, err)
	_, err = f.Write([]byte("abc"))
	require.NoError(t, err)
	_, err = f.ReadFrom(strings.NewReader("def"))
	require.NoError(t, err)
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "destination must not exist before Commit")
	names := dirEntries(t, dir)
	require.Len(t, names, 1)
	require.True(t, strings.HasPrefix(names[0], ".evidence.img.evidctl-tmp-"), names[0])

	require.NoError(t, f.Commit())
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "abcdef", string(got))
	require.NoError(t, f.Abort(), "Abort after Commit is a no-op")
	require.Equal(t, []string{"evidence.img"}, dirEntries(t, dir))

	_, err = f.Write([]byte("x"))
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, f.Commit(), ErrClosed)
}

func TestAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x")
	f, err := Create(path, 0o600)
	require.NoError(t, err)
	_, err = f.Write([]byte("data"))
	require.NoError(t, err)
	require.NoError(t, f.Abort())
	require.NoError(t, f.Abort(), "second Abort is a no-op")
	require.Empty(t, dirEntries(t, dir))
	require.ErrorIs(t, f.Commit(), ErrClosed)
}

func TestCreateErrors(t *testing.T) {
	tests := []struct {
		name string
		path string
	}{
		{"missing directory", filepath.Join(t.TempDir(), "nope", "file")},
		{"trailing slash", t.TempDir() + "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Create(tt.path, 0o600)
			require.Error(t, err)
		})
	}
}

func TestCommitRenameFailureRemovesTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "target")
	require.NoError(t, os.Mkdir(path, 0o755)) // a non-empty directory cannot be replaced by a file
	require.NoError(t, os.WriteFile(filepath.Join(path, "keep"), nil, 0o644))
	f, err := Create(path, 0o600)
	require.NoError(t, err)
	require.Error(t, f.Commit())
	require.Equal(t, []string{"target"}, dirEntries(t, dir))
}

func TestCreateRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	require.NoError(t, Write("rel.txt", 0o644, func(w io.Writer) error { _, err := io.WriteString(w, "ok"); return err }))
	got, err := os.ReadFile(filepath.Join(dir, "rel.txt"))
	require.NoError(t, err)
	require.Equal(t, "ok", string(got))
}

func TestTemporaryName(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(filepath.Join(dir, "evidence.img"), 0o600)
	require.NoError(t, err)
	defer f.Abort()
	require.Regexp(t, `^\.evidence\.img\.evidctl-tmp-[0-9a-f]{16}$`, filepath.Base(f.tmp.Name()))
}

func TestRefusesSymlink(t *testing.T) {
	tests := []struct {
		name   string
		target string // "" = a dangling link
	}{
		{"link to a file", "real.json"},
		{"dangling link", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			link := filepath.Join(dir, "link.json")
			target := filepath.Join(dir, "missing.json")
			if tt.target != "" {
				target = filepath.Join(dir, tt.target)
				require.NoError(t, os.WriteFile(target, []byte("old"), 0o644))
			}
			if err := os.Symlink(target, link); err != nil {
				t.Skipf("cannot make symbolic links here: %v", err)
			}
			err := Write(link, 0o644, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err })
			require.ErrorIs(t, err, ErrSymlink)
			fi, err := os.Lstat(link)
			require.NoError(t, err)
			require.Equal(t, os.ModeSymlink, fi.Mode().Type(), "the link is left as it was")
			if tt.target != "" {
				got, err := os.ReadFile(target)
				require.NoError(t, err)
				require.Equal(t, "old", string(got), "the link's target is left as it was")
			}
			require.NotContains(t, strings.Join(dirEntries(t, dir), " "), tempInfix, "no temporary file left")
		})
	}
}

func TestRefusesSymlinkAppearingBeforeCommit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	f, err := Create(path, 0o644)
	require.NoError(t, err)
	target := filepath.Join(dir, "target")
	require.NoError(t, os.WriteFile(target, []byte("old"), 0o644))
	if err := os.Symlink(target, path); err != nil {
		t.Skipf("cannot make symbolic links here: %v", err)
	}
	require.ErrorIs(t, f.Commit(), ErrSymlink)
	got, err := os.ReadFile(target)
	require.NoError(t, err)
	require.Equal(t, "old", string(got))
	require.ElementsMatch(t, []string{"out", "target"}, dirEntries(t, dir))
}

func TestWriteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "addr")
	require.NoError(t, WriteFile(path, []byte("127.0.0.1:1"), 0o644))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:1", string(got))
}

// BenchmarkCreate measures Create and Abort, with the stale-temporary scan, in a
// directory of n other files.
func BenchmarkCreate(b *testing.B) {
	for _, n := range []int{0, 10_000} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			for i := range n {
				require.NoError(b, os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", i)), nil, 0o600))
			}
			path := filepath.Join(dir, "out")
			for b.Loop() {
				f, err := Create(path, 0o600)
				require.NoError(b, err)
				require.NoError(b, f.Abort())
			}
		})
	}
}

// TestCommitNew: a new file appears whole; anything already at the destination (a
// file, a symbolic link, or one put there while the temporary was written) stays as it
// was, CommitNew fails with os.ErrExist, and no temporary is left behind.
func TestCommitNew(t *testing.T) {
	tests := []struct {
		name     string
		existing bool   // a file "old" is at path before Create
		racing   bool   // a file "old" is put at path between Create and CommitNew
		want     string // content of path after: "new" when CommitNew succeeds
	}{
		{name: "absent", want: "new"},
		{name: "existing file", existing: true, want: "old"},
		{name: "file appearing meanwhile", racing: true, want: "old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "key")
			if tt.existing {
				require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
			}
			f, err := Create(path, 0o600)
			require.NoError(t, err)
			_, err = io.WriteString(f, "new")
			require.NoError(t, err)
			if tt.racing {
				require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))
			}
			err = f.CommitNew()
			if tt.want == "new" {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, os.ErrExist)
			}
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, tt.want, string(got))
			require.Equal(t, []string{"key"}, dirEntries(t, dir), "no temporary left")
			require.ErrorIs(t, f.CommitNew(), ErrClosed)
		})
	}
}

func TestCommitNewLeavesSymlink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	f, err := Create(path, 0o600)
	require.NoError(t, err)
	defer f.Abort()
	target := filepath.Join(dir, "target")
	require.NoError(t, os.Symlink(target, path))
	require.ErrorIs(t, f.CommitNew(), os.ErrExist)
	_, err = os.Stat(target)
	require.ErrorIs(t, err, os.ErrNotExist, "nothing written through the link")
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	require.Equal(t, os.ModeSymlink, fi.Mode().Type())
}
