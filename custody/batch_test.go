package custody_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
	"github.com/evidctl/evidctl/ledger"
)

// requireValid verifies b against the deployment's policy.
func requireValid(t *testing.T, d *testkit.Deployment, b *custody.Bundle) {
	t.Helper()
	rep, err := custody.Verify(context.Background(), b, d.Policy)
	require.NoError(t, err)
	require.True(t, rep.Valid, "%+v", rep.Failures)
}

// requireOneCheckpoint checks that the records carry receipts under one checkpoint.
func requireOneCheckpoint(t *testing.T, recs []*custody.Record) {
	t.Helper()
	first, err := recs[0].Receipt()
	require.NoError(t, err)
	for i, r := range recs {
		rc, err := r.Receipt()
		require.NoError(t, err)
		require.Equal(t, string(first.Checkpoint), string(rc.Checkpoint), "receipt %d", i+1)
	}
}

func TestBatchCommit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		queue func(d *testkit.Deployment, bt *custody.Batch)
		n     int
	}{
		{"one access", func(_ *testkit.Deployment, bt *custody.Batch) {
			bt.Access("", custody.Details{Purpose: "triage"})
		}, 1},
		{"accesses and notes on one item", func(_ *testkit.Deployment, bt *custody.Batch) {
			for i := range 20 {
				if i%3 == 2 {
					bt.Note("", fmt.Sprintf("note %d", i), custody.Details{})
				} else {
					bt.Access("", custody.Details{Purpose: fmt.Sprintf("read %d", i), Tool: &custody.Tool{Name: "lab-reader"}})
				}
			}
		}, 20},
		{"accesses then a transfer", func(d *testkit.Deployment, bt *custody.Batch) {
			bt.Access("", custody.Details{Purpose: "imaging check"})
			bt.Access("", custody.Details{Purpose: "copy for the report"})
			bt.Transfer("", d.Parties["authority"].Actor, custody.Details{Purpose: "hand-over"})
		}, 3},
		{"accesses then a disposal", func(_ *testkit.Deployment, bt *custody.Batch) {
			bt.Access("", custody.Details{Purpose: "last look"})
			bt.Dispose("", custody.Details{Purpose: "destroyed"})
			bt.Note("", "destroyed in presence of the clerk", custody.Details{})
		}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := testkit.New(t, "lab", "authority")
			b, _ := d.Acquire(t, "lab", evidenceBytes)
			bt := d.Parties["lab"].Custodian.Batch(b)
			tc.queue(d, bt)
			require.Equal(t, tc.n, bt.Len())
			recs, err := bt.Commit(context.Background())
			require.NoError(t, err)
			require.Len(t, recs, tc.n)
			require.Len(t, b.Events, 1+tc.n)
			require.Equal(t, recs, b.Events[1:])
			requireOneCheckpoint(t, recs)
			requireValid(t, d, b)

			_, err = bt.Commit(context.Background())
			var ae *custody.ArgumentError
			require.ErrorAs(t, err, &ae, "a batch is committed once")
		})
	}
}

// TestBatchHandover: a hand-over as two batches, one per custodian, verifies.
func TestBatchHandover(t *testing.T) {
	ctx := context.Background()
	d := testkit.New(t, "lab", "authority")
	b, _ := d.Acquire(t, "lab", evidenceBytes)
	lab, auth := d.Parties["lab"].Custodian.Batch(b), d.Parties["authority"].Custodian
	lab.Access("", custody.Details{Purpose: "triage"})
	lab.Transfer("", d.Parties["authority"].Actor, custody.Details{Purpose: "hand-over"})
	_, err := lab.Commit(ctx)
	require.NoError(t, err)
	bt := auth.Batch(b)
	bt.Receive("", custody.Details{})
	bt.Access("", custody.Details{Purpose: "analysis"})
	bt.Note("", "report filed", custody.Details{})
	_, err = bt.Commit(ctx)
	require.NoError(t, err)
	require.Len(t, b.Events, 6)
	requireValid(t, d, b)
}

