package trillianlog_test

import (
	"testing"

	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
)

// TestConformance runs the ledger suite on an in-process Trillian (memory storage).
func TestConformance(t *testing.T) {
	ledgertest.Run(t, trilliantest.Factory(trilliantest.InProcess(t)))
}

// TestConformanceProcess runs the ledger suite on trillian_log_server and
// trillian_log_signer processes on MariaDB ($EVIDCTL_TRILLIAN; scripts/trillian/ci.sh).
func TestConformanceProcess(t *testing.T) {
	addr, _ := trilliantest.FromEnv(t)
	ledgertest.Run(t, trilliantest.Factory(addr))
}
