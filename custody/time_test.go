package custody_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/tsa"
	"github.com/evidctl/evidctl/ledger/tsa/tsatest"
	"github.com/evidctl/evidctl/ledger/witness/witnesstest"
)

// clock is a settable clock, shared by custodians and test witnesses.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// timedLog is an embedded log whose checkpoints carry trusted time: cosigned by a test
// witness dating its cosignatures by witnessNow, or, with an authority, time-stamped by
// the test TSA. pol trusts the log (with the witness, quorum 1) and the TSA.
type timedLog struct {
	log *posixlog.Log
	pol *custody.Policy
}

func witnessedLog(t *testing.T, witnessNow func() time.Time) *timedLog {
	t.Helper()
	w := witnesstest.NewCosigner(t, "w1", witnessNow)
	l, entry := posixlogtest.NewLog(t, posixlog.WithDecorator(w.Decorator()))
	pol := &custody.Policy{}
	require.NoError(t, pol.AddLog(custody.TrustedLog{Origin: entry.Origin, Key: entry.VerifierKey, Witnesses: []string{w.VerifierKey}, Quorum: 1}))
	return &timedLog{log: l, pol: pol}
}

func stampedLog(t *testing.T, authority *tsatest.TSA) *timedLog {
	t.Helper()
	client, err := tsa.NewClient(authority.URL)
	require.NoError(t, err)
	l, entry := posixlogtest.NewLog(t, posixlog.WithDecorator(tsa.Decorator(client)))
	pol := &custody.Policy{}
	require.NoError(t, pol.AddLog(custody.TrustedLog{Origin: entry.Origin, Key: entry.VerifierKey}))
	require.NoError(t, pol.AddTSA(custody.TrustedTSA{Name: tsatest.Name, Roots: string(authority.RootsPEM)}))
	return &timedLog{log: l, pol: pol}
}

// party makes a party appending to the log with a custodian dated by now, trusted by
// the log's policy.
func (tl *timedLog) party(t *testing.T, name, jurisdiction string, now func() time.Time) *testkit.Party {
	t.Helper()
	p, err := testkit.MakeParty(custody.Party{Name: name, Organization: name + " org", Role: "examiner", Jurisdiction: jurisdiction},
		tl.log, tl.pol, custody.WithClock(now))
	require.NoError(t, err)
	return p
}

// timeline is a witnessed log whose witness and whose lab share a clock: the lab
// acquires at t0, then accesses the item at t0 plus each offset.
func timeline(t *testing.T, offsets ...time.Duration) (*timedLog, *testkit.Party, *custody.Bundle, time.Time) {
	t.Helper()
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	clk := newClock(t0)
	tl := witnessedLog(t, clk.now)
	lab := tl.party(t, "lab", "FR", clk.now)
	b := acquire(t, lab.Custodian, lab)
	for _, d := range offsets {
		clk.set(t0.Add(d))
		_, err := lab.Custodian.Access(context.Background(), b, "", custody.Details{Purpose: "at " + d.String()})
		require.NoError(t, err)
	}
	return tl, lab, b, t0
}

// acquire has p acquire some evidence sealed to itself.
func acquire(t *testing.T, c *custody.Custodian, p *testkit.Party) *custody.Bundle {
	t.Helper()
	var sealed bytes.Buffer
	b, err := c.Acquire(context.Background(), custody.Evidence{Description: "image.dd", Source: bytes.NewReader(evidenceBytes), Sealed: &sealed},
		custody.Sealing{Recipients: []string{p.Recipient}}, custody.Details{Case: "TIME-1"})
	require.NoError(t, err)
	return b
}

func verifyWith(t *testing.T, b *custody.Bundle, pol *custody.Policy) *custody.Report {
	t.Helper()
	rep, err := custody.Verify(context.Background(), b, pol)
	require.NoError(t, err)
	return rep
}

// timeWarnings are the details of the report's unanchored-time warnings.
func timeWarnings(rep *custody.Report) []string {
	var out []string
	for _, w := range rep.Warnings {
		if w.Kind == custody.WarnUnanchoredTime {
			out = append(out, w.Detail)
		}
	}
	return out
}

