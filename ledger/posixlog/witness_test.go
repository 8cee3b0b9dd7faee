package posixlog_test

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/witness/witnesstest"
)

// witnessedLog is a posixlog log with in-process witnesses on loopback.
type witnessedLog struct {
	dir, key  string
	entry     ledger.Log // the log's trust entry, without witnesses
	witnesses []*witnesstest.Witness
}

// newWitnessedLog initialises a log and starts n witnesses that accept it.
func newWitnessedLog(t testing.TB, n int) *witnessedLog {
	t.Helper()
	w := &witnessedLog{dir: filepath.Join(t.TempDir(), "log"), key: filepath.Join(t.TempDir(), "log.key")}
	origin := "evidctl.test/" + strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())
	vkey, err := posixlog.Init(w.dir, w.key, origin)
	require.NoError(t, err)
	w.entry = ledger.Log{Origin: origin, VerifierKey: vkey}
	for i := range n {
		w.witnesses = append(w.witnesses, witnesstest.Start(t, "w"+string(rune('1'+i)), w.entry))
	}
	return w
}

// open opens the log asking k of its witnesses; the log is closed when the test ends.
func (w *witnessedLog) open(t testing.TB, k int, opts ...posixlog.Option) *posixlog.Log {
	t.Helper()
	opts = append([]posixlog.Option{posixlog.WithWitnessPolicy(witnesstest.Policy(k, w.witnesses...))}, opts...)
	l, err := posixlog.Open(t.Context(), w.dir, w.key, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// trust requires k of the witnesses' cosignatures.
func (w *witnessedLog) trust(t testing.TB, k int) *ledger.Trust {
	e := w.entry
	e.WitnessPolicy = witnesstest.ParsedPolicy(t, k, w.witnesses...)
	return &ledger.Trust{Logs: []ledger.Log{e}}
}

func TestWitnessedConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts witnesses")
	}
	ledgertest.Run(t, func(t *testing.T) (ledger.Ledger, ledger.Log) {
		w := newWitnessedLog(t, 2)
		return w.open(t, 2), w.trust(t, 2).Logs[0]
	})
}

// TestWitnessQuorum: with 2 of 3, one witness may be down; with two down, Append fails
// after its bounded wait, naming each witness and what it answered, and issues no
// receipt; once a witness is back, appends go on.
func TestWitnessQuorum(t *testing.T) {
	w := newWitnessedLog(t, 3)
	// 3 s, not 1 s: under the race detector on a loaded machine a cosignature took over a
	// second now and then. In the step with two witnesses down, w1 cosigns each attempt's
	// checkpoint, but Tessera asks it every time from the published (older) size, so it
	// answers a stale size first and then cosigns: the error's answers wait for that
	// (SettledAnswers), or w1 showed the stale size now and then.
	l := w.open(t, 2, posixlog.WithWitnessTimeout(3*time.Second))
	trust := w.trust(t, 2)
	w.witnesses[2].Stop()

	for i := range 3 {
		_, cp := ledgertest.AppendVerified(t, l, trust, ledgertest.Leaf(t.Name()+string(rune('a'+i))), "2 of 3 with one witness down")
		require.ElementsMatch(t, []string{"w1", "w2"}, cp.Cosigners)
	}

	w.witnesses[1].Stop()
	start := time.Now()
	r, err := l.Append(t.Context(), ledgertest.Leaf(t.Name()+"stuck"))
	ce := ledgertest.RequireNoQuorum(t, r, err, start, 3) // waits 2 x 3 s + 100 ms
	require.True(t, ce.Answers[0].Cosigned, "%+v", ce.Answers[0])
	for _, a := range ce.Answers[1:] {
		require.False(t, a.Cosigned)
		require.Contains(t, a.Answer, "unreachable", "%+v", a)
	}
	for _, s := range []string{`witness "w2"`, `witness "w3"`, "2 of w1, w2, w3", "hint: start the witnesses"} {
		require.Contains(t, err.Error(), s)
	}

	w.witnesses[1].Restart(t)
	ledgertest.AppendVerified(t, l, trust, ledgertest.Leaf(t.Name()+"back"), "the witness is back and catches up")
}

// TestCloseAfterQuorumFailure: when an Append has failed for want of the quorum, Close
// does not wait for the witnesses a second time (it used to wait its whole timeout, as
// long as the Append had, for Tessera to publish the entry), yet the entry, which
// Tessera had sequenced, is not lost: once the witnesses are back, the next Log
// publishes it, and the same entry appended again returns its receipt at the index it
// was given.
func TestCloseAfterQuorumFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the witnessed log's bounded wait (about 10 s)")
	}
	w := newWitnessedLog(t, 1)
	policy := posixlog.WithWitnessPolicy(witnesstest.Policy(1, w.witnesses...))
	l, err := posixlog.Open(t.Context(), w.dir, w.key, policy)
	require.NoError(t, err)
	entry := func(s string) []byte {
		e := ledger.NewEntry(sha256.Sum256([]byte("tag "+s)), sha256.Sum256([]byte(s)))
		return e[:]
	}
	first, err := l.Append(t.Context(), entry("first"))
	require.NoError(t, err)

	w.witnesses[0].Stop()
	stuck := entry("stuck")
	_, err = l.Append(t.Context(), stuck)
	require.ErrorIs(t, err, ledger.ErrQuorum)
	start := time.Now()
	require.NoError(t, l.Close())
	require.Less(t, time.Since(start), posixlog.DefaultWitnessTimeout,
		"Close gives the witnesses a short grace, not the bounded wait again (2 x 5 s + 100 ms)")

	w.witnesses[0].Restart(t)
	again := w.open(t, 1)
	r, err := again.Append(t.Context(), stuck)
	require.NoError(t, err, "the entry was logged: its receipt")
	require.Equal(t, first.Index+1, r.Index, "at the index Tessera gave it before Close")
	_, err = w.trust(t, 1).VerifyReceipt(r, stuck)
	require.NoError(t, err)
}

