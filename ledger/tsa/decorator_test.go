package tsa_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/tsa"
	"github.com/evidctl/evidctl/ledger/tsa/tsatest"
)

// TestDecoratedLedgerConforms runs the ledger conformance suite over a posixlog
// decorated with a TSA: its receipts are receipts in every respect.
func TestDecoratedLedgerConforms(t *testing.T) {
	server := tsatest.New(t)
	ledgertest.Run(t, func(t *testing.T) (ledger.Ledger, ledger.Log) {
		return newDecoratedLog(t, newClient(t, server.URL))
	})
}

func TestDecoratorTimestampsTheLatestCheckpointOnly(t *testing.T) {
	server := tsatest.New(t)
	l, _ := newDecoratedLog(t, newClient(t, server.URL))
	v := verifierOf(t, server.Authority())

	first, err := l.Checkpoint(t.Context())
	require.NoError(t, err)
	token, err := l.TimestampCheckpoint(t.Context(), first)
	require.NoError(t, err)
	_, err = v.Verify(token, first)
	require.NoError(t, err, "the token covers the latest checkpoint")
	again, err := l.TimestampCheckpoint(t.Context(), first)
	require.NoError(t, err)
	require.Equal(t, token, again, "one token per checkpoint")
	require.EqualValues(t, 1, server.Requests())

	_, err = l.Append(t.Context(), ledgertest.Leaf("next"))
	require.NoError(t, err)
	stamped := server.Requests()
	_, err = l.TimestampCheckpoint(t.Context(), first)
	require.NoError(t, err, "a checkpoint stamped before is still served, from the cache")
	require.Equal(t, stamped, server.Requests())

	foreign := checkpoint(t, l.Origin(), 7)
	_, err = l.TimestampCheckpoint(t.Context(), foreign)
	require.ErrorIs(t, err, ledger.ErrNotLatest, "a note the log never published is not stamped")
	require.Equal(t, stamped, server.Requests(), "and costs no TSA request")

	_, err = l.TimestampCheckpoint(t.Context(), []byte("not a note"))
	require.ErrorIs(t, err, tsa.ErrMalformed)
}

func TestUndecoratedLedgerHasNoTimestamps(t *testing.T) {
	l, _ := newPosixLog(t)
	cp, err := l.Checkpoint(t.Context())
	require.NoError(t, err)
	_, err = l.TimestampCheckpoint(t.Context(), cp)
	require.ErrorIs(t, err, ledger.ErrNoTimestamps)
}

func TestInspectChecksAllButTrust(t *testing.T) {
	cp, token := stampedCheckpoint(t, tsatest.New(t), 3)
	ts, err := tsa.Inspect(token, cp)
	require.NoError(t, err)
	require.Empty(t, ts.Authority, "nothing says the TSA is trusted")
	require.False(t, ts.Time.IsZero())

	_, err = tsa.Inspect(token, checkpoint(t, "example.org/log", 4))
	require.ErrorIs(t, err, tsa.ErrWrongCheckpoint)
	_, err = tsa.Inspect(token[:len(token)-3], cp)
	require.ErrorIs(t, err, tsa.ErrMalformed)
}
