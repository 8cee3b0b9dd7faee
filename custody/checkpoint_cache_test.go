package custody_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/ledger"
)

// reproved is a copy of the case whose receipts all cite the log's latest checkpoint,
// as events logged in one batch do; the note is that checkpoint.
func reproved(t *testing.T, c *caseFile) (*custody.Bundle, []byte) {
	t.Helper()
	ctx := context.Background()
	note, err := c.d.Logs[0].Checkpoint(ctx)
	require.NoError(t, err)
	head, err := ledger.ReadHeadUnverified(note)
	require.NoError(t, err)
	b := &custody.Bundle{Anchors: c.b.Anchors}
	for _, a := range c.b.Anchors { // each anchor extends to the one checkpoint
		ah, err := ledger.ReadHeadUnverified([]byte(a.Checkpoint))
		require.NoError(t, err)
		proof, err := c.d.Logs[0].ConsistencyProof(ctx, ah.Size, head.Size)
		require.NoError(t, err)
		b.Consistency = append(b.Consistency, custody.Consistency{Origin: head.Origin, OldSize: ah.Size, NewSize: head.Size, Proof: proof})
	}
	for _, rec := range c.b.Events {
		rc, err := rec.Receipt()
		require.NoError(t, err)
		proof, err := c.d.Logs[0].InclusionProof(ctx, rc.Index, head.Size)
		require.NoError(t, err)
		text, err := (&ledger.Receipt{Index: rc.Index, Proof: proof, Checkpoint: note}).MarshalText()
		require.NoError(t, err)
		b.Events = append(b.Events, custody.NewRecord(rec.Envelope, string(text)))
	}
	return b, note
}

// A checkpoint that many receipts cite is verified once, yet judged for each of them:
// a bad signature fails every event, and each inclusion path is still checked.
func TestSharedCheckpointJudgedForEveryReceipt(t *testing.T) {
	c := newCase(t)
	for i := range 14 { // enough events for Verify to check them in parallel
		_, err := c.party("prosecutor").Custodian.Access(context.Background(), c.b, "", custody.Details{Purpose: fmt.Sprint("review ", i)})
		require.NoError(t, err)
	}
	b, note := reproved(t, c)
	rep := c.verify(t, b)
	require.True(t, rep.Valid, "%+v", rep.Failures)

	forged := bytes.Clone(note) // one base64 character of the log's signature changed
	if at := len(forged) - 10; forged[at] == 'A' {
		forged[at] = 'B'
	} else {
		forged[at] = 'A'
	}
	bad := &custody.Bundle{Anchors: b.Anchors, Consistency: b.Consistency}
	for _, rec := range b.Events {
		bad.Events = append(bad.Events, custody.NewRecord(rec.Envelope, string(bytes.Replace([]byte(rec.Proof), note, forged, 1))))
	}
	rep = c.verify(t, bad)
	for i := range bad.Events {
		require.True(t, rep.Failed(custody.RuleCheckpoint, i+1), "event %d: %+v", i+1, rep.Failures)
	}
	require.Contains(t, rep.Failures[0].Found, ledger.ErrBadSignature.Error())

	swapped := b.Clone()
	swapped.Events[2] = custody.NewRecord(b.Events[2].Envelope, b.Events[3].Proof)
	rep = c.verify(t, swapped)
	require.False(t, rep.Valid)
	for i := range swapped.Events {
		require.Equal(t, i == 2, rep.Failed(custody.RuleInclusion, i+1), "event %d: %+v", i+1, rep.Failures)
		require.False(t, rep.Failed(custody.RuleCheckpoint, i+1))
	}
}

// Verification stops, with the context's error, when the context ends.
func TestVerifyStopsWhenContextEnds(t *testing.T) {
	c := newCase(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := custody.Verify(ctx, c.b, c.d.Policy)
	require.ErrorIs(t, err, context.Canceled)
}
