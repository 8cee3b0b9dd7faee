//go:build !race

package trilliantest

import (
	"context"
	"sync"
	"testing"

	"github.com/google/trillian/extension"
	"github.com/google/trillian/quota"
	"github.com/google/trillian/storage/memory"
	"github.com/google/trillian/testonly/integration"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger/ledgertest"
)

var inProcess struct {
	once sync.Once
	addr string
	err  error
}

// InProcess starts, once per test binary, an in-process Trillian on memory storage and
// returns the address of its gRPC endpoint (log and admin APIs). It lives until the test
// binary exits. Its storage keeps leaf identity hashes unique per tree, as Trillian's SQL
// storages do (the memory storage alone does not).
func InProcess(t testing.TB) string {
	t.Helper()
	inProcess.once.Do(func() {
		ledgertest.QuietKlog("FATAL") // the in-process Trillian's informational logging
		integration.SequencerInterval = SequencerInterval
		ts := memory.NewTreeStorage()
		reg := extension.Registry{
			AdminStorage: memory.NewAdminStorage(ts),
			LogStorage:   newDedupStorage(memory.NewLogStorage(ts, nil)),
			QuotaManager: quota.Noop(),
		}
		env, err := integration.NewLogEnvWithRegistry(context.Background(), 2, reg)
		if err == nil {
			inProcess.addr = env.Address
		}
		inProcess.err = err
	})
	require.NoError(t, inProcess.err, "starting in-process Trillian")
	return inProcess.addr
}
