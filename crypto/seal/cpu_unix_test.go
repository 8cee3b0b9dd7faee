//go:build unix

package seal

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) of the whole process so far: all
// pipeline goroutines, the garbage collector and the kernel's work for the
// process (page-cache copies), which a busy machine inflates far less than
// wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
