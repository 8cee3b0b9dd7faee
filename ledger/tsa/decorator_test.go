package tsa_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/tsa"
	"github.com/evidctl/evidctl/ledger/tsa/tsatest"
)

// newDecoratedLog opens a fresh embedded log whose checkpoints c time-stamps, through
// posixlog.WithDecorator.
func newDecoratedLog(t testing.TB, c *tsa.Client) (*posixlog.Log, ledger.Log) {
	t.Helper()
	dir, key := filepath.Join(t.TempDir(), "log"), filepath.Join(t.TempDir(), "log.key")
	vkey, err := posixlog.Init(dir, key, "evidctl.test/decorated")
	require.NoError(t, err)
	l, err := posixlog.Open(t.Context(), dir, key, posixlog.WithDecorator(tsa.Decorator(c)))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Close()) })
	return l, ledger.Log{Origin: l.Origin(), VerifierKey: vkey}
}

// TestDecoratedLedgerConforms runs the ledger conformance suite over a posixlog
// decorated with a TSA: its receipts are receipts in every respect.
func TestDecoratedLedgerConforms(t *testing.T) {
	server := tsatest.New(t)
	ledgertest.Run(t, func(t *testing.T) (ledger.Ledger, ledger.Log) {
		return newDecoratedLog(t, newClient(t, server.URL))
	})
}

func TestDecoratorStampsReceiptsOncePerCheckpoint(t *testing.T) {
	server := tsatest.New(t)
	l, entry := newDecoratedLog(t, newClient(t, server.URL))
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}
	v := verifierOf(t, server.Authority())
	leaves := make([][]byte, 8)
	for i := range leaves {
		leaves[i] = ledgertest.Leaf(fmt.Sprint("decorated ", i))
	}
	rs, err := l.AppendBatch(t.Context(), leaves)
	require.NoError(t, err)
	tokens := map[string]bool{}
	for i, r := range rs {
		_, err := trust.VerifyReceipt(r, leaves[i])
		require.NoError(t, err)
		ts, err := v.VerifyReceipt(r)
		require.NoError(t, err, "receipt %d carries a token over its checkpoint", i)
		require.Equal(t, tsatest.Name, ts.Authority)
		tokens[string(r.Extra[0])] = true
	}
	require.EqualValues(t, len(tokens), server.Requests(), "one TSA request per checkpoint")
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
	_, err = l.(ledger.Timestamper).TimestampCheckpoint(t.Context(), cp)
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

func TestWrapTimestampsTheLatestCheckpoint(t *testing.T) {
	server := tsatest.New(t)
	l, _ := newPosixLog(t)
	w := tsa.Wrap(l, newClient(t, server.URL))
	cp, err := w.Checkpoint(t.Context())
	require.NoError(t, err)
	token, err := ledger.TimestampCheckpoint(t.Context(), w, cp)
	require.NoError(t, err)
	_, err = verifierOf(t, server.Authority()).Verify(token, cp)
	require.NoError(t, err)
	_, err = ledger.TimestampCheckpoint(t.Context(), w, checkpoint(t, l.Origin(), 9))
	require.ErrorIs(t, err, ledger.ErrNotLatest)
}