// TestBatchRefusedBeforeSigning: an event the chain refuses, anywhere in the batch,
// refuses the whole batch before anything is signed or logged.
func TestBatchRefusedBeforeSigning(t *testing.T) {
	for _, tc := range []struct {
		name    string
		queue   func(d *testkit.Deployment, bt *custody.Batch)
		event   string
		refused bool // a *RefusedError, else an *ArgumentError
	}{
		{"access without purpose in the middle", func(_ *testkit.Deployment, bt *custody.Batch) {
			bt.Access("", custody.Details{Purpose: "one"})
			bt.Access("", custody.Details{})
			bt.Access("", custody.Details{Purpose: "three"})
		}, "event 2 of 3", false},
		{"access after the custodian transferred the item", func(d *testkit.Deployment, bt *custody.Batch) {
			bt.Transfer("", d.Parties["authority"].Actor, custody.Details{Purpose: "hand-over"})
			bt.Note("", "sent", custody.Details{})
			bt.Access("", custody.Details{Purpose: "one more look"})
		}, "event 3 of 3", true},
		{"receive with no open transfer", func(_ *testkit.Deployment, bt *custody.Batch) {
			bt.Access("", custody.Details{Purpose: "one"})
			bt.Receive("", custody.Details{})
		}, "event 2 of 2", true},
		{"unknown item", func(_ *testkit.Deployment, bt *custody.Batch) {
			bt.Access("", custody.Details{Purpose: "one"})
			bt.Access("urn:uuid:00000000-0000-4000-8000-000000000000", custody.Details{Purpose: "two"})
		}, "event 2 of 2", false},
		{"unsafe text before a refused event", func(d *testkit.Deployment, bt *custody.Batch) {
			bt.Access("", custody.Details{Purpose: "one"})
			bt.Access("", custody.Details{Purpose: "two \u202e"})
			bt.Transfer("", d.Parties["authority"].Actor, custody.Details{Purpose: "hand-over"})
			bt.Access("", custody.Details{Purpose: "one more look"})
		}, "event 2 of 4", false},
		{"refused event before unsafe text", func(d *testkit.Deployment, bt *custody.Batch) {
			bt.Transfer("", d.Parties["authority"].Actor, custody.Details{Purpose: "hand-over"})
			bt.Access("", custody.Details{Purpose: "one more look"})
			bt.Access("", custody.Details{Purpose: "three \u202e"})
		}, "event 2 of 3", true},
		{"event after the disposal", func(_ *testkit.Deployment, bt *custody.Batch) {
			bt.Dispose("", custody.Details{Purpose: "destroyed"})
			bt.Access("", custody.Details{Purpose: "too late"})
		}, "event 2 of 2", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			d := testkit.New(t, "lab", "authority")
			b, _ := d.Acquire(t, "lab", evidenceBytes)
			before := b.Clone()
			cp, err := d.Logs[0].Checkpoint(ctx)
			require.NoError(t, err)
			bt := d.Parties["lab"].Custodian.Batch(b)
			tc.queue(d, bt)
			_, err = bt.Commit(ctx)
			require.ErrorContains(t, err, tc.event)
			var re *custody.RefusedError
			var ae *custody.ArgumentError
			if tc.refused {
				require.ErrorAs(t, err, &re)
			} else {
				require.ErrorAs(t, err, &ae)
			}
			require.Equal(t, before, b, "the bundle is unchanged")
			after, err := d.Logs[0].Checkpoint(ctx)
			require.NoError(t, err)
			require.Equal(t, string(cp), string(after), "nothing was logged")
		})
	}
}

