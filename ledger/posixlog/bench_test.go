package posixlog_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evidctl/evidctl/ledger/ledgertest"
)

// BenchmarkAppend measures appends to a receipt with 1, 16 and 256 concurrent appenders,
// beside raw Tessera (Add, then wait for a published checkpoint) on the same settings.
// Metrics: appends/s, and the p50 and p99 latency of one append in milliseconds.
//
//	go test -run XXX -bench BenchmarkAppend -benchtime 3s ./ledger/posixlog/
func BenchmarkAppend(b *testing.B) {
	for _, conc := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("ledger/appenders=%d", conc), func(b *testing.B) {
			l, _ := ledgertest.NewPosixLog(b)
			runAppends(b, conc, func(ctx context.Context, leaf []byte) error {
				_, err := l.Append(ctx, leaf)
				return err
			})
		})
		b.Run(fmt.Sprintf("tessera/appenders=%d", conc), func(b *testing.B) {
			runAppends(b, conc, ledgertest.RawTessera(b))
		})
	}
}

// runAppends runs b.N appends over conc goroutines and reports throughput and latency.
func runAppends(b *testing.B, conc int, appendFn func(context.Context, []byte) error) {
	ctx := context.Background()
	var next atomic.Int64
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	for range conc {
		wg.Go(func() {
			var leaf [32]byte
			_, _ = rand.Read(leaf[8:])
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				binary.BigEndian.PutUint64(leaf[:8], uint64(i))
				t0 := time.Now()
				if err := appendFn(ctx, leaf[:]); err != nil {
					failed.Store(err)
					return
				}
				lat[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "appends/s")
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