// TestForkRefused is the attack the witnesses exist for: the log's operator copies its
// directory and appends a different entry in each copy with the same key, to show each
// court another history. The witnesses cosign the first history only; the second copy
// cannot get a receipt through them; and the receipt it issues once witnesses are turned
// off fails a verifier that requires the quorum.
func TestForkRefused(t *testing.T) {
	w := newWitnessedLog(t, 2)
	// Long enough for an honest cosignature on a loaded 2-core CI machine (at 1 s the
	// honest append timed out there now and then); the fork's refusal comes at once.
	opts := []posixlog.Option{posixlog.WithWitnessTimeout(3 * time.Second)}
	l := w.open(t, 2, opts...)
	for i := range 3 {
		_, err := l.Append(t.Context(), ledgertest.Leaf(t.Name()+string(rune('0'+i))))
		require.NoError(t, err)
	}
	require.NoError(t, l.Close())
	copyDir := filepath.Join(t.TempDir(), "copy")
	require.NoError(t, os.CopyFS(copyDir, os.DirFS(w.dir)))

	trust := w.trust(t, 2)
	honest := w.open(t, 2, opts...)
	leafA := ledgertest.Leaf("court A sees this")
	rA, err := honest.Append(t.Context(), leafA)
	require.NoError(t, err)
	_, err = trust.VerifyReceipt(rA, leafA)
	require.NoError(t, err)

	fork, err := posixlog.Open(t.Context(), copyDir, w.key, append(opts, posixlog.WithWitnessPolicy(witnesstest.Policy(2, w.witnesses...)))...)
	require.NoError(t, err)
	leafB := ledgertest.Leaf("court B sees this instead")
	rB, err := fork.Append(t.Context(), leafB)
	require.Nil(t, rB)
	require.ErrorIs(t, err, ledger.ErrQuorum)
	require.Contains(t, err.Error(), "forked")
	require.Contains(t, err.Error(), "hint: a witness has cosigned another history of this log")
	_ = fork.Close()

	// Without witnesses the fork publishes, and only a verifier without a quorum accepts it.
	unwitnessed, err := posixlog.Open(t.Context(), copyDir, w.key)
	require.NoError(t, err)
	defer unwitnessed.Close()
	rB, err = unwitnessed.Append(t.Context(), leafB)
	require.NoError(t, err)
	logKeyOnly := &ledger.Trust{Logs: []ledger.Log{w.entry}}
	cpB, err := logKeyOnly.VerifyReceipt(rB, leafB)
	require.NoError(t, err, "the log key alone signs the fork")
	cpA, err := logKeyOnly.VerifyCheckpoint(rA.Checkpoint)
	require.NoError(t, err)
	proof, err := unwitnessed.ConsistencyProof(t.Context(), cpA.Size, cpB.Size)
	require.NoError(t, err)
	require.ErrorIs(t, ledger.VerifyConsistency(cpA, cpB, proof), ledger.ErrInconsistent, "a split view")
	_, err = trust.VerifyReceipt(rB, leafB)
	require.ErrorIs(t, err, ledger.ErrQuorum, "a verifier requiring the quorum rejects it")
}

func TestWitnessPolicyOption(t *testing.T) {
	w := newWitnessedLog(t, 1)
	for name, tc := range map[string]struct {
		opts []posixlog.Option
		err  string
	}{
		"no URL":         {[]posixlog.Option{posixlog.WithWitnessPolicy([]byte("witness w1 " + w.witnesses[0].VerifierKey + "\nquorum w1\n"))}, "has no URL"},
		"not a policy":   {[]posixlog.Option{posixlog.WithWitnessPolicy([]byte("quorum\n"))}, "line 1"},
		"zero timeout":   {[]posixlog.Option{posixlog.WithWitnessPolicy(witnesstest.Policy(1, w.witnesses...)), posixlog.WithWitnessTimeout(0)}, "timeout"},
		"empty is wrong": {[]posixlog.Option{posixlog.WithWitnessPolicy([]byte{})}, "no quorum line"},
	} {
		t.Run(name, func(t *testing.T) {
			l, err := posixlog.Open(t.Context(), w.dir, w.key, tc.opts...)
			require.Nil(t, l)
			require.ErrorContains(t, err, tc.err)
		})
	}
}

// TestWitnessPolicyTesseraAgrees: every policy ledger accepts for a log, Tessera's parser
// accepts too, so posixlog hands Tessera the very text the verifier reads.
func TestWitnessPolicyTesseraAgrees(t *testing.T) {
	w := newWitnessedLog(t, 2)
	a, b := w.witnesses[0], w.witnesses[1]
	for _, text := range []string{
		string(witnesstest.Policy(1, a)),
		string(witnesstest.Policy(2, a, b)),
		"log " + w.entry.VerifierKey + "\n" + a.PolicyLine() + " # court\n" + b.PolicyLine() + "\ngroup G any w1 w2\ngroup H all G w2\nquorum H\n",
		a.PolicyLine() + "\nquorum w1\n",
		"quorum none\n",
	} {
		p, err := ledger.ParseWitnessPolicy([]byte(text))
		require.NoError(t, err, text)
		require.NoError(t, p.CheckLogUse())
		_, err = tessera.NewWitnessGroupFromPolicy([]byte(text))
		require.NoError(t, err, text)
	}
}
