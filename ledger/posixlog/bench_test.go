package posixlog_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog"
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
			runAppends(b, conc, rawTessera(b))
		})
	}
}

// rawTessera opens a bare Tessera POSIX log with posixlog's default settings and returns
// its append-and-await function.
func rawTessera(b *testing.B) func(context.Context, []byte) error {
	ctx, cancel := context.WithCancel(context.Background())
	skey, _, err := note.GenerateKey(rand.Reader, "evidctl.test/raw")
	if err != nil {
		b.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		b.Fatal(err)
	}
	driver, err := posix.New(ctx, posix.Config{Path: filepath.Join(b.TempDir(), "log")})
	if err != nil {
		b.Fatal(err)
	}
	opts := tessera.NewAppendOptions().WithCheckpointSigner(s).
		WithBatching(posixlog.DefaultBatchMaxSize, posixlog.DefaultBatchMaxAge).
		WithCheckpointInterval(posixlog.DefaultCheckpointInterval)
	a, shutdown, r, err := tessera.NewAppender(ctx, driver, opts)
	if err != nil {
		b.Fatal(err)
	}
	awaiter := tessera.NewPublicationAwaiter(ctx, r.ReadCheckpoint, posixlog.DefaultPollInterval)
	b.Cleanup(func() { _ = shutdown(context.Background()); cancel() })
	return func(ctx context.Context, leaf []byte) error {
		_, _, err := awaiter.Await(ctx, a.Add(ctx, tessera.NewEntry(leaf)))
		return err
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
