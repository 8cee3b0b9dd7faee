package witnesstest

import (
	"fmt"
	"testing"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
)

// OpenFunc opens a fresh ledger that asks for cosignatures as the witness policy text
// says, and returns it with its trust-policy entry (without witnesses).
type OpenFunc func(t *testing.T, policy []byte) (ledger.Ledger, ledger.Log)

// Factory is a [ledgertest.Factory] of witnessed ledgers: for each test it starts n
// witnesses, opens a ledger with open asking k of them, has the witnesses accept its
// log, and returns the ledger with its entry requiring the same k (the witnesses are
// named w1…wn). Run the conformance suite with it to check a backend with witnesses.
func Factory(n, k int, open OpenFunc) ledgertest.Factory {
	return func(t *testing.T) (ledger.Ledger, ledger.Log) {
		t.Helper()
		ws := make([]*Witness, n)
		for i := range ws {
			ws[i] = Start(t, fmt.Sprintf("w%d", i+1))
		}
		l, entry := open(t, Policy(k, ws...))
		for _, w := range ws {
			w.AddLog(t, entry)
		}
		entry.WitnessPolicy = ParsedPolicy(t, k, ws...)
		return l, entry
	}
}
