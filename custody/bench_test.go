package custody_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
)

// bigBundle builds a bundle of n events on an in-memory log: an acquisition, then
// hand-overs between two parties and accesses, cycling.
func bigBundle(tb testing.TB, n int) (*custody.Bundle, *custody.Policy) {
	tb.Helper()
	ctx := context.Background()
	log, err := testkit.NewMemLog("bench.test/log")
	require.NoError(tb, err)
	pol := &custody.Policy{}
	require.NoError(tb, pol.AddLog(custody.TrustedLog{Origin: log.Origin(), Key: log.VerifierKey()}))
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tick := func() time.Time { clock = clock.Add(time.Second); return clock }
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
	holder := 0
	for len(b.Events) < n {
		switch {
		case len(b.Events)%10 == 9 && len(b.Events)+2 <= n:
			next := 1 - holder
			_, err = cs[holder].Transfer(ctx, b, "", cs[next].Actor(), custody.Details{Purpose: "hand-over"})
			require.NoError(tb, err)
			_, err = cs[next].Receive(ctx, b, "", nil, custody.Details{})
			holder = next
		default:
			_, err = cs[holder].Access(ctx, b, "", custody.Details{Purpose: fmt.Sprintf("examination %d", len(b.Events))})
		}
		require.NoError(tb, err)
	}
	return b, pol
}

// BenchmarkVerify1000 verifies a 1,000-event bundle without payload (target < 250 ms).
func BenchmarkVerify1000(b *testing.B) { benchmarkVerify(b, 1000) }

// BenchmarkVerify10000 verifies a 10,000-event bundle without payload (issue 14's
// target: < 1 s). The bundle is built once.
func BenchmarkVerify10000(b *testing.B) { benchmarkVerify(b, 10000) }

// benchmarkVerify parses and verifies a bundle of n events: every signature, receipt,
// checkpoint, consistency proof and chain rule.
func benchmarkVerify(b *testing.B, n int) {
	bundle, pol := bigBundle(b, n)
	data, err := json.Marshal(bundle)
	require.NoError(b, err)
	b.ResetTimer()
	for b.Loop() {
		parsed, err := custody.ParseBundle(data)
		if err != nil {
			b.Fatal(err)
		}
		rep, err := custody.Verify(context.Background(), parsed, pol)
		if err != nil || !rep.Valid {
			b.Fatalf("verify: %v %+v", err, rep.Failures)
		}
	}
	b.ReportMetric(float64(len(data))/float64(n), "bundle-bytes/event")
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
