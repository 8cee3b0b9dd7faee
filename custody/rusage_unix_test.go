//go:build unix

package custody_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) this process has used so far: a benchmark
// reports it per operation, a figure that other processes' load on the machine disturbs
// far less than wall-clock time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
