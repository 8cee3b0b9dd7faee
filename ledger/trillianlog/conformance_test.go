package trillianlog_test

import (
	"testing"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
)

// TestConformance runs the ledger suite on an in-process Trillian (memory storage).
func TestConformance(t *testing.T) {
	addr := trilliantest.InProcess(t)
	ledgertest.Run(t, func(t *testing.T) (ledger.Ledger, ledger.Log) {
		return trilliantest.NewLog(t, addr)
	})
}

// TestConformanceProcess runs the ledger suite on trillian_log_server and
// trillian_log_signer processes on MariaDB ($EVIDCTL_TRILLIAN; scripts/trillian/ci.sh).
func TestConformanceProcess(t *testing.T) {
	addr, _ := trilliantest.FromEnv(t)
	ledgertest.Run(t, func(t *testing.T) (ledger.Ledger, ledger.Log) {
		return trilliantest.NewLog(t, addr)
	})
}
