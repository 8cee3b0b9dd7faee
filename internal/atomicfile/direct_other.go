//go:build !linux

package atomicfile

import (
	"errors"
	"os"
)

// errDirectUnsupported: this system gets no direct I/O from atomicfile.
var errDirectUnsupported = errors.New("direct I/O not supported here")

// setDirect reports that direct I/O is not used on this system: Files are written
// through the page cache.
func setDirect(*os.File, bool) error { return errDirectUnsupported }

func isDirectRefused(error) bool { return false }

func dataSync(f *os.File) error { return f.Sync() }
