// Package atomicfile writes files so that a reader never sees a partial or
// unverified result: content goes to a temporary file in the destination
// directory, which is fsynced and renamed over the destination only when the
// writer says the content is complete. On any failure the temporary file is
// removed and the destination is left untouched.
//
// The short form is [Write] (or [WriteFile] for bytes at hand):
//
//	err := atomicfile.Write("report.json", 0o644, func(w io.Writer) error {
//		return json.NewEncoder(w).Encode(report)
//	})
//
// The long form, for content produced by code that wants an [io.Writer] and
// decides later whether to keep it, is [Create], then [File.Commit] or
// [File.Abort]:
//
//	f, err := atomicfile.Create(path, 0o600)
//	if err != nil {
//		return err
//	}
//	defer f.Abort() // no-op after a successful Commit
//	if err := produce(f); err != nil {
//		return err
//	}
//	return f.Commit()
//
// # Permissions
//
// The file is created with perm and the process's umask applies, as with
// [os.OpenFile]: 0o644 gives 0o644 under umask 022 and 0o600 under umask 077.
// Secrets (keys, plaintext) should be written with 0o600, which no umask widens.
//
// # Symbolic links
//
// A destination that is a symbolic link is refused with [ErrSymlink], when the
// file is created and again just before the rename: renaming would replace the
// link itself, and writing through it would change a file the caller did not
// name. A caller that means to update the link's target resolves it first
// ([path/filepath.EvalSymlinks]) and writes there.
//
// # Large files
//
// Past its first 256 MiB a File is written with direct I/O (O_DIRECT on Linux)
// where the file system allows it: Commit makes every byte durable anyway,
// and the copy into the page cache is what writing multi-GiB payloads costs
// most on some machines. A file system that refuses it gets the file through
// the page cache, as on other systems. See direct.go.
//
// # Temporary files
//
// The temporary file is named ".NAME.evidctl-tmp-" and 16 hex digits, in the
// destination's directory, so that the rename is atomic on POSIX file systems.
// While it exists the writing process holds an exclusive lock on it (flock(2)).
// A process killed before Commit or Abort (SIGKILL, power loss) leaves it
// behind; [Create] removes such stale temporaries of the same destination —
// only files with exactly that name pattern, and only when no live process
// holds their lock — and [RemoveStale] does it on demand. On systems without
// flock nothing is removed, since a live writer cannot be told from a dead one.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrSymlink means the destination is a symbolic link, which is never replaced
// or written through.
var ErrSymlink = errors.New("destination is a symbolic link")

// ErrClosed is returned by [File.Write] and [File.Commit] after the file was
// committed or aborted.
var ErrClosed = errors.New("file already committed or aborted")

// Write creates path through a temporary file in the same directory; fill
// writes the content; the file is fsynced and renamed over path only when fill
// returns nil. On any error the temporary file is removed and path is
// untouched.
func Write(path string, perm fs.FileMode, fill func(w io.Writer) error) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		return errors.Join(err, f.Abort())
	}
	return f.Commit()
}

// WriteFile is [Write] of data: the atomic counterpart of [os.WriteFile].
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// File is a temporary file that becomes path on [File.Commit] and disappears
// on [File.Abort]. A File is not safe for concurrent use.
type File struct {
	path string
	tmp  *os.File
	done bool   // committed or aborted
	seq  uint64 // order of creation in this process

	written, flushed int64 // bytes written; bytes whose writeback was started

	dio      *direct // direct writing under way (direct.go), or nil
	noDirect bool    // direct writing was tried (or is under way): never again
}

// Create returns a temporary file in the directory of path with permissions
// perm (less the umask), after removing stale temporaries of path (see the
// package documentation). Nothing appears at path until [File.Commit]. A path
// that is a symbolic link is refused with [ErrSymlink].
func Create(path string, perm fs.FileMode) (*File, error) {
	if _, base := filepath.Split(path); base != "" {
		_, _ = RemoveStale(path) // best effort: a failure here must not stop the write
	}
	return CreateScanned(path, perm)
}

