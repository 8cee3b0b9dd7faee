//go:build unix

package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// canLock: flock(2) tells a live writer from a dead one.
const canLock = true

// renameOpen: a file may be renamed while open, so Commit renames before closing.
const renameOpen = true

// noFollow keeps RemoveStale from opening through a link.
const noFollow = syscall.O_NOFOLLOW

// lock takes the writer's exclusive lock on its temporary file, waiting for a
// process that is checking whether the file is stale.
func lock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("locking temporary file: %w", err)
		}
		return nil
	}
}

// tryLock takes the lock if no process holds it.
func tryLock(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
