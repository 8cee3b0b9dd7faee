package ledgertest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evidctl/evidctl/ledger"
)

// runPrefix makes uniqueCommitment's commitments distinct across runs that share a log.
var runPrefix = func() []byte { b := make([]byte, 24); _, _ = rand.Read(b); return b }()

// uniqueCommitment returns 32 bytes distinct for every seq in this process and, by a
// random prefix, from other processes'.
func uniqueCommitment(seq int) []byte {
	leaf := make([]byte, ledger.LeafSize)
	copy(leaf[8:], runPrefix)
	binary.BigEndian.PutUint64(leaf[:8], uint64(seq))
	return leaf
}

// UniqueEntry returns a 64-byte entry whose tag is distinct for every seq in this
// process and, by a random prefix, from other processes' entries, and looks random, as a
// real tag (an HMAC) does.
func UniqueEntry(seq int) []byte {
	c := uniqueCommitment(seq)
	tag := sha256.Sum256(c)
	return append(tag[:], c...)
}

var closedLoopSeq atomic.Int64 // distinct across sub-benchmarks and b.N rounds

// ClosedLoop runs b.N appends over the given number of clients, each waiting for its
// answer before the next (as a custodian's command does), and reports appends/s and the
// p50 and p99 latency. appendFn gets a sequence number distinct within the process (see
// UniqueEntry). The benchmarks of posixlog and of the ledger server measure both the
// backend and its raw engine with it, in the same run.
func ClosedLoop(b *testing.B, clients int, appendFn func(ctx context.Context, seq int) error) {
	ctx := context.Background()
	var next atomic.Int64
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				t0 := time.Now()
				if err := appendFn(ctx, int(closedLoopSeq.Add(1))); err != nil {
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
