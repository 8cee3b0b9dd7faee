package witnesstest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/witness/witnesstest"
)

func TestCosignerDatesCheckpointsByItsClock(t *testing.T) {
	clock := time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)
	w := witnesstest.NewCosigner(t, "w1", func() time.Time { return clock })
	l, entry := posixlogtest.NewLog(t, posixlog.WithDecorator(w.Decorator()))
	entry.Witnesses, entry.Quorum = []string{w.VerifierKey}, 1
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}

	cp, err := l.Checkpoint(t.Context())
	require.NoError(t, err)
	got, err := trust.VerifyCheckpoint(cp)
	require.NoError(t, err)
	require.Len(t, got.Cosignatures, 1)
	require.Equal(t, clock, got.Cosignatures[0].Time)
	require.Equal(t, "w1", got.Cosignatures[0].Witness)

	clock = clock.Add(time.Hour)
	again, err := l.Checkpoint(t.Context())
	require.NoError(t, err)
	require.Equal(t, cp, again, "one checkpoint is cosigned once")

	_, got = ledgertest.AppendVerified(t, l, trust, ledgertest.Leaf("cosigned"))
	require.Equal(t, clock, got.Cosignatures[0].Time, "a new checkpoint, at the clock's new time")
}