// otherWarnings are the warnings that are not about trusted time (the tests of other
// warnings run on logs without witnesses or a TSA, where every event's time is
// unanchored).
func otherWarnings(ws []custody.Warning) []custody.Warning {
	var out []custody.Warning
	for _, w := range ws {
		if w.Kind != custody.WarnUnanchoredTime {
			out = append(out, w)
		}
	}
	return out
}

// failures lists the rules that failed at event n.
func failures(rep *custody.Report, n int) []custody.Rule {
	var rules []custody.Rule
	for _, f := range rep.Failures {
		if f.Event == n {
			rules = append(rules, f.Rule)
		}
	}
	return rules
}

// TestAcquisitionDated1990 is the first attack of issue 11: an acquisition dated
// before the log existed fails rule time, and the failure names both bounds.
func TestAcquisitionDated1990(t *testing.T) {
	tl := witnessedLog(t, time.Now)
	lab := tl.party(t, "lab", "FR", func() time.Time { return time.Date(1990, 6, 1, 9, 0, 0, 0, time.UTC) })
	b := acquire(t, lab.Custodian, lab)
	honest, err := custody.NewCustodian(lab.Signer, lab.Actor, tl.log)
	require.NoError(t, err)
	_, err = honest.Access(context.Background(), b, "", custody.Details{Purpose: "triage"})
	require.NoError(t, err)
	rep := verifyWith(t, b, tl.pol)
	require.False(t, rep.Valid)
	require.Equal(t, []custody.Rule{custody.RuleTime}, failures(rep, 1))
	require.Empty(t, failures(rep, 2), "a later event at the true time is not dated before its predecessor")
	f := rep.Failures[0]
	iv := rep.Events[0].Interval
	require.True(t, iv.Anchored())
	require.Contains(t, f.Expected, iv.Earliest.Format(time.RFC3339), "the failure names the lower bound")
	require.Contains(t, f.Expected, iv.Latest.Format(time.RFC3339), "and the upper bound")
	require.Equal(t, "1990-06-01T09:00:00Z", f.Found)
}

// TestTransferDated2099 is the second attack: a forward-dated transfer fails rule time,
// and the honest recipient can still receive: the transfer is the failure, not the
// receive.
func TestTransferDated2099(t *testing.T) {
	tl := witnessedLog(t, time.Now)
	lab := tl.party(t, "lab", "FR", time.Now)
	authority := tl.party(t, "authority", "DE", time.Now)
	b := acquire(t, lab.Custodian, lab)
	future, err := custody.NewCustodian(lab.Signer, lab.Actor, tl.log, custody.WithClock(func() time.Time { return time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC) }))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = future.Transfer(ctx, b, "", authority.Actor, custody.Details{Purpose: "hand-over"})
	require.NoError(t, err)
	_, err = authority.Custodian.Receive(ctx, b, "", nil, custody.Details{})
	require.NoError(t, err, "the honest recipient's receive is not refused")

	rep := verifyWith(t, b, tl.pol)
	require.False(t, rep.Valid)
	require.Empty(t, failures(rep, 1))
	require.Equal(t, []custody.Rule{custody.RuleTime}, failures(rep, 2), "the forward-dated transfer fails")
	require.Empty(t, failures(rep, 3), "the receive is valid")
	require.Contains(t, rep.Failures[0].Detail, "after the trusted time by which it was logged")
}

// TestExpiredCertificateBackdating is the third attack: a certificate valid only in
// 2020-2021 signs, in 2026, an event that claims 2020. The certificate is judged over
// the trusted interval, not at the claimed time.
func TestExpiredCertificateBackdating(t *testing.T) {
	tl := witnessedLog(t, time.Now)
	p := testkit.NewParty(t, "A. Examiner", "FR")
	rootPEM, leafPEM := certifyFor(t, p.Signer.Public(), "examiner@lab.example",
		time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 12, 31, 0, 0, 0, 0, time.UTC))
	p.Actor.Certificate = leafPEM
	c, err := custody.NewCustodian(p.Signer, p.Actor, tl.log, custody.WithClock(func() time.Time { return time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC) }))
	require.NoError(t, err)
	b := acquire(t, c, p)
	require.NoError(t, tl.pol.AddSigner(custody.TrustedSigner{Party: p.Actor.Party, Roots: rootPEM, Identity: &custody.Identity{Email: "examiner@lab.example"}}))

	rep := verifyWith(t, b, tl.pol)
	require.False(t, rep.Valid)
	require.ElementsMatch(t, []custody.Rule{custody.RuleSignature, custody.RuleTime}, failures(rep, 1))
	for _, f := range rep.Failures {
		if f.Rule == custody.RuleSignature {
			require.Contains(t, f.Found, "expired", "the certificate is judged at the trusted time")
		}
	}
}