// TestBatchDoubleTransfer: two copies of a bundle cannot both move the item on, batch
// or not: the ledger refuses the second, and the refusal names the batch's event.
func TestBatchDoubleTransfer(t *testing.T) {
	ctx := context.Background()
	d := testkit.New(t, "lab", "authority", "rogue")
	b, _ := d.Acquire(t, "lab", evidenceBytes)
	other := b.Clone()
	lab := d.Parties["lab"].Custodian

	bt := lab.Batch(b)
	bt.Access("", custody.Details{Purpose: "triage"})
	bt.Transfer("", d.Parties["authority"].Actor, custody.Details{Purpose: "hand-over"})
	_, err := bt.Commit(ctx)
	require.NoError(t, err)

	before := other.Clone()
	bt = lab.Batch(other)
	bt.Note("", "about to send", custody.Details{})
	bt.Transfer("", d.Parties["rogue"].Actor, custody.Details{Purpose: "to the rogue"})
	_, err = bt.Commit(ctx)
	require.ErrorContains(t, err, "event 2 of 2")
	var re *custody.RefusedError
	require.ErrorAs(t, err, &re)
	require.Equal(t, custody.Transfer, re.Type)
	require.Equal(t, custody.RuleFork, re.Violations[0].Rule)
	require.ErrorIs(t, err, ledger.ErrConflict)
	require.Equal(t, before, other, "the refused copy is unchanged")
	requireValid(t, d, b)
}

// TestBatchAudit: a batch-logged bundle audits complete; the same bundle with the
// batch's trailing events cut is found incomplete.
func TestBatchAudit(t *testing.T) {
	ac := newAuditCase(t)
	bt := ac.d.Parties["lab"].Custodian.Batch(ac.b)
	for i := range 5 {
		bt.Access("", custody.Details{Purpose: fmt.Sprintf("read %d", i)})
	}
	bt.Dispose("", custody.Details{Purpose: "destroyed"})
	_, err := bt.Commit(context.Background())
	require.NoError(t, err)
	require.Len(t, ac.b.Events, 8)
	rep := ac.audit(t, ac.b)
	require.True(t, rep.Complete, text(t, rep))

	cut := &custody.Bundle{Events: ac.b.Events[:5], Consistency: ac.b.Consistency, Anchors: ac.b.Anchors}
	rep = ac.audit(t, cut)
	require.False(t, rep.Complete, text(t, rep))
	require.Len(t, rep.Findings, 3, "each hidden event follows the one before: %s", text(t, rep))
	require.Equal(t, 5, rep.Findings[0].Event, "the first follows the bundle's last event")
	for i, f := range rep.Findings {
		require.Equal(t, custody.FindingHidden, f.Kind)
		require.Equal(t, []custody.AuditEntry{{Index: ac.index(t, ac.b, 6+i), Commitment: ac.b.Events[5+i].CommitmentString()}}, f.Entries)
	}
}

// flakyLedger logs every batch but answers the first failing ones with an error, as
// a log whose witnesses did not cosign in time.
type flakyLedger struct {
	ledger.Ledger
	failures int
}

var errNoAnswer = errors.New("no answer from the log")

func (f *flakyLedger) AppendBatch(ctx context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	rs, err := f.Ledger.AppendBatch(ctx, leaves)
	if err == nil && f.failures > 0 {
		f.failures--
		return nil, errNoAnswer
	}
	return rs, err
}

// TestBatchPending: a batch the log did not confirm is pending, the bundle unchanged;
// ResumeBatch completes it with the same events.
func TestBatchPending(t *testing.T) {
	ctx := context.Background()
	d := testkit.New(t, "lab", "authority")
	b, _ := d.Acquire(t, "lab", evidenceBytes)
	lab := d.Parties["lab"]
	c, err := custody.NewCustodian(lab.Signer, lab.Actor, &flakyLedger{Ledger: d.Logs[0], failures: 1}, custody.WithClock(d.Clock()))
	require.NoError(t, err)
	before := b.Clone()
	bt := c.Batch(b)
	bt.Note("", "first", custody.Details{})
	bt.Access("", custody.Details{Purpose: "second"})
	bt.Access("", custody.Details{Purpose: "third"})
	_, err = bt.Commit(ctx)
	var pending *custody.PendingError
	require.ErrorAs(t, err, &pending)
	require.ErrorIs(t, err, errNoAnswer)
	require.Equal(t, custody.Access, pending.Type, "the first event that moves custody")
	require.Len(t, pending.Batch, 3)
	require.Same(t, pending.Batch[1], pending.Envelope)
	require.NotNil(t, pending.Anchor)
	require.Equal(t, before, b, "the bundle is unchanged")

	recs, err := c.ResumeBatch(ctx, b, pending.Batch, *pending.Anchor)
	require.NoError(t, err)
	require.Len(t, recs, 3)
	for i, r := range recs {
		require.True(t, bytes.Equal(r.Envelope.Payload, pending.Batch[i].Payload))
	}
	requireOneCheckpoint(t, recs)
	requireValid(t, d, b)

	_, err = c.ResumeBatch(ctx, b, pending.Batch, *pending.Anchor)
	require.Error(t, err, "the events are in the bundle now")
}