func dirOrDot(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

// refuseSymlink fails with ErrSymlink when path is a symbolic link.
func refuseSymlink(path string) error {
	if fi, err := os.Lstat(path); err == nil && fi.Mode().Type() == fs.ModeSymlink {
		return fmt.Errorf("refusing to replace %q: %w", path, ErrSymlink)
	}
	return nil
}

// Write writes p to the temporary file. Past its first 256 MiB a File's
// content bypasses the page cache where the file system allows it (direct.go);
// an error of such a write may be returned by a later Write or by Commit.
func (f *File) Write(p []byte) (int, error) {
	if f.done {
		return 0, ErrClosed
	}
	if f.dio != nil {
		n, err := f.dio.add(p)
		f.written += int64(n)
		return n, err
	}
	head := len(p)
	if !f.noDirect && f.written+int64(len(p)) > directFrom {
		// Up to a block boundary the usual way, the rest directly.
		head = int(min(int64(len(p)), -f.written&(directBlock-1)))
	}
	n, err := f.tmp.Write(p[:head])
	f.writeBehind(n)
	if err != nil || head == len(p) {
		return n, err
	}
	f.startDirect()
	m, err := f.Write(p[head:])
	return n + m, err
}

// ReadFrom copies r into the temporary file, letting [io.Copy] use the
// operating system's fast paths (which go through the page cache) until the
// File goes direct.
func (f *File) ReadFrom(r io.Reader) (int64, error) {
	if f.done {
		return 0, ErrClosed
	}
	if f.dio != nil {
		return io.Copy(writerOnly{f}, r)
	}
	n, err := f.tmp.ReadFrom(r)
	f.written += n
	return n, err
}

// writerOnly hides a File's ReadFrom from io.Copy.
type writerOnly struct{ io.Writer }

// Commit fsyncs the temporary file, renames it over the destination path,
// closes it and fsyncs the directory. If any step fails the temporary file is
// removed and the destination is untouched (unless the rename itself
// succeeded and only the directory fsync failed). A destination that became a
// symbolic link meanwhile is refused with [ErrSymlink].
func (f *File) Commit() error { return f.commit(f.renameOver) }

// renameOver renames the temporary file name over the destination, unless the
// destination became a symbolic link: Commit's place.
func (f *File) renameOver(name string) error {
	if err := refuseSymlink(f.path); err != nil {
		return err
	}
	if err := os.Rename(name, f.path); err != nil {
		return fmt.Errorf("renaming into %q: %w", f.path, err)
	}
	return nil
}

// CommitNew is [File.Commit] for a destination that must not exist: the temporary
// file is linked into place, never renamed over anything, so that a file already at
// path (a symbolic link included), or one another process put there first, stays as
// it is and CommitNew fails with an error that is [fs.ErrExist].
func (f *File) CommitNew() error {
	return f.commit(func(name string) error {
		if err := os.Link(name, f.path); err != nil {
			return fmt.Errorf("linking into %q: %w", f.path, err)
		}
		_ = os.Remove(name) // the file lives on at path; a name left over is a stale temporary
		return nil
	})
}

// commit fsyncs the temporary file, moves it into place with place (given the
// temporary file's name), closes it and fsyncs the directory; see [File.Commit].
func (f *File) commit(place func(name string) error) error {
	if f.done {
		return ErrClosed
	}
	if err := f.finishDirect(); err != nil {
		return errors.Join(err, f.Abort())
	}
	if err := f.tmp.Sync(); err != nil {
		f.done = true
		_ = os.Remove(f.tmp.Name())
		_ = f.tmp.Close()
		return fmt.Errorf("syncing %q: %w", f.path, err)
	}
	if err := f.put(place); err != nil {
		return err
	}
	if err := SyncPath(filepath.Dir(f.path)); err != nil {
		return fmt.Errorf("syncing directory of %q: %w", f.path, err)
	}
	return nil
}

// put moves the temporary file, already fsynced, into place with place and closes it;
// the directory is not yet fsynced. On failure the temporary file is removed.
func (f *File) put(place func(name string) error) error {
	f.done = true
	name := f.tmp.Name()
	fail := func(err error) error {
		_ = os.Remove(name)
		_ = f.tmp.Close()
		return err
	}
	if !renameOpen {
		if err := f.tmp.Close(); err != nil {
			return fail(fmt.Errorf("closing %q: %w", f.path, err))
		}
	}
	// Where locks exist the file is moved while still open and locked, so that no
	// other process takes it for a stale temporary in between.
	if err := place(name); err != nil {
		return fail(err)
	}
	if renameOpen {
		if err := f.tmp.Close(); err != nil {
			return fmt.Errorf("closing %q: %w", f.path, err)
		}
	}
	return nil
}

// Abort removes and closes the temporary file. It is safe to call after
// [File.Commit] or a previous Abort, when it does nothing and returns nil, so
// it can be deferred unconditionally.
func (f *File) Abort() error {
	if f.done {
		return nil
	}
	f.done = true
	f.stopDirect()
	name := f.tmp.Name()
	rerr := os.Remove(name)
	cerr := f.tmp.Close()
	if rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		return fmt.Errorf("removing temporary file for %q: %w", f.path, rerr)
	}
	if cerr != nil && !errors.Is(cerr, os.ErrClosed) {
		return fmt.Errorf("closing temporary file for %q: %w", f.path, cerr)
	}
	return nil
}

// SyncPath fsyncs the file or directory at path: a file whose writer did not sync it,
// or a directory, so that a file just created, linked or renamed in it survives a crash.
func SyncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	serr := f.Sync()
	cerr := f.Close()
	if serr != nil {
		return serr
	}
	return cerr
}
