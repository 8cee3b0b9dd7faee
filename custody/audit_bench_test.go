package custody_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
)

// BenchmarkAudit measures custody.Audit of a 100-event bundle (two items' worth of
// hand-overs and accesses) against a local log of 10^6 entries, read from the log
// directory's tiles and hashed into the checkpoint's root, and custody.AuditAll of the
// same log. The bundle's entries are the log's last ones. Metric: entries/s. The log is
// written once, by raw Tessera, before timing.
//
//	go test -run '^$' -bench BenchmarkAudit -benchtime 3x ./custody/
func BenchmarkAudit(b *testing.B) {
	const n = 1_000_000
	bundle, pol := bigBundle(b, 100)
	leaves, err := bundle.Leaves()
	require.NoError(b, err)
	start := time.Now()
	first := n - len(leaves)
	dir, _, entry := posixlogtest.Fill(b, n, func(i int) []byte {
		if i >= first {
			return leaves[i-first]
		}
		e := make([]byte, ledger.EntrySize)
		binary.BigEndian.PutUint64(e, uint64(i)*0x9e3779b97f4a7c15)
		binary.BigEndian.PutUint64(e[ledger.TagSize:], uint64(i))
		return e
	})
	b.Logf("wrote %d entries in %v", n, time.Since(start).Round(time.Millisecond))
	require.NoError(b, pol.AddLog(custody.TrustedLog{Origin: entry.Origin, Key: entry.VerifierKey}))
	r, err := posixlog.NewReader(dir)
	require.NoError(b, err)
	b.Run(fmt.Sprintf("bundle/entries=%d", n), func(b *testing.B) {
		for b.Loop() {
			rep, err := custody.Audit(context.Background(), bundle, pol, r)
			require.NoError(b, err)
			require.True(b, rep.Complete)
			require.Equal(b, uint64(n), rep.Checkpoint.Size)
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	})
	b.Run(fmt.Sprintf("all/entries=%d", n), func(b *testing.B) {
		for b.Loop() {
			rep, err := custody.AuditAll(context.Background(), pol, r)
			require.NoError(b, err)
			require.True(b, rep.Complete)
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	})
}
