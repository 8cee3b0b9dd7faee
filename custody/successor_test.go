package custody_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httplog"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/server"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
)

// parties are a lab and two would-be recipients, with custodians on one ledger, and the
// policy that trusts them and the ledger.
type parties struct {
	lab, a, b *testkit.Party
	policy    *custody.Policy
	ledger    ledger.Ledger
}

// newParties makes the parties' keys, then their custodians on the ledger that connect
// returns given the parties' keys (a ledger server's allow-list).
func newParties(t *testing.T, entry ledger.Log, connect func(allow []*sign.Verifier, trust *ledger.Trust) ledger.Ledger) *parties {
	t.Helper()
	pol := &custody.Policy{}
	require.NoError(t, pol.AddLog(custody.TrustedLog{Origin: entry.Origin, Key: entry.VerifierKey}))
	ps := &parties{policy: pol}
	var allow []*sign.Verifier
	for _, p := range []struct {
		to       **testkit.Party
		name, cc string
	}{{&ps.lab, "lab", "FR"}, {&ps.a, "authority A", "DE"}, {&ps.b, "authority B", "BR"}} {
		party, err := testkit.MakeParty(custody.Party{Name: p.name, Organization: p.name + " org", Jurisdiction: p.cc}, nil, pol)
		require.NoError(t, err)
		v, err := sign.LoadVerifier(party.PublicPEM)
		require.NoError(t, err)
		*p.to, allow = party, append(allow, v)
	}
	l := connect(allow, pol.LedgerTrust())
	ps.ledger = l
	for _, p := range []*testkit.Party{ps.lab, ps.a, ps.b} {
		c, err := custody.NewCustodian(p.Signer, p.Actor, l)
		require.NoError(t, err)
		p.Custodian = c
	}
	return ps
}

// direct appends to l itself.
func direct(l ledger.Ledger) func([]*sign.Verifier, *ledger.Trust) ledger.Ledger {
	return func([]*sign.Verifier, *ledger.Trust) ledger.Ledger { return l }
}

// served puts l behind a ledger server on loopback that allows the parties' keys: the
// custodians append signed entries through a client of it, which verifies the server's
// checkpoints under the parties' policy.
func served(t *testing.T, l ledger.Ledger) func([]*sign.Verifier, *ledger.Trust) ledger.Ledger {
	return func(allow []*sign.Verifier, trust *ledger.Trust) ledger.Ledger {
		h, err := server.New(l, allow)
		require.NoError(t, err)
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		c, err := httplog.Open(t.Context(), srv.URL, httplog.WithTrust(trust))
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, c.Close()) })
		return c
	}
}

func (ps *parties) acquire(t *testing.T) *custody.Bundle {
	t.Helper()
	var sealed bytes.Buffer
	b, err := ps.lab.Custodian.Acquire(context.Background(), custody.Evidence{Description: "disk", Source: bytes.NewReader(evidenceBytes), Sealed: &sealed},
		custody.Sealing{Recipients: []string{ps.lab.Recipient}}, custody.Details{Case: "DOUBLE-1"})
	require.NoError(t, err)
	return b
}

