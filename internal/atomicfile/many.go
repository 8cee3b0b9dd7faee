package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Many files at once (a disclosure of thousands): [CreateAll] and [RemoveStaleAll]
// scan each directory once for stale temporaries, not once per file, and [CommitAll]
// fsyncs the files several at once and each directory once, not once per file.

// maxSyncs bounds the fsyncs CommitAll runs at once.
const maxSyncs = 32

// CreateAll creates a temporary file for each of paths, as [Create] does, removing the
// stale temporaries of all of them with one scan of each directory ([RemoveStaleAll]).
// On error the files already created are aborted. Each File holds an open descriptor
// (and its lock) until it is committed or aborted.
func CreateAll(paths []string, perm fs.FileMode) ([]*File, error) {
	for _, p := range paths {
		if _, base := filepath.Split(p); base == "" {
			return nil, fmt.Errorf("creating %q: names a directory, not a file", p)
		}
	}
	_, _ = RemoveStaleAll(paths) // best effort, as in Create
	files := make([]*File, 0, len(paths))
	for _, p := range paths {
		f, err := CreateScanned(p, perm)
		if err != nil {
			for _, f := range files {
				_ = f.Abort()
			}
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// CreateScanned is [Create] without the scan for stale temporaries, for a caller that
// ran [RemoveStaleAll] over all the paths it creates: it may run in several goroutines
// at once.
func CreateScanned(path string, perm fs.FileMode) (*File, error) {
	dir, base := filepath.Split(path)
	if base == "" {
		return nil, fmt.Errorf("creating %q: names a directory, not a file", path)
	}
	if err := refuseSymlink(path); err != nil {
		return nil, err
	}
	tmp, err := createTemp(dirOrDot(dir), base, perm.Perm())
	if err != nil {
		return nil, fmt.Errorf("creating temporary file for %q: %w", path, err)
	}
	return &File{path: path, tmp: tmp}, nil
}

// RemoveStaleAll is [RemoveStale] for many paths, reading each directory once.
func RemoveStaleAll(paths []string) ([]string, error) {
	if !canLock {
		return nil, nil
	}
	byDir := map[string]map[string]bool{}
	for _, p := range paths {
		dir, base := filepath.Split(p)
		dir = dirOrDot(dir)
		if byDir[dir] == nil {
			byDir[dir] = map[string]bool{}
		}
		byDir[dir][base] = true
	}
	var removed []string
	var errs []error
	for dir, bases := range byDir {
		r, err := removeStaleIn(dir, bases)
		removed = append(removed, r...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

// removeStaleIn removes the stale temporaries in dir of the destinations named bases.
func removeStaleIn(dir string, bases map[string]bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("looking for stale temporary files in %q: %w", dir, err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		base, ok := tempBase(e.Name())
		if !ok || !bases[base] || !e.Type().IsRegular() {
			continue
		}
		name := filepath.Join(dir, e.Name())
		ok, err := removeIfStale(name)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			removed = append(removed, name)
		}
	}
	return removed, errors.Join(errs...)
}

// tempBase is the destination base name of a temporary file's name.
func tempBase(name string) (string, bool) {
	n := len(name) - suffixLen - len(tempInfix)
	if n < 2 || name[0] != '.' {
		return "", false
	}
	base := name[1:n]
	return base, isTempOf(name, base)
}

// CommitAll commits files as [File.Commit] commits each, with fewer waits: every
// temporary file is fsynced first, several at once, then each is renamed over its path
// in order, and each directory is fsynced once at the end. It returns how many files
// were renamed into place. On error the files not renamed are removed; those renamed
// stay (the caller removes them if it must). A destination that became a symbolic
// link is refused with [ErrSymlink].
func CommitAll(files []*File) (int, error) {
	for _, f := range files {
		if f == nil || f.done {
			return 0, ErrClosed
		}
	}
	abortFrom := func(i int) {
		for _, f := range files[i:] {
			_ = f.Abort()
		}
	}
	errs := make([]error, len(files))
	limit := make(chan struct{}, maxSyncs)
	var wg sync.WaitGroup
	for i, f := range files {
		limit <- struct{}{}
		wg.Go(func() {
			defer func() { <-limit }()
			if err := f.tmp.Sync(); err != nil {
				errs[i] = fmt.Errorf("syncing %q: %w", f.path, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		abortFrom(0)
		return 0, err
	}
	dirs := map[string]bool{}
	syncDirs := func() error {
		for d := range dirs {
			if err := SyncPath(d); err != nil {
				return fmt.Errorf("syncing directory %q: %w", d, err)
			}
		}
		return nil
	}
	for i, f := range files {
		if err := f.put(f.renameOver); err != nil {
			abortFrom(i + 1)
			return i, errors.Join(err, syncDirs())
		}
		dirs[filepath.Dir(f.path)] = true
	}
	return len(files), syncDirs()
}
