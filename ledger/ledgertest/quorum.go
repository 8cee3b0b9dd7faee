package ledgertest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
)

// RequireNoQuorum checks what an append begun at start returned when the witnesses
// could not meet the quorum: no receipt, ledger.ErrQuorum after a bounded wait (under
// 10 s: the backends wait a few witness timeouts of 1 s in the tests), and a
// *ledger.CosigningError with the answers of the policy's n witnesses, which it returns.
func RequireNoQuorum(t testing.TB, r *ledger.Receipt, err error, start time.Time, n int) *ledger.CosigningError {
	t.Helper()
	require.Nil(t, r, "never a receipt without the quorum")
	require.ErrorIs(t, err, ledger.ErrQuorum)
	require.Less(t, time.Since(start), 10*time.Second, "a bounded wait")
	var ce *ledger.CosigningError
	require.ErrorAs(t, err, &ce)
	require.Len(t, ce.Answers, n)
	return ce
}
