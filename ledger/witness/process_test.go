package witness_test

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/witness"
	"github.com/evidctl/evidctl/ledger/witness/witnesstest"
)

// witnessProcess starts this test binary as a witness serving dir, and returns it with
// the URL it listens on.
func witnessProcess(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	listen := filepath.Join(dir, "..", "listen")
	_ = os.Remove(listen) // a killed process leaves its file behind
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=serve", "DIR="+dir, "LISTEN="+listen)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	return cmd, "http://" + waitForFile(t, listen)
}

// send posts one add-checkpoint request; a connection error is returned, not fatal.
func send(ctx context.Context, url string, body []byte) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/add-checkpoint", bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}, err
}

// cosigned is one cosignature a witness returned.
type cosigned struct {
	size uint64
	root tlog.Hash
	note []byte // the checkpoint with the cosignature
}

// driver sends a witness the honest history of tr and attempts to get a fork cosigned,
// from several goroutines at once, until the witness dies.
type driver struct {
	tr, fork *witnesstest.Tree

	mu       sync.Mutex
	size     uint64 // the size the honest log believes the witness has
	cosigned []cosigned
	forked   []string // any fork the witness cosigned: must stay empty
	attempts int      // fork checkpoints offered with the witness's size as old size
}

// honest grows the log and asks for cosignatures of each new checkpoint.
func (d *driver) honest(ctx context.Context, t *testing.T, url string) {
	for ctx.Err() == nil {
		d.mu.Lock()
		old := d.size
		d.mu.Unlock()
		size := min(d.tr.Size()+uint64(1+rand.IntN(2)), d.fork.Size()-1)
		d.tr.Grow(t, "honest", size)
		cp := d.tr.Checkpoint(t, size)
		a, err := send(ctx, url, request(old, d.tr.Consistency(t, old, size), cp))
		if err != nil {
			return
		}
		d.mu.Lock()
		switch a.status {
		case http.StatusOK:
			d.cosigned = append(d.cosigned, cosigned{size, d.tr.Root(t, size), append(cp, a.body...)})
			d.size = max(d.size, size)
		case http.StatusConflict:
			if n, err := strconv.ParseUint(strings.TrimSpace(a.body), 10, 64); err == nil && a.contentType == "text/x.tlog.size" {
				d.size = n
			}
		}
		d.mu.Unlock()
	}
}

// forker learns the witness's size and offers fork checkpoints at that size and above.
func (d *driver) forker(ctx context.Context, t *testing.T, url string) {
	for ctx.Err() == nil {
		a, err := send(ctx, url, request(0, nil, d.fork.Checkpoint(t, d.fork.Size())))
		if err != nil {
			return
		}
		at, perr := strconv.ParseUint(strings.TrimSpace(a.body), 10, 64)
		if a.status != http.StatusConflict || perr != nil || at < 2 {
			d.refused(a, "old 0")
			continue
		}
		to := min(at+uint64(rand.IntN(3)), d.fork.Size())
		a, err = send(ctx, url, request(at, d.fork.Consistency(t, at, to), d.fork.Checkpoint(t, to)))
		if err != nil {
			return
		}
		d.mu.Lock()
		d.attempts++
		d.mu.Unlock()
		d.refused(a, "fork at "+strconv.FormatUint(to, 10))
	}
}

func (d *driver) refused(a answer, what string) {
	if a.status == http.StatusOK {
		d.mu.Lock()
		d.forked = append(d.forked, what)
		d.mu.Unlock()
	}
}

// TestCrashSafety kills a witness process with SIGKILL at random moments while a log
// feeds it checkpoints and a forker offers it another history of the same log, restarts
// it on the same state each time, and checks that it never cosigned a fork, never two
// roots for one size, and never forgot a checkpoint it had cosigned.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills child processes")
	}
	dir := filepath.Join(t.TempDir(), "w")
	vkey, err := witness.Init(dir, "witness.example/1")
	require.NoError(t, err)
	tr := witnesstest.NewTree(t, "log.example/a")
	tr.Grow(t, "honest", 1)
	fork := tr.Fork()
	fork.Grow(t, "fork", 20000)
	require.NoError(t, witness.AddLog(dir, tr.Entry().Origin, tr.Entry().VerifierKey))
	d := &driver{tr: tr, fork: fork}

	const kills = 22
	for run := range kills + 1 {
		cmd, url := witnessProcess(t, dir)
		if run == 0 {
			tr.Grow(t, "honest", 2) // the witness's first checkpoint is honest (trust on first use)
			a, err := send(t.Context(), url, request(0, nil, tr.Checkpoint(t, 2)))
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, a.status)
			d.size = 2
		}
		d.mu.Lock()
		before := d.cosigned
		d.mu.Unlock()
		if len(before) > 0 {
			// What the witness answered before it died, it still holds.
			latest := slicesMaxSize(before)
			a, err := send(t.Context(), url, request(0, nil, tr.Checkpoint(t, tr.Size())))
			require.NoError(t, err)
			require.Equal(t, http.StatusConflict, a.status, "run %d: %s", run, a.body)
			held, err := strconv.ParseUint(strings.TrimSpace(a.body), 10, 64)
			require.NoError(t, err)
			require.GreaterOrEqual(t, held, latest, "run %d: the witness forgot a cosigned checkpoint", run)
		}
		if run == kills {
			require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
			require.NoError(t, cmd.Wait(), "a terminated witness exits cleanly")
			break
		}
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { d.honest(ctx, t, url) })
		wg.Go(func() { d.honest(ctx, t, url) })
		wg.Go(func() { d.forker(ctx, t, url) })
		time.Sleep(time.Duration(30+rand.IntN(300)) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		require.Error(t, cmd.Wait(), "run %d ended before it was killed", run)
		cancel()
		wg.Wait()
		t.Logf("run %d: %d cosignatures and %d refused forks so far, log size %d", run, len(d.cosigned), d.attempts, tr.Size())
	}

	require.Empty(t, d.forked, "the witness cosigned a fork")
	require.Greater(t, d.attempts, kills, "too few fork attempts to mean anything")
	require.Greater(t, len(d.cosigned), kills, "too few updates to mean anything")
	entry := tr.Entry()
	entry.Witnesses, entry.Quorum = []string{vkey}, 1
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}
	roots := map[uint64]tlog.Hash{}
	for _, c := range d.cosigned {
		if r, seen := roots[c.size]; seen {
			require.Equal(t, r, c.root, "two roots cosigned for size %d", c.size)
		}
		roots[c.size] = c.root
		require.Equal(t, tr.Root(t, c.size), c.root, "size %d: not the honest root", c.size)
		_, err := trust.VerifyCheckpoint(c.note)
		require.NoError(t, err)
	}
}

func slicesMaxSize(cs []cosigned) uint64 {
	var m uint64
	for _, c := range cs {
		m = max(m, c.size)
	}
	return m
}
