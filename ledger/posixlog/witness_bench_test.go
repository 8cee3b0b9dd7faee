package posixlog_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog"
)

// BenchmarkWitnessedAppend measures appends to a receipt with 0 and with 2 loopback
// witnesses (both required), at 1 and 256 concurrent appenders, in the same run.
// Metrics: appends/s, and the p50 and p99 latency of one append in milliseconds.
//
//	go test -run XXX -bench BenchmarkWitnessedAppend -benchtime 5s ./ledger/posixlog/
func BenchmarkWitnessedAppend(b *testing.B) {
	for _, witnesses := range []int{0, 2} {
		for _, conc := range []int{1, 256} {
			b.Run(fmt.Sprintf("witnesses=%d/appenders=%d", witnesses, conc), func(b *testing.B) {
				w := newWitnessedLog(b, witnesses)
				var l *posixlog.Log
				if witnesses > 0 {
					l = w.open(b, witnesses)
				} else {
					var err error
					l, err = posixlog.Open(b.Context(), w.dir, w.key)
					require.NoError(b, err)
					b.Cleanup(func() { _ = l.Close() })
				}
				ledgertest.ClosedLoop(b, conc, func(ctx context.Context, seq int) error {
					_, err := l.Append(ctx, ledgertest.UniqueEntry(seq))
					return err
				})
			})
		}
	}
}
