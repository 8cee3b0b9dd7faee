package custody_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/witness/witnesstest"
)

// bigBundle builds a bundle of n events on an in-memory log: an acquisition, then
// hand-overs between two parties and accesses, cycling. The events after the
// acquisition are those Access, Transfer and Receive make, recorded without replaying
// the whole chain before each one (which makes building n events O(n²)); the
// benchmarks check that the result verifies.
func bigBundle(tb testing.TB, n int) (*custody.Bundle, *custody.Policy) {
	tb.Helper()
	log, err := testkit.NewMemLog("bench.test/log")
	require.NoError(tb, err)
	pol := &custody.Policy{}
	require.NoError(tb, pol.AddLog(custody.TrustedLog{Origin: log.Origin(), Key: log.VerifierKey()}))
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tick := func() time.Time { clock = clock.Add(time.Second); return clock }
	return fillBundle(tb, n, log, pol, tick), pol
}

// bigWitnessedBundle is bigBundle on a log whose every checkpoint a witness the policy
// trusts cosigns, at the custodians' clock: every event has a trusted interval.
func bigWitnessedBundle(tb testing.TB, n int) (*custody.Bundle, *custody.Policy) {
	tb.Helper()
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := witnesstest.NewCosigner(tb, "w1", func() time.Time { return clock })
	log, err := testkit.NewMemLog("bench.test/log", ledger.WithDecorator(w.Decorator()))
	require.NoError(tb, err)
	pol := &custody.Policy{RequireAnchoredTime: true}
	require.NoError(tb, pol.AddLog(custody.TrustedLog{Origin: log.Origin(), Key: log.VerifierKey(), Witnesses: []string{w.VerifierKey}, Quorum: 1}))
	tick := func() time.Time { clock = clock.Add(time.Second); return clock }
	return fillBundle(tb, n, log, pol, tick), pol
}

// fillBundle has two parties, trusted by pol, make n events on log.
func fillBundle(tb testing.TB, n int, log ledger.Ledger, pol *custody.Policy, tick func() time.Time) *custody.Bundle {
	tb.Helper()
	ctx := context.Background()
	var cs []*custody.Custodian
	for i, name := range []string{"lab", "authority"} {
		p, err := testkit.MakeParty(custody.Party{Name: name, Organization: name + " org", Jurisdiction: []string{"FR", "DE"}[i]}, log, pol, custody.WithClock(tick))
		require.NoError(tb, err)
		cs = append(cs, p.Custodian)
	}
	id, err := age.GenerateX25519Identity()
	require.NoError(tb, err)
	var sealed bytes.Buffer
	b, err := cs[0].Acquire(ctx, custody.Evidence{Description: "image", Source: bytes.NewReader([]byte("evidence")), Sealed: &sealed},
		custody.Sealing{Recipients: []string{id.Recipient().String()}}, custody.Details{Case: "BENCH"})
	require.NoError(tb, err)
	st, err := b.Events[0].Statement()
	require.NoError(tb, err)
	item, head := st.Predicate.Item, b.Events[0].CommitmentString()
	record := func(c *custody.Custodian, ev *custody.Event) {
		ev.Item, ev.Prev = item, head
		rec, err := c.RecordUnchecked(ctx, b, ev)
		require.NoError(tb, err)
		head = rec.CommitmentString()
	}
	holder := 0
	for len(b.Events) < n {
		if len(b.Events)%10 == 9 && len(b.Events)+2 <= n {
			next := 1 - holder
			to, from := cs[next].Actor(), cs[holder].Actor()
			record(cs[holder], &custody.Event{Type: custody.Transfer, Purpose: "hand-over", Counterparty: &to})
			record(cs[next], &custody.Event{Type: custody.Receive, Transfer: head, Counterparty: &from})
			holder = next
			continue
		}
		record(cs[holder], &custody.Event{Type: custody.Access, Purpose: fmt.Sprintf("examination %d", len(b.Events))})
	}
	return b
}

