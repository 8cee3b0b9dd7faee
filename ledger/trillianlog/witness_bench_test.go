package trillianlog_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/trillianlog"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
	"github.com/evidctl/evidctl/ledger/witness/witnesstest"
)

// BenchmarkWitnessedAppend measures appends to a receipt on the in-process Trillian
// (memory storage, 10 ms sequencer interval) with 0 and with 2 loopback witnesses (both
// required, through the cosigning gateway), at 1 and 64 concurrent appenders, in the
// same run. Metrics: appends/s, and the p50 and p99 latency of one append in ms. With
// $EVIDCTL_TRILLIAN set it runs on that Trillian instead.
//
//	go test -run '^$' -bench BenchmarkWitnessedAppend -benchtime 3s ./ledger/trillianlog/
func BenchmarkWitnessedAppend(b *testing.B) {
	addr := ""
	if os.Getenv(trilliantest.EnvVar) != "" {
		addr, _ = trilliantest.FromEnv(b)
	} else {
		addr = trilliantest.InProcess(b)
	}
	for _, witnesses := range []int{0, 2} {
		for _, conc := range []int{1, 64} {
			b.Run(fmt.Sprintf("witnesses=%d/appenders=%d", witnesses, conc), func(b *testing.B) {
				var l ledger.Ledger
				if witnesses == 0 {
					l, _ = trilliantest.NewLog(b, addr)
				} else {
					ws := []*witnesstest.Witness{witnesstest.Start(b, "w1"), witnesstest.Start(b, "w2")}
					var entry ledger.Log
					l, entry = trilliantest.NewLog(b, addr, trillianlog.WithWitnessPolicy(witnesstest.Policy(2, ws...)))
					for _, w := range ws {
						w.AddLog(b, entry)
					}
				}
				ledgertest.ClosedLoop(b, conc, func(ctx context.Context, seq int) error {
					_, err := l.Append(ctx, ledgertest.UniqueEntry(seq))
					return err
				})

			})
		}
	}
}