// TestRevocation: a key revoked at R keeps the events whose trusted interval ends
// before R, and fails those that may lie after it.
func TestRevocation(t *testing.T) {
	tl, lab, b, t0 := timeline(t, time.Hour, 3*time.Hour) // the second access is the thief's

	rep := verifyWith(t, b, tl.pol)
	require.True(t, rep.Valid, "%+v", rep.Failures)

	require.NoError(t, tl.pol.RevokeSigner(lab.Signer.KeyID(), t0.Add(2*time.Hour), "key stolen"))
	rep = verifyWith(t, b, tl.pol)
	require.Empty(t, failures(rep, 1), "an event logged before the revocation stays valid")
	require.Empty(t, failures(rep, 2))
	require.Equal(t, []custody.Rule{custody.RuleKey}, failures(rep, 3), "an event that may lie after it fails")
	require.Contains(t, rep.Failures[0].Detail, "key stolen")

	require.NoError(t, tl.pol.RevokeSigner(lab.Signer.KeyID(), t0.Add(time.Hour), "key stolen earlier"))
	rep = verifyWith(t, b, tl.pol)
	require.Empty(t, failures(rep, 1))
	require.Equal(t, []custody.Rule{custody.RuleKey}, failures(rep, 2), "an interval that ends on the revocation may lie after it")
}

// TestValidityWindow judges validFrom and validUntil over the trusted interval.
func TestValidityWindow(t *testing.T) {
	tl, lab, b, t0 := timeline(t, time.Hour)

	for _, tc := range []struct {
		name       string
		from, till time.Time
		failing    []int
	}{
		{"window around both", t0.Add(-time.Hour), t0.Add(2 * time.Hour), nil},
		{"ends between them", time.Time{}, t0.Add(30 * time.Minute), []int{2}},
		{"starts between them", t0.Add(30 * time.Minute), time.Time{}, []int{1, 2}},
		{"starts before the first anchor", t0.Add(-time.Minute), time.Time{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol := &custody.Policy{Logs: tl.pol.Logs}
			s := lab.TrustedSigner()
			s.ValidFrom, s.ValidUntil = tc.from, tc.till
			require.NoError(t, pol.AddSigner(s))
			rep := verifyWith(t, b, pol)
			var failing []int
			for _, f := range rep.Failures {
				require.Equal(t, custody.RuleKey, f.Rule)
				failing = append(failing, f.Event)
			}
			require.Equal(t, tc.failing, failing)
		})
	}
}

// TestUnanchoredTime: on a log without witnesses or a TSA, every event's time is a
// visible warning; a policy that requires anchored time fails them.
func TestUnanchoredTime(t *testing.T) {
	c := newCase(t)
	rep := c.verify(t, c.b)
	require.True(t, rep.Valid)
	require.Equal(t, []string{"events 1-6: time unanchored: no trusted witness cosignature or time-stamp bounds it; the time is the signer's word"}, timeWarnings(rep))
	var text, md bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	require.Contains(t, text.String(), "bundle: unanchored-time: events 1-6: time unanchored")
	require.NoError(t, rep.WriteMarkdown(&md, "case"))
	require.Contains(t, md.String(), "- bundle: unanchored-time: events 1-6: time unanchored")

	strict := *c.d.Policy
	strict.RequireAnchoredTime = true
	rep, err := custody.Verify(context.Background(), c.b, &strict)
	require.NoError(t, err)
	require.False(t, rep.Valid)
	for i := range rep.Events {
		require.Equal(t, []custody.Rule{custody.RuleTime}, failures(rep, i+1))
	}
}

