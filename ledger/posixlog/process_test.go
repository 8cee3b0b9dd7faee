package posixlog_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera/client"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog"
)

// helper returns a command that re-executes this test binary as an appending helper.
func helper(t *testing.T, dir, key, out, prefix string, n, workers int) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=append", "DIR="+dir, "KEY="+key, "OUT="+out,
		"PREFIX="+prefix, fmt.Sprint("N=", n), fmt.Sprint("WORKERS=", workers))
	cmd.Stderr = os.Stderr
	return cmd
}

func TestManyProcessesAppend(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir, key, entry := newLogFiles(t)
	const procs, perProc = 4, 40
	cmds := make([]*exec.Cmd, procs)
	outs := make([]string, procs)
	for i := range cmds {
		outs[i] = filepath.Join(t.TempDir(), "receipts")
		cmds[i] = helper(t, dir, key, outs[i], fmt.Sprint("proc", i), perProc, 8)
		require.NoError(t, cmds[i].Start())
	}
	for i, c := range cmds {
		require.NoError(t, c.Wait(), "process %d", i)
	}
	var all []recorded
	for _, o := range outs {
		rs := readRecorded(t, o)
		require.Len(t, rs, perProc)
		all = append(all, rs...)
	}
	latest := verifyAll(t, dir, key, entry, all)
	require.Equal(t, uint64(procs*perProc+1), latest.Size, "every leaf, and the one verifyAll appends")
	runFsck(t, client.FileFetcher{Root: dir}, entry)
}

// TestCrashSafety kills an appending process at random moments, many times, and checks
// that every receipt it handed out stays valid, that the log goes on, and that fsck passes.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills child processes")
	}
	dir, key, entry := newLogFiles(t)
	outs := t.TempDir() // a file of receipts for each process (writeRecord)
	const kills = 22
	before := 0
	for i := range kills {
		cmd := helper(t, dir, key, filepath.Join(outs, fmt.Sprint("run", i)), fmt.Sprint("run", i), 0, 4)
		require.NoError(t, cmd.Start())
		time.Sleep(time.Duration(50+rand.IntN(600)) * time.Millisecond)
		if i == kills-1 {
			awaitReceipt(t, outs)
		}
		requireKilled(t, cmd, fmt.Sprint("run ", i))
		n := len(readRecordedIn(t, outs))
		t.Logf("run %d: %d receipts so far", i, n)
		before = n
	}
	all := readRecordedIn(t, outs)
	require.NotEmpty(t, all, "no receipt was handed out before the kills")
	require.Equal(t, before, len(all))
	latest := verifyAll(t, dir, key, entry, all)
	require.Greater(t, latest.Size, uint64(len(all))-1)
	runFsck(t, client.FileFetcher{Root: dir}, entry)
}

// requireKilled kills a helper and checks that it was running until then: a helper
// must not die on its own (as Tessera's sequencer made it, panicking on a false fcntl
// deadlock between processes, before turn.go).
func requireKilled(t *testing.T, cmd *exec.Cmd, which string) {
	t.Helper()
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL), which)
	err := cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, which)
	ws, ok := ee.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "%s ended on its own: %v", which, err)
}

// awaitReceipt waits until the helpers writing into outs have recorded a receipt, at
// most a minute. The last kill of a test waits for it: on a loaded machine (two cores,
// load 12, -race) a helper's first receipt takes up to a second, and every kill of a
// test could come before it, leaving nothing to check.
func awaitReceipt(t *testing.T, outs string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for len(readRecordedIn(t, outs)) == 0 {
		require.True(t, time.Now().Before(deadline), "no receipt recorded within a minute")
		time.Sleep(10 * time.Millisecond)
	}
}

