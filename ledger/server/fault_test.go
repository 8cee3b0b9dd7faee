package server_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
)

// TestSignerFault kills trillian_log_signer (kill -9) in the middle of a load through the
// server and starts it again 5 s later. Clients see 503s and retry; no receipt is issued
// for a leaf that is not in the log, and every receipt issued verifies afterwards, in the
// final tree. It needs the process Trillian of scripts/trillian/up.sh, and EVIDCTL_FAULT=1
// (it kills that Trillian's signer): scripts/trillian/ci.sh runs it.
func TestSignerFault(t *testing.T) {
	if os.Getenv("EVIDCTL_FAULT") != "1" {
		t.Skip("fault test: set EVIDCTL_FAULT=1 with a process Trillian (scripts/trillian/ci.sh)")
	}
	addr, _ := trilliantest.FromEnv(t)
	ctl := os.Getenv("EVIDCTL_TRILLIAN_SIGNER_CTL")
	if ctl == "" {
		t.Skip("$EVIDCTL_TRILLIAN_SIGNER_CTL (scripts/trillian/signer.sh) is not set")
	}
	backend, entry := trilliantest.NewLog(t, addr)
	signer := func(verb string) {
		out, err := exec.Command(ctl, verb).CombinedOutput()
		if err != nil {
			t.Errorf("signer.sh %s: %v\n%s", verb, err, out)
		}
		t.Logf("%s signer.sh %s", time.Now().Format("15:04:05.000"), verb)
	}
	t.Cleanup(func() { signer("start") }) // whatever happens, leave a signer running (no-op if one is)

	cfg := loadConfig{clients: 32, duration: 20 * time.Second, appendTimeout: 3 * time.Second, maxAttempts: 1000}
	cfg.during = func(ctx context.Context) {
		if sleepCtx(ctx, 5*time.Second) {
			signer("kill")
		}
		sleepCtx(ctx, 5*time.Second)
		signer("start")
	}
	res := runLoad(t, backend, entry, cfg)
	checkLoad(t, backend, entry, res)
	require.NotEmpty(t, res.receipts)
	require.Positive(t, res.statuses[http.StatusServiceUnavailable], "the outage was not felt: no append timed out")
	checkAllInFinalTree(t, backend, entry, res)
}

// checkAllInFinalTree proves every receipted leaf into the latest checkpoint afresh.
func checkAllInFinalTree(t *testing.T, backend ledger.Ledger, entry ledger.Log, res loadResult) {
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}
	final, err := backend.Checkpoint(t.Context())
	require.NoError(t, err)
	cp, err := trust.VerifyCheckpoint(final)
	require.NoError(t, err)
	for commit, r := range res.receipts {
		p, err := backend.InclusionProof(t.Context(), r.Index, cp.Size)
		require.NoError(t, err)
		_, err = trust.VerifyReceipt(&ledger.Receipt{Index: r.Index, Proof: p, Checkpoint: final}, commit[:])
		require.NoError(t, err, "leaf at index %d, in the final tree", r.Index)
	}
}

// sleepCtx sleeps for d or until ctx ends; it reports whether it slept the whole d.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