// TestDoubleTransferRefused: a custodian keeps two copies of a bundle and transfers the
// item to A in one and to B in the other; every ledger refuses the second transfer,
// and the refusal names the log index of the first. A note added to the second copy
// first does not dodge it. The copy that went on audits complete through each ledger.
func TestDoubleTransferRefused(t *testing.T) {
	ledgers := map[string]func(t *testing.T) *parties{
		"posixlog": func(t *testing.T) *parties {
			l, entry := posixlogtest.NewLog(t)
			return newParties(t, entry, direct(l))
		},
		"httplog over posixlog": func(t *testing.T) *parties {
			l, entry := posixlogtest.NewLog(t)
			return newParties(t, entry, served(t, l))
		},
		"httplog over Trillian": func(t *testing.T) *parties {
			l, entry := trilliantest.NewLog(t, trilliantest.InProcess(t))
			return newParties(t, entry, served(t, l))
		},
	}
	for name, setup := range ledgers {
		t.Run(name, func(t *testing.T) {
			ps := setup(t)
			ctx := context.Background()
			b := ps.acquire(t)
			toA, toB := b.Clone(), b.Clone()
			first, err := ps.lab.Custodian.Transfer(ctx, toA, "", ps.a.Actor, custody.Details{Purpose: "to A"})
			require.NoError(t, err)
			rc, err := first.Receipt()
			require.NoError(t, err)

			_, err = ps.lab.Custodian.Note(ctx, toB, "", "a note first, to change prev", custody.Details{})
			require.NoError(t, err, "a note consumes nothing: it is never refused")
			_, err = ps.lab.Custodian.Transfer(ctx, toB, "", ps.b.Actor, custody.Details{Purpose: "to B"})
			var refused *custody.RefusedError
			require.ErrorAs(t, err, &refused)
			require.Equal(t, custody.RuleFork, refused.Violations[0].Rule)
			var conflict *ledger.ConflictError
			require.ErrorAs(t, err, &conflict)
			require.Equal(t, rc.Index, conflict.Index, "the refusal names the first transfer's index")
			require.Contains(t, err.Error(), fmt.Sprintf("at index %d", rc.Index))
			require.Len(t, toB.Events, 2, "nothing added to the refused copy")

			_, err = ps.a.Custodian.Receive(ctx, toA, "", nil, custody.Details{})
			require.NoError(t, err)
			rep, err := custody.Verify(ctx, toA, ps.policy)
			require.NoError(t, err)
			require.True(t, rep.Valid)

			// Read back through the same ledger (its directory, the server's tiles or
			// entries, Trillian), the log holds no branch of the bundle that was kept.
			audit, err := custody.Audit(ctx, toA, ps.policy, ps.ledger.(ledger.LeafReader))
			require.NoError(t, err)
			require.True(t, audit.Complete, text(t, audit))
			require.Equal(t, custody.SourceLog, audit.Checkpoint.Source)
		})
	}
}

// lostReceipts is a ledger that logs every entry but, while lose is set, answers as if
// the receipt had been lost (a witness that did not cosign in time, a connection cut).
type lostReceipts struct {
	ledger.Ledger
	lose bool
}

func (l *lostReceipts) Append(ctx context.Context, leaf []byte) (*ledger.Receipt, error) {
	r, err := l.Ledger.Append(ctx, leaf)
	if err == nil && l.lose {
		return nil, errors.New("no receipt: the witnesses did not cosign in time")
	}
	return r, err
}

// TestResumeAfterLostReceipt: an event whose entry was logged but whose receipt was lost
// holds its item's custody head, so a new event there is refused as a fork; the signed
// event, kept from the *PendingError, is resumed and gets the logged entry's receipt.
func TestResumeAfterLostReceipt(t *testing.T) {
	l, entry := posixlogtest.NewLog(t)
	flaky := &lostReceipts{Ledger: l}
	ps := newParties(t, entry, direct(flaky))
	ctx := context.Background()
	b := ps.acquire(t)
	flaky.lose = true
	_, err := ps.lab.Custodian.Note(ctx, b, "", "a note consumes nothing", custody.Details{})
	require.Error(t, err)
	require.NotErrorAs(t, err, new(*custody.PendingError), "a lost note is no pending event")
	_, err = ps.lab.Custodian.Transfer(ctx, b, "", ps.a.Actor, custody.Details{Purpose: "to A"})
	var pending *custody.PendingError
	require.ErrorAs(t, err, &pending)
	require.Equal(t, custody.Transfer, pending.Type)
	require.ErrorContains(t, err, "did not cosign in time")
	require.Len(t, b.Events, 1)

	flaky.lose = false
	_, err = ps.lab.Custodian.Transfer(ctx, b, "", ps.a.Actor, custody.Details{Purpose: "to A, again"})
	require.ErrorAs(t, err, new(*custody.RefusedError), "the lost transfer holds the head")
	_, err = ps.a.Custodian.Resume(ctx, b, pending.Envelope)
	require.ErrorContains(t, err, "not signed by this custodian", "only the signer resumes its event")
	rec, err := ps.lab.Custodian.Resume(ctx, b, pending.Envelope)
	require.NoError(t, err)
	rc, err := rec.Receipt()
	require.NoError(t, err)
	require.Equal(t, uint64(2), rc.Index, "the receipt of the entry logged when the receipt was lost")
	_, err = ps.a.Custodian.Receive(ctx, b, "", nil, custody.Details{})
	require.NoError(t, err)
	rep, err := custody.Verify(ctx, b, ps.policy)
	require.NoError(t, err)
	require.True(t, rep.Valid)
	audit, err := custody.Audit(ctx, b, ps.policy, l)
	require.NoError(t, err)
	require.True(t, audit.Complete, text(t, audit))
	_, err = ps.lab.Custodian.Resume(ctx, b, pending.Envelope)
	require.ErrorAs(t, err, new(*custody.RefusedError), "an event resumed twice is a duplicate")
}
