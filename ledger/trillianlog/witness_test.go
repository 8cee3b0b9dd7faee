package trillianlog_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/trillianlog"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
	"github.com/evidctl/evidctl/ledger/witness/witnesstest"
)

// witnessed opens personalities that ask n in-process witnesses for k cosignatures.
func witnessed(addr string, opts ...trillianlog.Option) witnesstest.OpenFunc {
	return func(t *testing.T, policy []byte) (ledger.Ledger, ledger.Log) {
		return trilliantest.NewLog(t, addr, append([]trillianlog.Option{trillianlog.WithWitnessPolicy(policy)}, opts...)...)
	}
}

// TestWitnessedConformance runs the ledger suite on an in-process Trillian whose
// personality has every checkpoint cosigned by two of two loopback witnesses.
func TestWitnessedConformance(t *testing.T) {
	ledgertest.Run(t, witnesstest.Factory(2, 2, witnessed(trilliantest.InProcess(t))))
}

// TestWitnessQuorum: with 2 of 3, one witness may be down; with two down, Append fails
// within the witness timeout, naming each witness and its answer, and returns no receipt.
func TestWitnessQuorum(t *testing.T) {
	ws := []*witnesstest.Witness{witnesstest.Start(t, "w1"), witnesstest.Start(t, "w2"), witnesstest.Start(t, "w3")}
	l, entry := trilliantest.NewLog(t, trilliantest.InProcess(t),
		trillianlog.WithWitnessPolicy(witnesstest.Policy(2, ws...)), trillianlog.WithWitnessTimeout(time.Second))
	for _, w := range ws {
		w.AddLog(t, entry)
	}
	entry.WitnessPolicy = witnesstest.ParsedPolicy(t, 2, ws...)
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}

	ws[2].Stop()
	_, cp := ledgertest.AppendVerified(t, l, trust, ledgertest.Leaf(t.Name()+"/a"), "2 of 3 with one witness down")
	require.ElementsMatch(t, []string{"w1", "w2"}, cp.Cosigners)

	ws[1].Stop()
	start := time.Now()
	r, err := l.Append(t.Context(), ledgertest.Leaf(t.Name()+"/b"))
	ledgertest.RequireNoQuorum(t, r, err, start, 3)
	require.Contains(t, err.Error(), `witness "w2" at `+ws[1].URL)
	require.Contains(t, err.Error(), "hint: start the witnesses")
	note, err := l.Checkpoint(t.Context())
	require.NoError(t, err, "the latest cosigned checkpoint")
	got, err := trust.VerifyCheckpoint(note)
	require.NoError(t, err, "never an uncosigned one")
	require.Equal(t, cp.Size, got.Size, "the leaf without a receipt is not covered")

	ws[1].Restart(t)
	ledgertest.AppendVerified(t, l, trust, ledgertest.Leaf(t.Name()+"/c"), "a witness is back")
}

// TestWitnessFork: two trees behind one personality key are two histories of one log
// (a split view). The witnesses cosign the first; the second cannot get a receipt.
func TestWitnessFork(t *testing.T) {
	addr := trilliantest.InProcess(t)
	key := filepath.Join(t.TempDir(), "trillian.key")
	honest, vkey, err := trillianlog.Init(t.Context(), addr, key, "evidctl.test/trillian-fork")
	require.NoError(t, err)
	forked, err := trillianlog.CreateTree(t.Context(), addr)
	require.NoError(t, err)
	ws := []*witnesstest.Witness{witnesstest.Start(t, "w1"), witnesstest.Start(t, "w2")}
	entry := ledger.Log{Origin: "evidctl.test/trillian-fork", VerifierKey: vkey}
	for _, w := range ws {
		w.AddLog(t, entry)
	}
	open := func(ep trillianlog.Endpoint) *trillianlog.Log {
		l, err := trillianlog.Open(t.Context(), ep.String(), key,
			trillianlog.WithWitnessPolicy(witnesstest.Policy(1, ws...)), trillianlog.WithWitnessTimeout(2*time.Second))
		require.NoError(t, err)
		t.Cleanup(func() { _ = l.Close() })
		return l
	}
	_, err = open(honest).Append(t.Context(), ledgertest.Leaf("the event"))
	require.NoError(t, err)
	r, err := open(forked).Append(t.Context(), ledgertest.Leaf("another event at the same index"))
	require.Nil(t, r)
	require.ErrorIs(t, err, ledger.ErrQuorum)
	require.Contains(t, err.Error(), "the log has forked")
	require.Contains(t, err.Error(), "hint: a witness has cosigned another history of this log")
}

// TestWitnessedCheckpointNone: a personality that never had a checkpoint cosigned has
// none to give while its witnesses are down.
func TestWitnessedCheckpointNone(t *testing.T) {
	w := witnesstest.Start(t, "w1")
	l, entry := trilliantest.NewLog(t, trilliantest.InProcess(t), trillianlog.WithWitnessPolicy(witnesstest.Policy(1, w)))
	w.AddLog(t, entry)
	w.Stop()
	_, err := l.Checkpoint(t.Context())
	require.ErrorIs(t, err, ledger.ErrQuorum)
}

func TestWitnessPolicyRefused(t *testing.T) {
	addr := trilliantest.InProcess(t)
	key := filepath.Join(t.TempDir(), "trillian.key")
	ep, _, err := trillianlog.Init(t.Context(), addr, key, "evidctl.test/trillian-refused")
	require.NoError(t, err)
	w := witnesstest.Start(t, "w1")
	for name, tc := range map[string]struct {
		opts []trillianlog.Option
		want string
	}{
		"not a policy":     {[]trillianlog.Option{trillianlog.WithWitnessPolicy([]byte("hello\n"))}, `unknown keyword "hello"`},
		"no URL":           {[]trillianlog.Option{trillianlog.WithWitnessPolicy([]byte("witness w1 " + w.VerifierKey + "\nquorum w1\n"))}, "has no URL"},
		"negative timeout": {[]trillianlog.Option{trillianlog.WithWitnessPolicy(witnesstest.Policy(1, w)), trillianlog.WithWitnessTimeout(-time.Second)}, "timeout"},
	} {
		_, err := trillianlog.Open(t.Context(), ep.String(), key, tc.opts...)
		require.ErrorContains(t, err, tc.want, name)
	}
}
