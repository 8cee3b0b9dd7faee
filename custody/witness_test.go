package custody_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/witness/witnesstest"
)

func TestTrustedLogWitnessPolicy(t *testing.T) {
	d := testkit.New(t, "lab")
	entry := d.Policy.Logs[0]
	w1, w2 := witnesstest.Start(t, "w1"), witnesstest.Start(t, "w2")
	text := string(witnesstest.Policy(2, w1, w2))

	p := &custody.Policy{}
	require.NoError(t, p.AddLog(custody.TrustedLog{Origin: entry.Origin, Key: entry.Key, WitnessPolicy: text}))
	data, err := p.MarshalJSON()
	require.NoError(t, err)
	require.Contains(t, string(data), `"witnessPolicy": "witness w1 `)
	again, err := custody.ParsePolicy(data)
	require.NoError(t, err)
	require.Equal(t, text, again.Logs[0].WitnessPolicy)
	require.Equal(t, 2, len(again.LedgerTrust().Logs[0].WitnessPolicy.Witnesses()))

	for name, l := range map[string]custody.TrustedLog{
		"both forms":     {Origin: entry.Origin, Key: entry.Key, WitnessPolicy: text, Witnesses: []string{w1.VerifierKey}, Quorum: 1},
		"not a policy":   {Origin: entry.Origin, Key: entry.Key, WitnessPolicy: "witness w1\n"},
		"no quorum line": {Origin: entry.Origin, Key: entry.Key, WitnessPolicy: w1.PolicyLine() + "\n"},
		"a private key":  {Origin: entry.Origin, Key: entry.Key, WitnessPolicy: "witness w1 PRIVATE+KEY+w1+00000000+AAAA\nquorum w1\n"},
	} {
		err := p.AddLog(l)
		require.Error(t, err, name)
		require.NotContains(t, err.Error(), "PRIVATE+KEY", "%s: no key in the error", name)
	}

	// A policy built by hand with a witness policy that does not parse trusts nothing of
	// that log.
	hand := &custody.Policy{Logs: []custody.TrustedLog{{Origin: entry.Origin, Key: entry.Key, WitnessPolicy: "nonsense"}}}
	require.Empty(t, hand.LedgerTrust().Logs)
}

