//go:build race

package trilliantest

import (
	"os"
	"testing"
)

// InProcess, under the race detector, returns the process Trillian of $EVIDCTL_TRILLIAN
// instead of an in-process one, whose memory storage is not race-free (see the package
// documentation); without that variable it skips the test.
func InProcess(t testing.TB) string {
	t.Helper()
	if os.Getenv(EnvVar) == "" {
		t.Skipf("Trillian's in-memory storage is not race-free, so under -race this test needs the process Trillian of $%s "+
			"(scripts/trillian/ci.sh runs go test -race ./... with it); go test without -race runs it in-process", EnvVar)
	}
	addr, _ := FromEnv(t)
	return addr
}
