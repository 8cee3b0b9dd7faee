//go:build !linux

package atomicfile

import "os"

// setDirect reports that direct I/O is not used on this system: Files are written
// through the page cache.
func setDirect(*os.File, bool) error { return errDirectUnsupported }

func isDirectRefused(error) bool { return false }

func dataSync(f *os.File) error { return f.Sync() }
