//go:build unix

package main

import (
	"os"
	"strconv"
	"syscall"
)

// setTestUmask sets the umask of an evidctl run by a test script to
// $EVIDCTL_TEST_UMASK (octal), when set: the umask is per process, so scripts that
// run in parallel cannot share one.
func setTestUmask() {
	if s := os.Getenv("EVIDCTL_TEST_UMASK"); s != "" {
		if m, err := strconv.ParseUint(s, 8, 32); err == nil {
			syscall.Umask(int(m))
		}
	}
}