// TestDiscloseMany: a disclosure of many files is one batch of opening events, one per
// file, as Disclose made them one by one; over a preservation it continues each item.
func TestDiscloseMany(t *testing.T) {
	ctx := context.Background()
	d := testkit.New(t, "provider")
	p := d.Parties["provider"]
	const n = 25
	data := func(i int) []byte { return fmt.Appendf(nil, "mailbox export %d\n", i) }
	es := make([]custody.Evidence, n)
	sealed := make([]bytes.Buffer, n)
	for i := range es {
		es[i] = custody.Evidence{Description: fmt.Sprintf("file-%02d.eml", i), MediaType: "message/rfc822",
			Source: bytes.NewReader(data(i)), Sealed: &sealed[i]}
	}
	order := custody.Details{Case: "PO-1", Legal: &custody.Legal{Kind: custody.Production, Reference: "PO-2026-118"}}
	b, err := p.Custodian.Disclose(ctx, nil, es, custody.Sealing{Recipients: []string{p.Recipient}}, order)
	require.NoError(t, err)
	require.Len(t, b.Events, n)
	recs := b.Events
	requireOneCheckpoint(t, recs)
	for i, r := range recs {
		st, err := r.Statement()
		require.NoError(t, err)
		ev := st.Predicate
		require.Equal(t, custody.Disclose, ev.Type)
		require.Empty(t, ev.Prev, "a disclosure opens its item")
		require.NotNil(t, ev.ItemKey)
		require.Equal(t, es[i].Description, ev.Item.Description, "events in evidence order")
		require.Equal(t, "PO-2026-118", ev.Legal.Reference)
		require.NotZero(t, sealed[i].Len())
	}
	requireValid(t, d, b)

	// Over a preservation: each disclosure continues its preserved item.
	pes := make([]custody.Evidence, 3)
	for i := range pes {
		pes[i] = custody.Evidence{Description: fmt.Sprintf("p%d", i), Source: bytes.NewReader(data(i))}
	}
	pres, err := p.Custodian.Preserve(ctx, pes, nil, custody.Details{Legal: &custody.Legal{Kind: custody.Preservation, Reference: "PR-7"}})
	require.NoError(t, err)
	ids, err := pres.Items()
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		changed int // index of a file whose data changed since, or -1
	}{{"unchanged data", -1}, {"one file changed", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			des := make([]custody.Evidence, 3)
			for i := range des {
				src := data(i)
				if i == tc.changed {
					src = []byte("tampered")
				}
				des[i] = custody.Evidence{ItemID: ids[i], Description: fmt.Sprintf("p%d", i), Source: bytes.NewReader(src), Sealed: &bytes.Buffer{}}
			}
			out, err := p.Custodian.Disclose(ctx, pres, des, custody.Sealing{Recipients: []string{p.Recipient}}, order)
			if tc.changed >= 0 {
				var re *custody.RefusedError
				require.ErrorAs(t, err, &re)
				require.Equal(t, custody.RuleDigest, re.Violations[0].Rule)
				require.ErrorContains(t, err, fmt.Sprintf("event %d of 3", tc.changed+1))
				return
			}
			require.NoError(t, err)
			require.Len(t, out.Events, 6)
			for i, r := range out.Events[3:] {
				st, err := r.Statement()
				require.NoError(t, err)
				require.Equal(t, pres.Events[i].CommitmentString(), st.Predicate.Prev)
			}
			requireValid(t, d, out)
		})
	}
}

// signedLedger is a ledger that authenticates appends (as a ledger server's client):
// it has no batch form, so a batch appends each signed entry on its own.
type signedLedger struct {
	ledger.Ledger
	signed int
	mu     sync.Mutex
}