// BenchmarkVerify1000 verifies a 1,000-event bundle without payload (target < 250 ms).
func BenchmarkVerify1000(b *testing.B) { benchmarkVerify(b, bigBundle, 1000) }

// BenchmarkVerify10000 verifies a 10,000-event bundle without payload (issue 14's
// target: < 1 s). The bundle is built once.
func BenchmarkVerify10000(b *testing.B) { benchmarkVerify(b, bigBundle, 10000) }

// BenchmarkVerify10000Batched verifies a 10,000-event bundle logged as Custodian.Batch
// logs it (batches of 1,000 accesses on the embedded log: ten checkpoints), the shape of
// a bulk disclosure or of a lab's access log, without payload. BenchmarkVerify10000's
// bundle, one checkpoint per event, is the worst case: one log signature to check per
// event on top of each event's own.
func BenchmarkVerify10000Batched(b *testing.B) { benchmarkVerify(b, batchedBundle, 10000) }

// batchedBundle builds a bundle of n events: an acquisition, then accesses in batches
// of 1,000.
func batchedBundle(tb testing.TB, n int) (*custody.Bundle, *custody.Policy) {
	tb.Helper()
	d := testkit.New(tb, "lab")
	bundle, _ := d.Acquire(tb, "lab", []byte("evidence"))
	for len(bundle.Events) < n {
		bt := d.Parties["lab"].Custodian.Batch(bundle)
		for range min(1000, n-len(bundle.Events)) {
			bt.Access("", custody.Details{Purpose: "examination"})
		}
		_, err := bt.Commit(context.Background())
		require.NoError(tb, err)
	}
	return bundle, d.Policy
}

// BenchmarkVerify1000TrustedTime verifies a 1,000-event bundle on a witnessed log, with
// a trusted interval for every event (an anchor and a cosigned receipt checkpoint each;
// the policy requires anchored time), without payload (target < 250 ms).
func BenchmarkVerify1000TrustedTime(b *testing.B) {
	benchmarkVerify(b, bigWitnessedBundle, 1000)
}

// benchmarkVerify parses and verifies a bundle of events events: every signature,
// receipt, checkpoint, consistency proof and chain rule. cpu-ms/op is the process's
// CPU time (all cores) per verification.
func benchmarkVerify(b *testing.B, build func(testing.TB, int) (*custody.Bundle, *custody.Policy), events int) {
	bundle, pol := build(b, events)
	data, err := json.Marshal(bundle)
	require.NoError(b, err)
	b.ResetTimer()
	verifyEach(b, data, pol, events)
}

// verifyEach parses and verifies the bundle data of events events on every iteration.
func verifyEach(b *testing.B, data []byte, pol *custody.Policy, events int) {
	start, n := cpuTime(), 0
	for b.Loop() {
		parsed, err := custody.ParseBundle(data)
		if err != nil {
			b.Fatal(err)
		}
		rep, err := custody.Verify(context.Background(), parsed, pol)
		if err != nil || !rep.Valid {
			b.Fatalf("verify: %v %+v", err, rep.Failures)
		}
		n++
	}
	b.ReportMetric(float64(len(data))/float64(events), "bundle-bytes/event")
	if used := cpuTime() - start; used > 0 && n > 0 {
		b.ReportMetric(float64(used.Milliseconds())/float64(n), "cpu-ms/op")
	}
}

