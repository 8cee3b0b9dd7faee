//go:build !unix

package atomicfile

import "os"

// canLock: without flock(2) a live writer cannot be told from a dead one, so no
// temporary file is ever taken for stale.
const canLock = false

// renameOpen: some systems refuse to rename an open file, so Commit closes first.
const renameOpen = false

const noFollow = 0

func lock(*os.File) error   { return nil }
func tryLock(*os.File) bool { return false }

// createExcl creates name, which must not exist, for reading and writing.
func createExcl(name string, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
}
