package posixlog_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
)

// BenchmarkAppend measures appends to a receipt with 1, 16 and 256 concurrent appenders,
// of 64-byte entries through the tag index (entries), beside raw Tessera (Add, then wait
// for a published checkpoint) on the same settings.
// Metrics: appends/s, and the p50 and p99 latency of one append in milliseconds.
//
//	go test -run XXX -bench BenchmarkAppend -benchtime 3s ./ledger/posixlog/
func BenchmarkAppend(b *testing.B) {
	for _, conc := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("entries/appenders=%d", conc), func(b *testing.B) {
			l, _ := posixlogtest.NewLog(b)
			ledgertest.ClosedLoop(b, conc, func(ctx context.Context, seq int) error {
				_, err := l.Append(ctx, ledgertest.UniqueEntry(seq))
				return err
			})
		})
		b.Run(fmt.Sprintf("tessera/appenders=%d", conc), func(b *testing.B) {
			ledgertest.ClosedLoop(b, conc, posixlogtest.RawTessera(b))
		})
	}
}