// TestAnchoredIntervals: on a witnessed log every event gets both bounds, its sources
// name the witness, and the reports show them.
func TestAnchoredIntervals(t *testing.T) {
	tl := witnessedLog(t, time.Now)
	lab := tl.party(t, "lab", "FR", time.Now)
	b := acquire(t, lab.Custodian, lab)
	_, err := lab.Custodian.Access(context.Background(), b, "", custody.Details{Purpose: "triage"})
	require.NoError(t, err)
	rep := verifyWith(t, b, tl.pol)
	require.True(t, rep.Valid, "%+v", rep.Failures)
	require.Empty(t, timeWarnings(rep))
	for _, e := range rep.Events {
		iv := e.Interval
		require.True(t, iv.Anchored(), "event %d", e.Index)
		require.False(t, e.Time.Before(iv.Earliest), "signed after the anchor")
		require.False(t, e.Time.After(iv.Latest), "logged after signing")
		require.Greater(t, iv.WidthSeconds, 0.0)
		kinds := map[string]bool{}
		for _, s := range iv.Sources {
			require.Equal(t, "witness", s.Kind)
			require.Equal(t, "w1", s.Name)
			kinds[s.Bound] = true
		}
		require.True(t, kinds["earliest"] && kinds["latest"])
	}
	var text, md, js bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	require.Contains(t, text.String(), "sources: earliest from evidctl.test/TestAnchoredIntervals@0: witness w1 at ")
	require.Contains(t, text.String(), "; latest from evidctl.test/TestAnchoredIntervals@1: witness w1 at ")
	require.NoError(t, rep.WriteMarkdown(&md, "case"))
	require.Contains(t, md.String(), "## Trusted time")
	require.NoError(t, rep.WriteJSON(&js))
	require.Contains(t, js.String(), `"interval": {`)
}

// TestMaxInterval: a signer that cites an old checkpoint widens its interval; the policy
// may bound the width.
func TestMaxInterval(t *testing.T) {
	tl, _, b, _ := timeline(t, 2*time.Hour) // the access's anchor, cosigned at t0, is two hours old

	rep := verifyWith(t, b, tl.pol)
	require.True(t, rep.Valid, "%+v", rep.Failures)
	require.InDelta(t, 2*3600+1, rep.Events[1].Interval.WidthSeconds, 1)

	hour := custody.Duration(time.Hour)
	tl.pol.MaxInterval = &hour
	rep = verifyWith(t, b, tl.pol)
	require.Empty(t, failures(rep, 1))
	require.Equal(t, []custody.Rule{custody.RuleTime}, failures(rep, 2))
	require.Contains(t, rep.Failures[0].Detail, "wider than the policy allows")
}

// TestMaxSkew: a claimed time a little outside the interval passes within the policy's
// skew and fails beyond it.
func TestMaxSkew(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	tl := witnessedLog(t, func() time.Time { return t0 })
	lab := tl.party(t, "lab", "FR", func() time.Time { return t0.Add(-3 * time.Minute) })
	b := acquire(t, lab.Custodian, lab)
	require.True(t, verifyWith(t, b, tl.pol).Valid, "3 minutes are within the default 5")
	minute := custody.Duration(time.Minute)
	tl.pol.MaxSkew = &minute
	require.Equal(t, []custody.Rule{custody.RuleTime}, failures(verifyWith(t, b, tl.pol), 1))
}

