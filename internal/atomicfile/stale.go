package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tempInfix sits between ".NAME" and the random suffix of a temporary file's name.
const tempInfix = ".evidctl-tmp-"

// suffixLen is the length of the random suffix: 8 random bytes in lowercase hex.
const suffixLen = 16

// isTempOf says whether name is exactly a temporary file name of the destination
// base: "." + base + tempInfix + 16 lowercase hex digits.
func isTempOf(name, base string) bool {
	suffix, ok := strings.CutPrefix(name, "."+base+tempInfix)
	if !ok || len(suffix) != suffixLen {
		return false
	}
	for _, c := range suffix {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// createTemp creates and locks a new temporary file for base in dir, created
// with perm so that the umask applies.
func createTemp(dir, base string, perm fs.FileMode) (*os.File, error) {
	for range 100 {
		var r [suffixLen / 2]byte
		if _, err := rand.Read(r[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, "."+base+tempInfix+hex.EncodeToString(r[:]))
		f, err := createExcl(name, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := lock(f); err != nil {
			_ = os.Remove(name)
			_ = f.Close()
			return nil, err
		}
		// Between the create and the lock, another process may have taken the file
		// for a stale one and removed it: then make another.
		if held(f, name) {
			return f, nil
		}
		_ = f.Close()
	}
	return nil, errors.New("no free temporary file name")
}

// held says whether f is still the file at name.
func held(f *os.File, name string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Lstat(name)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// RemoveStale removes the temporary files of path that a killed process left
// behind: regular files in path's directory named exactly as [Create] names
// them for path, that no live process holds locked. It returns the paths it
// removed. Other files are never touched, nor anything on systems without
// flock(2). [Create] calls it; a caller may call it first to report what it
// removed.
func RemoveStale(path string) ([]string, error) {
	if !canLock {
		return nil, nil
	}
	dir, base := filepath.Split(path)
	return removeStaleIn(dirOrDot(dir), map[string]bool{base: true})
}

// removeIfStale removes the temporary file name if no process holds its lock.
func removeIfStale(name string) (bool, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return false, nil // gone meanwhile, or not ours to open
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return false, nil
	}
	if !tryLock(f) {
		return false, nil // a live process is writing it
	}
	// Locked by us: the writer is gone. The name must still be this file (a
	// writer commits by renaming, which would have taken the name away).
	if !held(f, name) {
		return false, nil
	}
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("removing stale temporary file %q: %w", name, err)
	}
	return true, nil
}
