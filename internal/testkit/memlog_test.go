package testkit_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/internal/testkit"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
)

// TestMemLogConformance: the in-memory log behaves as every ledger must.
func TestMemLogConformance(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) (ledger.Ledger, ledger.Log) {
		m, err := testkit.NewMemLog(ledgertest.Origin(t, "evidctl.test/mem/"))
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, m.Close()) })
		return m, ledger.Log{Origin: m.Origin(), VerifierKey: m.VerifierKey()}
	})
}