// TestTimeStampedLog: with a TSA the policy trusts, tokens bound every event's time;
// a token over another checkpoint is rejected; a TSA the policy does not list is not
// trusted.
func TestTimeStampedLog(t *testing.T) {
	authority := tsatest.New(t)
	tl := stampedLog(t, authority)
	lab := tl.party(t, "lab", "FR", time.Now)
	b := acquire(t, lab.Custodian, lab)
	_, err := lab.Custodian.Access(context.Background(), b, "", custody.Details{Purpose: "triage"})
	require.NoError(t, err)
	require.Len(t, b.Anchors, 2)
	require.NotEmpty(t, b.Anchors[0].Token, "the anchor carries its token")

	rep := verifyWith(t, b, tl.pol)
	require.True(t, rep.Valid, "%+v", rep.Failures)
	for _, e := range rep.Events {
		require.True(t, e.Interval.Anchored())
		for _, s := range e.Interval.Sources {
			require.Equal(t, "tsa", s.Kind)
			require.Equal(t, tsatest.Name, s.Name)
		}
	}

	t.Run("token of another checkpoint", func(t *testing.T) {
		mut := b.Clone()
		r0, err := b.Events[0].Receipt()
		require.NoError(t, err)
		r1, err := b.Events[1].Receipt()
		require.NoError(t, err)
		swapped := *r1
		swapped.Extra = r0.Extra
		text, err := swapped.MarshalText()
		require.NoError(t, err)
		mut.Events[1] = custody.NewRecord(b.Events[1].Envelope, string(text))
		rep := verifyWith(t, mut, tl.pol)
		require.Equal(t, []custody.Rule{custody.RuleTime}, failures(rep, 2))
		require.Contains(t, rep.Failures[0].Found, "covers another checkpoint")
	})
	t.Run("anchor token of another checkpoint", func(t *testing.T) {
		mut := b.Clone()
		mut.Anchors[1].Token = mut.Anchors[0].Token
		rep := verifyWith(t, mut, tl.pol)
		require.Equal(t, []custody.Rule{custody.RuleAnchor}, failures(rep, 2), "the statement committed to another token")
	})
	t.Run("TSA not in the policy", func(t *testing.T) {
		for name, tsas := range map[string][]custody.TrustedTSA{
			"no TSA":       nil,
			"another root": {{Name: "other", Roots: string(tsatest.ForeignRootsPEM(t))}},
		} {
			pol := &custody.Policy{Logs: tl.pol.Logs, Signers: tl.pol.Signers}
			for _, a := range tsas {
				require.NoError(t, pol.AddTSA(a))
			}
			rep := verifyWith(t, b, pol)
			require.True(t, rep.Valid, name)
			for _, e := range rep.Events {
				require.Empty(t, e.Interval.Sources, name)
				require.Contains(t, e.Interval.Warning, "not from a TSA the policy trusts", name)
			}
			pol.RequireAnchoredTime = true
			require.False(t, verifyWith(t, b, pol).Valid, name)
		}
	})
}

// TestAnchorTampering: the anchor evidence must be in the bundle and extend to the
// receipt's checkpoint.
func TestAnchorTampering(t *testing.T) {
	tl := witnessedLog(t, time.Now)
	lab := tl.party(t, "lab", "FR", time.Now)
	b := acquire(t, lab.Custodian, lab)
	_, err := lab.Custodian.Access(context.Background(), b, "", custody.Details{Purpose: "triage"})
	require.NoError(t, err)
	require.True(t, verifyWith(t, b, tl.pol).Valid)

	t.Run("anchors dropped", func(t *testing.T) {
		mut := b.Clone()
		mut.Anchors = nil
		rep := verifyWith(t, mut, tl.pol)
		require.Equal(t, []custody.Rule{custody.RuleAnchor}, failures(rep, 1))
		require.Equal(t, []custody.Rule{custody.RuleAnchor}, failures(rep, 2))
		require.Contains(t, rep.Events[0].Interval.Warning, "no trusted lower bound")
	})
	t.Run("consistency proofs dropped", func(t *testing.T) {
		mut := b.Clone()
		mut.Consistency = nil
		rep := verifyWith(t, mut, tl.pol)
		require.Contains(t, failures(rep, 2), custody.RuleAnchor)
	})
	t.Run("witness not in the policy", func(t *testing.T) {
		pol := &custody.Policy{Logs: []custody.TrustedLog{{Origin: tl.log.Origin(), Key: tl.pol.Logs[0].Key}}, Signers: tl.pol.Signers}
		rep := verifyWith(t, b, pol)
		require.True(t, rep.Valid, "without the witness in the policy the anchor is still the log's: %+v", rep.Failures)
		require.Contains(t, timeWarnings(rep)[0], "time unanchored")
	})
}

// TestBundleWithoutAnchors: statements made before anchors existed still parse and
// verify; their time has no lower bound, and the report says so.
func TestBundleWithoutAnchors(t *testing.T) {
	tl := witnessedLog(t, time.Now)
	lab := tl.party(t, "lab", "FR", time.Now)
	old, err := custody.NewCustodian(lab.Signer, lab.Actor, tl.log, custody.WithoutAnchors())
	require.NoError(t, err)
	b := acquire(t, old, lab)
	require.Empty(t, b.Anchors)
	data, err := b.MarshalJSON()
	require.NoError(t, err)
	require.NotContains(t, string(data), `"anchors"`)
	parsed, err := custody.ParseBundle(data)
	require.NoError(t, err)
	rep := verifyWith(t, parsed, tl.pol)
	require.True(t, rep.Valid, "%+v", rep.Failures)
	require.Equal(t, 1, rep.Warnings[0].Event)
	require.True(t, strings.HasPrefix(timeWarnings(rep)[0], "no trusted lower bound"), timeWarnings(rep))
}

