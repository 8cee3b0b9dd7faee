package posixlog_test

import (
	"testing"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
)

func TestConformance(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) (ledger.Ledger, ledger.Log) {
		return ledgertest.NewPosixLog(t)
	})
}
