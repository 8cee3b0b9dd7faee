package atomicfile

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// setDirect sets or clears O_DIRECT on f.
func setDirect(f *os.File, on bool) error {
	return control(f, func(fd int) error {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil {
			return err
		}
		if on {
			flags |= unix.O_DIRECT
		} else {
			flags &^= unix.O_DIRECT
		}
		_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags)
		return err
	})
}

// dataSync makes f's data durable (fdatasync(2)).
func dataSync(f *os.File) error { return control(f, unix.Fdatasync) }

// isDirectRefused reports whether err is a file system's refusal of a direct write
// (EINVAL: alignment it does not accept, or no direct I/O at all).
func isDirectRefused(err error) bool { return errors.Is(err, unix.EINVAL) }