func (l *signedLedger) AppendSigned(ctx context.Context, entry []byte, s ledger.EntrySigner) (*ledger.Receipt, error) {
	if _, err := s.SignEntry(ctx, entry); err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.signed++
	l.mu.Unlock()
	return l.Ledger.Append(ctx, entry)
}

func (l *signedLedger) AppendBatch(context.Context, [][]byte) ([]*ledger.Receipt, error) {
	return nil, errors.New("a ledger that authenticates appends takes no unsigned batch")
}

// TestBatchSignedAppends: on a ledger that authenticates appends, a batch signs each
// entry; its receipts are still brought under one checkpoint, and a second successor
// is still refused.
func TestBatchSignedAppends(t *testing.T) {
	ctx := context.Background()
	d := testkit.New(t, "lab", "authority", "rogue")
	b, _ := d.Acquire(t, "lab", evidenceBytes)
	other := b.Clone()
	lab := d.Parties["lab"]
	sl := &signedLedger{Ledger: d.Logs[0]}
	c, err := custody.NewCustodian(lab.Signer, lab.Actor, sl, custody.WithClock(d.Clock()))
	require.NoError(t, err)
	bt := c.Batch(b)
	for i := range 8 {
		bt.Access("", custody.Details{Purpose: fmt.Sprintf("read %d", i)})
	}
	bt.Transfer("", d.Parties["authority"].Actor, custody.Details{Purpose: "hand-over"})
	recs, err := bt.Commit(ctx)
	require.NoError(t, err)
	require.Equal(t, 9, sl.signed)
	requireOneCheckpoint(t, recs)
	requireValid(t, d, b)

	bt = c.Batch(other)
	bt.Transfer("", d.Parties["rogue"].Actor, custody.Details{Purpose: "to the rogue"})
	_, err = bt.Commit(ctx)
	var re *custody.RefusedError
	require.ErrorAs(t, err, &re)
	require.Equal(t, custody.RuleFork, re.Violations[0].Rule)
}

// reversingLedger logs the leaves of a batch in reverse order, as a ledger that appends
// a batch's leaves concurrently may.
type reversingLedger struct{ ledger.Ledger }

func (l reversingLedger) AppendBatch(ctx context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	rs := make([]*ledger.Receipt, len(leaves))
	for i := len(leaves) - 1; i >= 0; i-- {
		r, err := l.Ledger.Append(ctx, leaves[i])
		if err != nil {
			return nil, err
		}
		rs[i] = r
	}
	return rs, nil
}

// TestBatchUnorderedLedger: on a ledger that does not keep a batch's order, the events
// that follow one another are logged in waves, and the bundle is in log order.
func TestBatchUnorderedLedger(t *testing.T) {
	ctx := context.Background()
	d := testkit.New(t, "provider")
	p := d.Parties["provider"]
	c, err := custody.NewCustodian(p.Signer, p.Actor, reversingLedger{d.Logs[0]}, custody.WithClock(d.Clock()))
	require.NoError(t, err)
	es := []custody.Evidence{
		{Description: "a", Source: bytes.NewReader([]byte("a")), Sealed: &bytes.Buffer{}},
		{Description: "b", Source: bytes.NewReader([]byte("b")), Sealed: &bytes.Buffer{}},
		{Description: "c", Source: bytes.NewReader([]byte("c")), Sealed: &bytes.Buffer{}},
	}
	b, err := c.Disclose(ctx, nil, es, custody.Sealing{Recipients: []string{p.Recipient}}, custody.Details{Legal: &custody.Legal{Kind: custody.Production, Reference: "PO-1"}})
	require.NoError(t, err)
	ids, err := b.Items()
	require.NoError(t, err)
	bt := c.Batch(b)
	for _, id := range ids {
		bt.Access(id, custody.Details{Purpose: "review"})
	}
	for _, id := range ids {
		bt.Note(id, "reviewed", custody.Details{})
	}
	recs, err := bt.Commit(ctx)
	require.NoError(t, err)
	require.Len(t, recs, 6)
	requireOneCheckpoint(t, recs)
	requireValid(t, d, b)
}
