//go:build unix

package main

import (
	"fmt"
	"os"
	"syscall"
)

// lockBundle takes an exclusive lock on the bundle at path, so that two commands
// updating one bundle at once (two examiners, two terminals) run one after the other
// and neither event is lost from the bundle. Bundles are replaced by rename, so after
// the lock is granted the path is checked to still name the locked file; if another
// command replaced it meanwhile, the new file is locked instead. unlock releases it.
func lockBundle(path string) (unlock func(), err error) {
	for range 100 {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		held, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return func() { f.Close() }, nil
		}
		f.Close() // replaced while we waited: lock the new one
		if err2 != nil {
			return nil, err2
		}
	}
	return nil, fmt.Errorf("locking %s: it keeps being replaced", path)
}