// openWitnessed opens the log directory dir (key keyFile) asking the witnesses of policy,
// with a short bounded wait.
func openWitnessed(t *testing.T, dir, keyFile string, policy []byte) *posixlog.Log {
	t.Helper()
	l, err := posixlog.Open(context.Background(), dir, keyFile, posixlog.WithWitnessPolicy(policy), posixlog.WithWitnessTimeout(time.Second))
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// TestWitnessedForkRefused is the split view of issue 10, on a witnessed log: a copy of
// the log directory, with the same key, appends another event at the same index. The
// witnesses refuse the copy; appended without them, its receipt lacks the quorum and a
// verifier that requires it rejects the bundle, which without witnesses verified.
func TestWitnessedForkRefused(t *testing.T) {
	ctx := context.Background()
	ws := []*witnesstest.Witness{witnesstest.Start(t, "witness.central-authority.test"), witnesstest.Start(t, "witness.court.test")}
	policy := witnesstest.Policy(2, ws...)
	dir := filepath.Join(t.TempDir(), "log")
	pol := &custody.Policy{}
	l, err := testkit.NewLog(ctx, dir, "evidence.test/witnessed", pol, posixlog.WithWitnessPolicy(policy))
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	for _, w := range ws {
		w.AddLog(t, ledger.Log{Origin: l.Origin(), VerifierKey: l.VerifierKey()})
	}
	require.NoError(t, pol.AddLog(custody.TrustedLog{Origin: l.Origin(), Key: l.VerifierKey(), WitnessPolicy: string(policy)}))
	lab, err := testkit.MakeParty(custody.Party{Name: "A. Examiner", Organization: "Lab", Role: "examiner", Jurisdiction: "FR"}, l, pol)
	require.NoError(t, err)
	var sealed bytes.Buffer
	b, err := lab.Custodian.Acquire(ctx, custody.Evidence{Description: "image.dd", Source: bytes.NewReader(evidenceBytes), Sealed: &sealed},
		custody.Sealing{Recipients: []string{lab.Recipient}}, custody.Details{Case: "CASE-1"})
	require.NoError(t, err)

	// The witnessed bundle verifies, and the report names both witnesses.
	rep, err := custody.Verify(ctx, b, pol)
	require.NoError(t, err)
	require.True(t, rep.Valid)
	require.Equal(t, []string{"witness.central-authority.test", "witness.court.test"}, rep.Events[0].Cosigners)
	var text, md, js bytes.Buffer
	require.NoError(t, rep.WriteText(&text))
	require.NoError(t, rep.WriteMarkdown(&md, "report"))
	require.NoError(t, rep.WriteJSON(&js))
	for name, out := range map[string]string{"text": text.String(), "markdown": md.String()} {
		require.Contains(t, out, "cosigned by witness.", name)
	}
	require.Contains(t, js.String(), `"cosigners": [`)
	polJSON, err := pol.MarshalJSON()
	require.NoError(t, err)
	requireSchema(t, "trust-policy.schema.json", polJSON)
	requireSchema(t, "report.schema.json", js.Bytes())

	// The copy: same key, same history so far.
	forkDir := dir + "-fork"
	require.NoError(t, os.CopyFS(forkDir, os.DirFS(dir)))
	honest, forked := b.Clone(), b.Clone()
	_, err = lab.Custodian.Access(ctx, honest, "", custody.Details{Purpose: "the event the court sees"})
	require.NoError(t, err)

	// With its witnesses, the copy cannot issue a receipt for another event at that index.
	fl := openWitnessed(t, forkDir, l.KeyFile, policy)
	withWitnesses, err := custody.NewCustodian(lab.Signer, lab.Actor, fl)
	require.NoError(t, err)
	_, err = withWitnesses.Access(ctx, forked, "", custody.Details{Purpose: "the event another court sees"})
	require.ErrorIs(t, err, ledger.ErrQuorum)
	var pending *custody.PendingError // the fork logged the entry: it holds the item's head there
	require.ErrorAs(t, err, &pending)
	require.ErrorContains(t, err, "the log has forked")
	require.ErrorContains(t, err, `witness "witness.court.test"`)
	require.ErrorContains(t, err, "hint: a witness has cosigned another history of this log")
	require.Len(t, forked.Events, 1, "no event without a receipt")
	_ = fl.Close() // it cannot publish what it appended: Close says so

	// Without them, it can: but the receipt lacks the quorum.
	bare, err := posixlog.Open(ctx, forkDir, l.KeyFile)
	require.NoError(t, err)
	t.Cleanup(func() { _ = bare.Close() })
	without, err := custody.NewCustodian(lab.Signer, lab.Actor, bare)
	require.NoError(t, err)
	_, err = without.Resume(ctx, forked, pending.Envelope)
	require.NoError(t, err)
	unwitnessed := &custody.Policy{Signers: pol.Signers}
	require.NoError(t, unwitnessed.AddLog(custody.TrustedLog{Origin: l.Origin(), Key: l.VerifierKey()}))
	for name, bundle := range map[string]*custody.Bundle{"honest": honest, "forked": forked} {
		rep, err := custody.Verify(ctx, bundle, unwitnessed)
		require.NoError(t, err)
		require.True(t, rep.Valid, "%s: without witnesses, each copy verifies on its own", name)
	}
	rep, err = custody.Verify(ctx, honest, pol)
	require.NoError(t, err)
	require.True(t, rep.Valid)
	rep, err = custody.Verify(ctx, forked, pol)
	require.NoError(t, err)
	require.False(t, rep.Valid, "a verifier requiring the quorum rejects the fork's receipt")
	require.True(t, rep.Failed(custody.RuleCheckpoint, 2))
	require.Contains(t, rep.Failures[0].Found, "witness quorum")
}

// requireSchema validates data against the JSON Schema docs/schema/name.
func requireSchema(t *testing.T, name string, data []byte) {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "docs", "schema", name))
	require.NoError(t, err)
	s, err := jsonschema.NewCompiler().Compile(path)
	require.NoError(t, err, name)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	require.NoError(t, s.Validate(v), name)
}
