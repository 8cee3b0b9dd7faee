package custody_test

import (
	"context"
	"encoding/json"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
)

// TestVerifyPipelineReportsInOrder: a bundle long enough for Verify's pipeline (its
// signatures checked on every core while the chain replays), with a signature broken
// at event k and a receipt broken at a later event, reports the signature failure at
// event k first and the receipt at its own event (and the checkpoints it breaks as
// bundle-wide), every time, whatever the order the
// workers finished in; and the report is the one a single core makes, reading and
// checking everything in order.
func TestVerifyPipelineReportsInOrder(t *testing.T) {
	b, pol := bigBundle(t, 150)
	const k, later = 77, 121
	sig := b.Events[k-1].Envelope.Signatures[0].Sig
	sig[len(sig)/2] ^= 1
	b.Events[later-1].Proof = b.Events[later-2].Proof
	data, err := json.Marshal(b)
	require.NoError(t, err)
	var first []byte
	for range 5 {
		parsed, err := custody.ParseBundle(data)
		require.NoError(t, err)
		rep, err := custody.Verify(context.Background(), parsed, pol)
		require.NoError(t, err)
		require.False(t, rep.Valid)
		require.NotEmpty(t, rep.Failures)
		require.Equal(t, k, rep.Failures[0].Event, "%+v", rep.Failures[0])
		require.Equal(t, custody.RuleSignature, rep.Failures[0].Rule)
		var events []int
		for _, f := range rep.Failures {
			events = append(events, f.Event)
		}
		require.Contains(t, events, later)
		for _, e := range events {
			require.Contains(t, []int{k, later, 0}, e, "failures: %+v", rep.Failures) // 0: the bundle's consistency
		}
		out, err := json.Marshal(rep)
		require.NoError(t, err)
		if first == nil {
			first = out
			require.JSONEq(t, string(serialReport(t, data, pol)), string(out), "the report on one core (read and checked in order)")
		}
		require.Equal(t, string(first), string(out), "the report changed between runs")
	}
}

// serialReport reads and verifies a bundle with GOMAXPROCS at 1: no prefetching while
// reading, no pipeline while verifying.
func serialReport(t *testing.T, data []byte, pol *custody.Policy) []byte {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	b, err := custody.ParseBundle(data)
	require.NoError(t, err)
	rep, err := custody.Verify(context.Background(), b, pol)
	require.NoError(t, err)
	out, err := json.Marshal(rep)
	require.NoError(t, err)
	return out
}

// TestParseBundleLongRefusesInOrder: reading a bundle long enough to be prefetched on
// other cores refuses it as reading in order does, at the first bad event.
func TestParseBundleLongRefusesInOrder(t *testing.T) {
	b, _ := bigBundle(t, 100)
	b.Events[69].Proof, b.Events[89].Proof = "", ""
	data, err := json.Marshal(b)
	require.NoError(t, err)
	_, err = custody.ParseBundle(data)
	require.EqualError(t, err, "bundle: event 70: no proof")
}