// TestCustodianAnchorsBeforeSigning: each statement cites the checkpoint read before it
// was signed, which the bundle carries.
func TestCustodianAnchorsBeforeSigning(t *testing.T) {
	tl := witnessedLog(t, time.Now)
	lab := tl.party(t, "lab", "FR", time.Now)
	b := acquire(t, lab.Custodian, lab)
	_, err := lab.Custodian.Access(context.Background(), b, "", custody.Details{Purpose: "triage"})
	require.NoError(t, err)
	for i, r := range b.Events {
		st, err := r.Statement()
		require.NoError(t, err)
		a := st.Predicate.Anchor
		require.NotNil(t, a, "event %d", i+1)
		require.Equal(t, tl.log.Origin(), a.Origin)
		rc, err := r.Receipt()
		require.NoError(t, err)
		require.GreaterOrEqual(t, rc.Index, a.Size, "the anchor precedes the event")
		head, err := ledger.ReadHeadUnverified([]byte(b.Anchors[i].Checkpoint))
		require.NoError(t, err)
		require.Equal(t, a.Hash, head.Hash)
	}
}

// TestCertifiedSignerNeedsTrustedTime: without trusted time a certificate cannot be
// judged over the event's interval, so a certified signer's event fails on a log with
// neither witnesses nor a TSA (docs/TRUST.md: the conservative choice).
func TestCertifiedSignerNeedsTrustedTime(t *testing.T) {
	d := testkit.New(t)
	p := testkit.NewParty(t, "A. Examiner", "FR")
	rootPEM, leafPEM := certify(t, p.Signer, "examiner@lab.example")
	p.Actor.Certificate = leafPEM
	c, err := custody.NewCustodian(p.Signer, p.Actor, d.Logs[0], custody.WithClock(d.Clock()))
	require.NoError(t, err)
	b := acquire(t, c, p)
	pol := &custody.Policy{Logs: d.Policy.Logs}
	require.NoError(t, pol.AddSigner(custody.TrustedSigner{Party: p.Actor.Party, Roots: rootPEM, Identity: &custody.Identity{Email: "examiner@lab.example"}}))
	rep := verifyWith(t, b, pol)
	require.Equal(t, []custody.Rule{custody.RuleSignature}, failures(rep, 1))
	require.Contains(t, rep.Failures[0].Found, "no trusted time to judge the certificate at")
}

