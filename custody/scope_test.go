package custody_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
	"github.com/evidctl/evidctl/ledger"
)

// acquireCase has the lab acquire data under the case id caseID.
func acquireCase(t *testing.T, d *testkit.Deployment, caseID string, data []byte) *custody.Bundle {
	t.Helper()
	p := d.Parties["lab"]
	var sealed bytes.Buffer
	b, err := p.Custodian.Acquire(context.Background(), custody.Evidence{Description: "image.dd", Source: bytes.NewReader(data), Sealed: &sealed},
		custody.Sealing{Recipients: []string{p.Recipient}}, custody.Details{Case: caseID})
	require.NoError(t, err)
	return b
}

// splice joins two bundles of the deployment's first log into one, with the
// consistency proof the join needs: what a custodian could hand over.
func splice(t *testing.T, d *testkit.Deployment, a, b *custody.Bundle) *custody.Bundle {
	t.Helper()
	out := a.Clone()
	last := func(x *custody.Bundle) ledger.Head {
		rc, err := x.Events[len(x.Events)-1].Receipt()
		require.NoError(t, err)
		h, err := ledger.ReadHeadUnverified(rc.Checkpoint)
		require.NoError(t, err)
		return h
	}
	older := last(a)
	rc, err := b.Events[0].Receipt()
	require.NoError(t, err)
	newer, err := ledger.ReadHeadUnverified(rc.Checkpoint)
	require.NoError(t, err)
	proof, err := d.Logs[0].ConsistencyProof(context.Background(), older.Size, newer.Size)
	require.NoError(t, err)
	out.Consistency = append(out.Consistency, custody.Consistency{Origin: older.Origin, OldSize: older.Size, NewSize: newer.Size, Proof: proof})
	out.Events = append(out.Events, b.Events...)
	out.Consistency = append(out.Consistency, b.Consistency...)
	out.Anchors = append(out.Anchors, b.Anchors...)
	return out
}

// TestBundleScopeIsReported: a bundle spanning two cases, or holding the same
// evidence under two item ids, is reported (a warning; a failure when the policy
// forbids it). On main both verified VALID without a word.
func TestBundleScopeIsReported(t *testing.T) {
	d := testkit.New(t, "lab")
	cases := splice(t, d, acquireCase(t, d, "CASE-1", []byte("disk one")), acquireCase(t, d, "CASE-2", []byte("disk two")))
	twice := splice(t, d, acquireCase(t, d, "CASE-3", []byte("same disk")), acquireCase(t, d, "CASE-3", []byte("same disk")))
	for name, tt := range map[string]struct {
		b    *custody.Bundle
		want string
	}{
		"two cases":           {cases, "several-cases"},
		"same evidence twice": {twice, "same-evidence"},
	} {
		t.Run(name, func(t *testing.T) {
			rep, err := custody.Verify(context.Background(), tt.b, d.Policy)
			require.NoError(t, err)
			var text bytes.Buffer
			require.NoError(t, rep.WriteText(&text))
			require.True(t, rep.Valid, text.String())
			require.Contains(t, text.String(), tt.want, "not reported:\n%s", text.String())
		})
	}

	strict := *d.Policy
	strict.Scope = custody.Scope{SingleCase: true, UniqueEvidence: true}
	rep, err := custody.Verify(context.Background(), cases, &strict)
	require.NoError(t, err)
	require.False(t, rep.Valid)
	require.True(t, rep.Failed(custody.RuleCase, 0))
	require.False(t, rep.Failed(custody.RuleEvidence, 0))
	rep, err = custody.Verify(context.Background(), twice, &strict)
	require.NoError(t, err)
	require.True(t, rep.Failed(custody.RuleEvidence, 0), "%+v", rep.Failures)
	require.False(t, rep.Failed(custody.RuleCase, 0))

	one := acquireCase(t, d, "CASE-4", []byte("disk four"))
	rep, err = custody.Verify(context.Background(), one, &strict)
	require.NoError(t, err)
	require.True(t, rep.Valid)
	require.Empty(t, otherWarnings(rep.Warnings))
}

func TestPolicyScopeRoundTrips(t *testing.T) {
	p := &custody.Policy{Scope: custody.Scope{SingleCase: true}}
	data, err := p.MarshalJSON()
	require.NoError(t, err)
	require.Contains(t, string(data), `"singleCase": true`)
	back, err := custody.ParsePolicy(data)
	require.NoError(t, err)
	require.Equal(t, p.Scope, back.Scope)
}
