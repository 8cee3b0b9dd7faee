package posixlog_test

import (
	"testing"

	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
)

func TestConformance(t *testing.T) {
	ledgertest.Run(t, posixlogtest.Factory())
}
