// Package atomicfile writes files so that a reader never sees a partial or
// unverified result: content goes to a temporary file in the destination
// directory, which is fsynced and renamed over the destination only when the
// writer says the content is complete. On any failure the temporary file is
// removed and the destination is left untouched.
//
// The short form is [Write]:
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
// The temporary file is named ".NAME.tmp-RANDOM" in the same directory, so the
// rename is atomic on POSIX file systems.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

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

// File is a temporary file that becomes path on [File.Commit] and disappears
// on [File.Abort]. A File is not safe for concurrent use.
type File struct {
	path string
	tmp  *os.File
	done bool // committed or aborted

	written, flushed int64 // bytes written; bytes whose writeback was started
}

// ErrClosed is returned by [File.Write] and [File.Commit] after the file was
// committed or aborted.
var ErrClosed = errors.New("atomicfile: file already committed or aborted")

// Create returns a temporary file in the directory of path with permissions
// perm. Nothing appears at path until [File.Commit].
func Create(path string, perm fs.FileMode) (*File, error) {
	dir, base := filepath.Split(path)
	if base == "" {
		return nil, fmt.Errorf("atomicfile: %q names a directory, not a file", path)
	}
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("atomicfile: creating temporary file for %q: %w", path, err)
	}
	if err := tmp.Chmod(perm.Perm()); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return nil, fmt.Errorf("atomicfile: setting mode of temporary file for %q: %w", path, err)
	}
	return &File{path: path, tmp: tmp}, nil
}

// Write writes p to the temporary file.
func (f *File) Write(p []byte) (int, error) {
	if f.done {
		return 0, ErrClosed
	}
	n, err := f.tmp.Write(p)
	f.writeBehind(n)
	return n, err
}

// ReadFrom copies r into the temporary file, letting [io.Copy] use the
// operating system's fast paths.
func (f *File) ReadFrom(r io.Reader) (int64, error) {
	if f.done {
		return 0, ErrClosed
	}
	return f.tmp.ReadFrom(r)
}

// Commit fsyncs and closes the temporary file, renames it over the
// destination path and fsyncs the directory. If any step fails the temporary
// file is removed and the destination is untouched (unless the rename itself
// succeeded and only the directory fsync failed).
func (f *File) Commit() error {
	if f.done {
		return ErrClosed
	}
	f.done = true
	name := f.tmp.Name()
	if err := f.tmp.Sync(); err != nil {
		_ = f.tmp.Close()
		_ = os.Remove(name)
		return fmt.Errorf("atomicfile: syncing %q: %w", f.path, err)
	}
	if err := f.tmp.Close(); err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("atomicfile: closing %q: %w", f.path, err)
	}
	if err := os.Rename(name, f.path); err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("atomicfile: renaming into %q: %w", f.path, err)
	}
	if err := syncDir(filepath.Dir(f.path)); err != nil {
		return fmt.Errorf("atomicfile: syncing directory of %q: %w", f.path, err)
	}
	return nil
}

// Abort closes and removes the temporary file. It is safe to call after
// [File.Commit] or a previous Abort, when it does nothing and returns nil, so
// it can be deferred unconditionally.
func (f *File) Abort() error {
	if f.done {
		return nil
	}
	f.done = true
	name := f.tmp.Name()
	cerr := f.tmp.Close()
	rerr := os.Remove(name)
	if rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		return fmt.Errorf("atomicfile: removing temporary file for %q: %w", f.path, rerr)
	}
	if cerr != nil && !errors.Is(cerr, os.ErrClosed) {
		return fmt.Errorf("atomicfile: closing temporary file for %q: %w", f.path, cerr)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return serr
	}
	return cerr
}
