package atomicfile

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFS writes out every dirty page and inode of the file system that f is on, and
// reports a write-back error that happened on it since f was opened: syncfs(2), which
// reports such errors since Linux 5.8. ok is false when syncfs is not available (the
// caller then fsyncs each file).
func syncFS(f *os.File) (ok bool, err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return false, nil
	}
	var serr error
	if cerr := rc.Control(func(fd uintptr) {
		for {
			serr = unix.Syncfs(int(fd))
			if serr != unix.EINTR {
				return
			}
		}
	}); cerr != nil {
		return false, nil
	}
	if serr == unix.ENOSYS {
		return false, nil
	}
	return true, serr
}