// BenchmarkVerifyFile parses and verifies the bundle TestWriteBundleForBench wrote into
// the directory EVIDCTL_BENCH_BUNDLE names, under its trust policy, without building
// it again (10,000 events take minutes to build): an A/B comparison of verification
// alone. Without EVIDCTL_BENCH_BUNDLE it is skipped.
func BenchmarkVerifyFile(b *testing.B) {
	dir := os.Getenv("EVIDCTL_BENCH_BUNDLE")
	if dir == "" {
		b.Skip("set EVIDCTL_BENCH_BUNDLE=DIR (see TestWriteBundleForBench)")
	}
	data, err := os.ReadFile(filepath.Join(dir, "bench"+custody.BundleSuffix))
	require.NoError(b, err)
	pol, err := custody.ReadPolicy(filepath.Join(dir, "bench-trust.json"))
	require.NoError(b, err)
	parsed, err := custody.ParseBundle(data)
	require.NoError(b, err)
	verifyEach(b, data, pol, len(parsed.Events))
}

// TestBundleGrowsLinearly: the bytes per event of a 400-event bundle stay within 25%
// of a 50-event bundle's (inclusion paths grow only logarithmically).
func TestBundleGrowsLinearly(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in -short mode: builds 450 events")
	}
	per := func(n int) float64 {
		b, pol := bigBundle(t, n)
		rep, err := custody.Verify(context.Background(), b, pol)
		require.NoError(t, err)
		require.True(t, rep.Valid, "%+v", rep.Failures)
		data, err := json.Marshal(b)
		require.NoError(t, err)
		return float64(len(data)) / float64(n)
	}
	small, large := per(50), per(400)
	t.Logf("bundle bytes per event: %.0f at 50 events, %.0f at 400 events", small, large)
	require.Less(t, large, small*1.25, "bytes/event: %d events %.0f, %d events %.0f", 50, small, 400, large)
}

// TestWriteBundleForBench writes the bundle of BenchmarkVerify10000 (or of
// EVIDCTL_BENCH_EVENTS events) and the trust policy that verifies it into the directory
// EVIDCTL_BENCH_BUNDLE names, as bench.custody.json and bench-trust.json: bench/all.sh
// times `evidctl verify` on them. Without EVIDCTL_BENCH_BUNDLE it is skipped.
func TestWriteBundleForBench(t *testing.T) {
	dir := os.Getenv("EVIDCTL_BENCH_BUNDLE")
	if dir == "" {
		t.Skip("set EVIDCTL_BENCH_BUNDLE=DIR to write a bundle for bench/all.sh")
	}
	n := 10000
	if s := os.Getenv("EVIDCTL_BENCH_EVENTS"); s != "" {
		var err error
		n, err = strconv.Atoi(s)
		require.NoError(t, err, "EVIDCTL_BENCH_EVENTS")
	}
	b, pol := bigBundle(t, n)
	require.NoError(t, b.WriteFile(filepath.Join(dir, "bench"+custody.BundleSuffix)))
	require.NoError(t, pol.WriteFile(filepath.Join(dir, "bench-trust.json")))
}

// BenchmarkSignedEvents signs and logs batches of access events on one item through
// Custodian.Batch, end to end on the embedded log (posixlog in a temporary directory,
// ECDSA P-256): statements built and checked, signed on every core, appended as one
// ledger batch, N receipts under one checkpoint checked and added to the bundle. Issue
// 14's target: >= 10,000 events/s. The fixed cost of a batch (reading the anchor,
// waiting for the log's next checkpoint: 100 ms at least) is spread over its events,
// hence one sub-benchmark per batch size.
func BenchmarkSignedEvents(b *testing.B) {
	for _, batch := range []int{1000, 10000} {
		b.Run("batch="+strconv.Itoa(batch), func(b *testing.B) { benchmarkSignedEvents(b, batch) })
	}
}

func benchmarkSignedEvents(b *testing.B, batch int) {
	d := testkit.New(b, "lab")
	lab := d.Parties["lab"].Custodian
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		bundle, _ := d.Acquire(b, "lab", []byte("evidence"))
		b.StartTimer()
		bt := lab.Batch(bundle)
		for i := range batch {
			bt.Access("", custody.Details{Purpose: "read " + strconv.Itoa(i)})
		}
		if _, err := bt.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}
