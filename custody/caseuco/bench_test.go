package caseuco_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/custody/caseuco"
	"github.com/evidctl/evidctl/internal/testkit"
)

// longCase is a bundle of n events on an in-memory log: an acquisition, then, in
// turns, accesses and hand-overs between two parties.
func longCase(tb testing.TB, n int) verified {
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
		p := testkit.NewParty(tb, name, []string{"FR", "DE"}[i])
		require.NoError(tb, pol.AddSigner(p.TrustedSigner()))
		c, err := custody.NewCustodian(p.Signer, p.Actor, log, custody.WithClock(tick))
		require.NoError(tb, err)
		cs = append(cs, c)
	}
	id, err := age.GenerateX25519Identity()
	require.NoError(tb, err)
	b, err := cs[0].Acquire(ctx, custody.Evidence{Description: "image", Source: bytes.NewReader([]byte("evidence")), Sealed: io.Discard},
		custody.Sealing{Recipients: []string{id.Recipient().String()}}, custody.Details{Case: "BENCH", Legal: &custody.Legal{Kind: custody.Domestic, Basis: "CPP art. 56"}})
	require.NoError(tb, err)
	holder := 0
	for len(b.Events) < n {
		if len(b.Events)%10 == 9 && len(b.Events)+2 <= n {
			next := 1 - holder
			_, err = cs[holder].Transfer(ctx, b, "", cs[next].Actor(), custody.Details{Purpose: "hand-over", Legal: &custody.Legal{Kind: custody.MLA, Reference: "MLA-1"}})
			require.NoError(tb, err)
			_, err = cs[next].Receive(ctx, b, "", nil, custody.Details{})
			require.NoError(tb, err)
			holder = next
			continue
		}
		_, err = cs[holder].Access(ctx, b, "", custody.Details{Purpose: "review", Tool: &custody.Tool{Name: "viewer", Version: "1"}})
		require.NoError(tb, err)
	}
	return verify(tb, b, pol)
}

// BenchmarkExport1000 exports a verified 1,000-event bundle (verification not timed).
func BenchmarkExport1000(b *testing.B) {
	v := longCase(b, 1000)
	require.True(b, v.report.Valid)
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := caseuco.Export(&buf, v.bundle, v.report, caseuco.WithTool("evidctl", "bench")); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "bytes/export")
}

func TestExportLongCase(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping in -short mode: builds a 200-event bundle")
	}
	v := longCase(t, 200)
	x := export(t, v)
	require.Len(t, x.ofType("case-investigation:InvestigativeAction"), 201)
	require.Len(t, x.ofType("case-investigation:ProvenanceRecord"), 200)
	require.Len(t, x.ofType("uco-identity:Person"), 2, "one node per party however many events it signs")
}