// verifyAll reopens the log, appends once more, and checks every recorded receipt: it
// verifies as issued, the leaf is included under the newest checkpoint, and the newest
// checkpoint is consistent with the receipt's. It returns the newest checkpoint.
func verifyAll(t *testing.T, dir, key string, entry ledger.Log, all []recorded) *ledger.Checkpoint {
	t.Helper()
	ctx := t.Context()
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}
	l, err := posixlog.Open(ctx, dir, key)
	require.NoError(t, err)
	defer func() { require.NoError(t, l.Close()) }()
	_, latest := ledgertest.AppendVerified(t, l, trust, ledgertest.Leaf("after the last kill"), "appending goes on")

	consistent := map[uint64]bool{}
	indices := map[uint64]bool{}
	for _, rec := range all {
		cp, err := trust.VerifyReceipt(rec.receipt, rec.leaf)
		require.NoError(t, err, "receipt for index %d", rec.receipt.Index)
		require.False(t, indices[rec.receipt.Index], "index %d handed out twice", rec.receipt.Index)
		indices[rec.receipt.Index] = true
		path, err := l.InclusionProof(ctx, rec.receipt.Index, latest.Size)
		require.NoError(t, err)
		_, err = trust.VerifyReceipt(&ledger.Receipt{Index: rec.receipt.Index, Proof: path, Checkpoint: latest.Note}, rec.leaf)
		require.NoError(t, err, "index %d under the newest checkpoint", rec.receipt.Index)
		if !consistent[cp.Size] {
			proof, err := l.ConsistencyProof(ctx, cp.Size, latest.Size)
			require.NoError(t, err)
			require.NoError(t, ledger.VerifyConsistency(cp, latest, proof))
			consistent[cp.Size] = true
		}
	}
	return latest
}

// TestCrashSafetyEntries: two processes race for the same tags (entries) and are killed
// at random moments, many times; each round's processes start from the first tag again,
// so the reservations the killed ones left are reconciled. Afterwards every receipt
// handed out verifies, no tag is logged twice, and the tag index agrees with the log.
func TestCrashSafetyEntries(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills child processes")
	}
	crashEntries(t, 20, 2, 100*time.Millisecond, 800*time.Millisecond)
}

// stressEnv runs TestCrashSafetyEntriesStress when set (to anything).
const stressEnv = "POSIXLOG_STRESS"

// TestCrashSafetyEntriesStress is TestCrashSafetyEntries with more processes, more
// rounds and kills sooner, for a hunt: POSIXLOG_STRESS=1 go test -race -run Stress
// ./ledger/posixlog (under a minute on 2 loaded cores; -count=N for more).
func TestCrashSafetyEntriesStress(t *testing.T) {
	if os.Getenv(stressEnv) == "" {
		t.Skip("a long stress run: set " + stressEnv + "=1 to run it")
	}
	crashEntries(t, 80, 3, 20*time.Millisecond, 600*time.Millisecond)
}

// crashEntries runs rounds of procs processes that append entries racing for the same
// tags, each round killed between minDelay and maxDelay after it started, then checks
// the receipts, the log and the tag index.
func crashEntries(t *testing.T, rounds, procs int, minDelay, maxDelay time.Duration) {
	dir, key, entry := newLogFiles(t)
	outs := t.TempDir() // a file of receipts for each process (writeRecord)
	for i := range rounds {
		cmds := make([]*exec.Cmd, procs)
		for p := range cmds {
			cmds[p] = helper(t, dir, key, filepath.Join(outs, fmt.Sprintf("round%d-proc%d", i, p)), fmt.Sprintf("round%d/proc%d", i, p), 0, 4)
			cmds[p].Env = append(cmds[p].Env, "ENTRIES=1")
			require.NoError(t, cmds[p].Start())
		}
		time.Sleep(minDelay + rand.N(maxDelay-minDelay))
		if i == rounds-1 {
			awaitReceipt(t, outs)
		}
		for p, c := range cmds {
			requireKilled(t, c, fmt.Sprintf("round %d process %d", i, p))
		}
	}
	all := readRecordedIn(t, outs)
	require.NotEmpty(t, all)
	byLeaf := map[string]recorded{}
	for _, rec := range all {
		if prev, ok := byLeaf[string(rec.leaf)]; ok {
			require.Equal(t, prev.receipt.Index, rec.receipt.Index, "one entry, two indexes")
		}
		byLeaf[string(rec.leaf)] = rec
	}
	unique := make([]recorded, 0, len(byLeaf))
	for _, rec := range byLeaf {
		unique = append(unique, rec)
	}
	t.Logf("%d receipts, %d distinct entries; %d helpers killed while writing one", len(all), len(unique), cutShort(t, outs))
	verifyAll(t, dir, key, entry, unique)
	require.NoError(t, posixlog.CheckIndex(t.Context(), dir))
	runFsck(t, client.FileFetcher{Root: dir}, entry)
}

// cutShort counts the files in dir that end in a partial line.
func cutShort(t *testing.T, dir string) int {
	t.Helper()
	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name()))
		require.NoError(t, err)
		if len(b) > 0 && b[len(b)-1] != '\n' {
			n++
		}
	}
	return n
}
