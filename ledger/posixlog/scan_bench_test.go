package posixlog_test

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
)

// BenchmarkScan measures an audit of a local log of 10^6 entries, read from its tiles
// (Tessera's client over the directory) and hashed into the checkpoint's root: the
// tag-set scan (FindTags, a bundle's audit) and the --all scan (FindConflicts).
// Metric: entries/s. The log is written once, by raw Tessera, before timing.
//
//	go test -run XXX -bench BenchmarkScan -benchtime 3x ./ledger/posixlog/
func BenchmarkScan(b *testing.B) {
	const n = 1_000_000
	start := time.Now()
	dir, _, entry := posixlogtest.Fill(b, n, func(i int) []byte {
		e := make([]byte, ledger.EntrySize)
		binary.BigEndian.PutUint64(e, uint64(i))
		binary.BigEndian.PutUint64(e[ledger.TagSize:], uint64(i)*7)
		return e
	})
	b.Logf("wrote %d entries in %v", n, time.Since(start).Round(time.Millisecond))
	r, err := posixlog.NewReader(dir)
	require.NoError(b, err)
	note, err := r.Checkpoint(b.Context())
	require.NoError(b, err)
	cp, err := (&ledger.Trust{Logs: []ledger.Log{entry}}).VerifyCheckpoint(note)
	require.NoError(b, err)
	require.Equal(b, uint64(n), cp.Size)
	tags := make([][ledger.TagSize]byte, 20)
	for i := range tags {
		binary.BigEndian.PutUint64(tags[i][:], uint64(i*1000))
	}
	b.Run(fmt.Sprintf("tags/entries=%d", n), func(b *testing.B) {
		for b.Loop() {
			found, err := ledger.FindTags(b.Context(), r, cp, tags)
			require.NoError(b, err)
			require.Len(b, found, len(tags))
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	})
	b.Run(fmt.Sprintf("all/entries=%d", n), func(b *testing.B) {
		for b.Loop() {
			conflicts, err := ledger.FindConflicts(b.Context(), r, cp)
			require.NoError(b, err)
			require.Empty(b, conflicts)
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	})
}