// TestTrustedTimeValidatesAgainstSchemas: a time-stamped bundle (anchors with tokens),
// its statements, a policy with TSAs, time settings and a signer's lifecycle, and a
// report with intervals, sources and warnings all validate against docs/schema.
func TestTrustedTimeValidatesAgainstSchemas(t *testing.T) {
	authority := tsatest.New(t)
	tl := stampedLog(t, authority)
	lab := tl.party(t, "lab", "FR", time.Now)
	b := acquire(t, lab.Custodian, lab)
	skew, width := custody.Duration(90*time.Second), custody.Duration(time.Hour)
	tl.pol.MaxSkew, tl.pol.MaxInterval, tl.pol.RequireAnchoredTime = &skew, &width, true
	s := lab.TrustedSigner()
	s.ValidFrom, s.ValidUntil = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	s.Revoked = &custody.Revocation{Time: time.Now().Add(30 * time.Minute), Reason: "retired"}
	require.NoError(t, tl.pol.AddSigner(s))

	c := jsonschema.NewCompiler()
	validate := func(name string, v any) {
		t.Helper()
		path, err := filepath.Abs(filepath.Join("..", "docs", "schema", name))
		require.NoError(t, err)
		schema, err := c.Compile(path)
		require.NoError(t, err, name)
		data, ok := v.([]byte)
		if !ok {
			data, err = json.Marshal(v)
			require.NoError(t, err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		require.NoError(t, err)
		require.NoError(t, schema.Validate(doc), "%s:\n%s", name, data)
	}
	validate("bundle.schema.json", b)
	validate("custody-event.schema.json", b.Events[0].Envelope.Payload)
	validate("trust-policy.schema.json", tl.pol)
	rep := verifyWith(t, b, tl.pol)
	require.True(t, rep.Valid, "%+v", rep.Failures)
	validate("report.schema.json", rep)
	unanchored := verifyWith(t, b, &custody.Policy{Logs: tl.pol.Logs, Signers: tl.pol.Signers})
	require.NotEmpty(t, timeWarnings(unanchored))
	validate("report.schema.json", unanchored)
}

// TestRealWitnessesAnchorEvents: with real witnesses (ledger/witness, through Tessera's
// witnessing of the embedded log) every event gets both bounds, from the witnesses'
// own clocks.
func TestRealWitnessesAnchorEvents(t *testing.T) {
	dir, key := filepath.Join(t.TempDir(), "log"), filepath.Join(t.TempDir(), "log.key")
	vkey, err := posixlog.Init(dir, key, "evidctl.test/real-witnesses")
	require.NoError(t, err)
	entry := ledger.Log{Origin: "evidctl.test/real-witnesses", VerifierKey: vkey}
	w1, w2 := witnesstest.Start(t, "w1", entry), witnesstest.Start(t, "w2", entry)
	policy := witnesstest.Policy(2, w1, w2)
	l, err := posixlog.Open(t.Context(), dir, key, posixlog.WithWitnessPolicy(policy))
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	tl := &timedLog{log: l, pol: &custody.Policy{}}
	require.NoError(t, tl.pol.AddLog(custody.TrustedLog{Origin: entry.Origin, Key: vkey, WitnessPolicy: string(policy)}))
	lab := tl.party(t, "lab", "FR", time.Now)
	b := acquire(t, lab.Custodian, lab)
	_, err = lab.Custodian.Access(context.Background(), b, "", custody.Details{Purpose: "triage"})
	require.NoError(t, err)

	tl.pol.RequireAnchoredTime = true
	rep := verifyWith(t, b, tl.pol)
	require.True(t, rep.Valid, "%+v", rep.Failures)
	for _, e := range rep.Events {
		names := map[string]bool{}
		for _, s := range e.Interval.Sources {
			names[s.Bound+" "+s.Name] = true
		}
		require.Equal(t, map[string]bool{"earliest w1": true, "earliest w2": true, "latest w1": true, "latest w2": true}, names, "event %d", e.Index)
	}
}

// TestResumeKeepsTheAnchor: a pending event cites its anchor; resumed on a copy of the
// bundle as it was before the failure (as a CLI keeps it on disk), with the anchor the
// PendingError carries, it verifies with its trusted interval.
func TestResumeKeepsTheAnchor(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	w := witnesstest.NewCosigner(t, "w1", func() time.Time { return t0 })
	l, entry := posixlogtest.NewLog(t, posixlog.WithDecorator(w.Decorator()))
	flaky := &lostReceipts{Ledger: l}
	pol := &custody.Policy{RequireAnchoredTime: true}
	require.NoError(t, pol.AddLog(custody.TrustedLog{Origin: entry.Origin, Key: entry.VerifierKey, Witnesses: []string{w.VerifierKey}, Quorum: 1}))
	lab, err := testkit.MakeParty(custody.Party{Name: "lab", Jurisdiction: "FR"}, flaky, pol, custody.WithClock(func() time.Time { return t0 }))
	require.NoError(t, err)
	b := acquire(t, lab.Custodian, lab)
	onDisk := b.Clone()

	flaky.lose = true
	_, err = lab.Custodian.Access(context.Background(), b, "", custody.Details{Purpose: "lost receipt"})
	var pending *custody.PendingError
	require.ErrorAs(t, err, &pending)
	require.NotNil(t, pending.Anchor)
	flaky.lose = false

	_, err = lab.Custodian.Resume(context.Background(), onDisk, pending.Envelope, *pending.Anchor)
	require.NoError(t, err)
	rep := verifyWith(t, onDisk, pol)
	require.True(t, rep.Valid, "%+v", rep.Failures)
	require.True(t, rep.Events[1].Interval.Anchored())
}
