//go:build unix

package atomicfile

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// withUmask runs the test under umask mask, restoring the old one after. The umask is
// per process: tests that use it must not run in parallel.
func withUmask(t *testing.T, mask int) {
	t.Helper()
	old := syscall.Umask(mask)
	t.Cleanup(func() { syscall.Umask(old) })
}

func TestCreateHonoursUmask(t *testing.T) {
	tests := []struct {
		name  string
		umask int
		perm  os.FileMode
		want  os.FileMode
	}{
		{"public file under umask 022", 0o022, 0o644, 0o644},
		{"public file under umask 077", 0o077, 0o644, 0o600},
		{"public file under umask 027", 0o027, 0o644, 0o640},
		{"secret under umask 022", 0o022, 0o600, 0o600},
		{"secret under umask 077", 0o077, 0o600, 0o600},
		{"secret under umask 000", 0o000, 0o600, 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withUmask(t, tt.umask)
			dir := t.TempDir()
			path := filepath.Join(dir, "out")
			f, err := Create(path, tt.perm)
			require.NoError(t, err)
			fi, err := os.Stat(f.tmp.Name())
			require.NoError(t, err)
			require.Equal(t, tt.want, fi.Mode().Perm(), "temporary file")
			require.NoError(t, f.Commit())
			fi, err = os.Stat(path)
			require.NoError(t, err)
			require.Equal(t, tt.want, fi.Mode().Perm(), "committed file")
		})
	}
}

// The helper process: with ATOMICFILE_HOLD=PATH it creates PATH's temporary file,
// writes to it, says "ready" and waits to be killed, as a command killed mid-write.
func TestHelperHoldTemporary(t *testing.T) {
	path := os.Getenv("ATOMICFILE_HOLD")
	if path == "" {
		t.Skip("helper process for TestStaleTemporaries")
	}
	f, err := Create(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("ready\n")
	time.Sleep(time.Minute)
}

// hold starts a process that holds a temporary file of path and returns once it is
// written; kill ends the process.
func hold(t *testing.T, path string) (kill func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldTemporary$")
	cmd.Env = append(os.Environ(), "ATOMICFILE_HOLD="+path)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	done := false
	kill = func() {
		if !done {
			done = true
			_ = cmd.Process.Kill() // SIGKILL: no deferred clean-up runs
			_ = cmd.Wait()
		}
	}
	t.Cleanup(kill)
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "ready\n", line)
	return kill
}

func temporaries(t *testing.T, dir, base string) []string {
	t.Helper()
	var out []string
	for _, n := range dirEntries(t, dir) {
		if strings.HasPrefix(n, "."+base+tempInfix) {
			out = append(out, n)
		}
	}
	return out
}

func TestStaleTemporaries(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plain.dd")
	other := filepath.Join(dir, "other.dd")

	// A live process is writing the output; another was killed writing it, and
	// left its temporary file behind; so was a third writing another output.
	stopLive := hold(t, path)
	live := temporaries(t, dir, "plain.dd")
	require.Len(t, live, 1)
	hold(t, path)()
	hold(t, other)()
	require.Len(t, temporaries(t, dir, "plain.dd"), 2, "the killed process left its temporary file")
	require.Len(t, temporaries(t, dir, "other.dd"), 1)

	// The next write of the same output removes the stale file, and only it.
	require.NoError(t, Write(path, 0o600, func(w io.Writer) error { _, err := io.WriteString(w, "ok"); return err }))
	left := temporaries(t, dir, "plain.dd")
	require.Equal(t, live, left, "the live process's temporary file is kept, the stale one removed")
	require.Len(t, temporaries(t, dir, "other.dd"), 1, "another output's temporary file is not ours to remove")

	// Once the live process is gone too, its file is stale.
	stopLive()
	removed, err := RemoveStale(path)
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, left[0])}, removed)
	require.Empty(t, temporaries(t, dir, "plain.dd"))
}

func TestRemoveStaleLeavesOthersAlone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a")
	for _, name := range []string{
		".a" + tempInfix + "not-hex-at-all!",    // not our pattern
		".a" + tempInfix + "0123456789abcdef.x", // a temporary of another output, ".a.evidctl-tmp-….x"
		".ab" + tempInfix + "0123456789abcdef",  // of output "ab"
		"a" + tempInfix + "0123456789abcdef",    // not hidden
		".a.tmp-123",                            // an older naming, not ours to judge
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o600))
	}
	// A directory and a symbolic link with our pattern are not files we made.
	require.NoError(t, os.Mkdir(filepath.Join(dir, ".a"+tempInfix+"00000000000000aa"), 0o700))
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dir, ".a"+tempInfix+"00000000000000bb")))
	before := dirEntries(t, dir)
	removed, err := RemoveStale(path)
	require.NoError(t, err)
	require.Empty(t, removed)
	require.Equal(t, before, dirEntries(t, dir))
}
