//go:build !unix

package seal

import "time"

// cpuTime is unknown here; the cpu metric is then not reported.
func cpuTime() time.Duration { return 0 }
