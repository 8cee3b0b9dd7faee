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

// createExcl creates name, which must not exist, for reading and writing. It is
// os.OpenFile with O_CREATE|O_EXCL less the four system calls with which os tries, and
// fails, to register a regular file with the network poller: a bulk disclosure creates
// thousands.
func createExcl(name string, perm os.FileMode) (*os.File, error) {
	for {
		fd, err := syscall.Open(name, syscall.O_RDWR|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, uint32(perm.Perm()))
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), nil
	}
}
