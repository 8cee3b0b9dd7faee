package httplog_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/server"
	"github.com/evidctl/evidctl/ledger/trillianlog"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
	"github.com/evidctl/evidctl/ledger/witness/witnesstest"
)

func witnessedPosix(t *testing.T, policy []byte) (ledger.Ledger, ledger.Log) {
	return posixlogtest.NewLog(t, posixlog.WithWitnessPolicy(policy))
}

func witnessedTrillian(addr string, opts ...trillianlog.Option) witnesstest.OpenFunc {
	return func(t *testing.T, policy []byte) (ledger.Ledger, ledger.Log) {
		return trilliantest.NewLog(t, addr, append([]trillianlog.Option{trillianlog.WithWitnessPolicy(policy)}, opts...)...)
	}
}

// The ledger server in front of a witnessed log serves its cosigned checkpoints and
// receipts: the client's receipts meet the witness policy.
func TestConformanceWitnessedPosix(t *testing.T) {
	if testing.Short() {
		t.Skip("starts witnesses")
	}
	ledgertest.Run(t, served(witnesstest.Factory(2, 2, witnessedPosix)))
}

func TestConformanceWitnessedTrillian(t *testing.T) {
	ledgertest.Run(t, served(witnesstest.Factory(2, 2, witnessedTrillian(trilliantest.InProcess(t)))))
}

// TestWitnessQuorumThroughServer: when the witnesses behind the server do not cosign,
// the client's append fails at once (no retry: the server waited already) with the
// reason: which witness answered what, and the hint.
func TestWitnessQuorumThroughServer(t *testing.T) {
	w := witnesstest.Start(t, "w1")
	backend, entry := witnessedTrillian(trilliantest.InProcess(t), trillianlog.WithWitnessTimeout(time.Second))(t, witnesstest.Policy(1, w))
	w.AddLog(t, entry)
	l := serve(t, backend, entry, nil, server.WithLeafAppendsUnsafe())
	_, err := l.Append(t.Context(), ledgertest.Leaf(t.Name()+"/a"))
	require.NoError(t, err)

	w.Stop()
	start := time.Now()
	r, err := l.Append(t.Context(), ledgertest.Leaf(t.Name()+"/b"))
	require.Nil(t, r)
	require.ErrorContains(t, err, `witness "w1" at `+w.URL+": unreachable")
	require.ErrorContains(t, err, "hint: start the witnesses")
	require.NotContains(t, err.Error(), "giving up after", "not retried")
	require.Less(t, time.Since(start), 5*time.Second)
}
