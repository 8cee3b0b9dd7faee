package posixlog_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera/client"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog"
)

func TestInitWritesPrivateKeyOutsideLog(t *testing.T) {
	dir, key, entry := newLogFiles(t)
	fi, err := os.Stat(key)
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
	b, err := os.ReadFile(key)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(b), "PRIVATE+KEY+"+entry.Origin+"+"))
	// The empty tree's checkpoint is published and verifies.
	cp, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	require.NoError(t, err)
	got, err := (&ledger.Trust{Logs: []ledger.Log{entry}}).VerifyCheckpoint(cp)
	require.NoError(t, err)
	require.Zero(t, got.Size)
	// No secret in the served directory.
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if !d.IsDir() {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			require.NotContains(t, string(b), "PRIVATE+KEY", p)
		}
		return nil
	}))
}

func TestInitRefuses(t *testing.T) {
	dir, key, _ := newLogFiles(t)
	_, err := posixlog.Init(dir, filepath.Join(t.TempDir(), "k"), "evidctl.test/again")
	require.ErrorIs(t, err, fs.ErrExist, "a directory that holds a log")
	_, err = posixlog.Init(filepath.Join(t.TempDir(), "new"), key, "evidctl.test/again")
	require.ErrorIs(t, err, fs.ErrExist, "an existing key file")
	inside := filepath.Join(t.TempDir(), "log2")
	_, err = posixlog.Init(inside, filepath.Join(inside, "log.key"), "evidctl.test/inside")
	require.ErrorContains(t, err, "inside the log directory")
	_, err = os.Stat(inside)
	require.ErrorIs(t, err, fs.ErrNotExist, "a failed Init leaves nothing behind")
	_, err = posixlog.Init(filepath.Join(t.TempDir(), "x"), filepath.Join(t.TempDir(), "k"), "bad origin")
	require.Error(t, err, "origin with a space")
}

func TestOpenRefuses(t *testing.T) {
	dir, key, _ := newLogFiles(t)
	_, otherKey, _ := newLogFiles(t)
	ctx := t.Context()

	_, err := posixlog.Open(ctx, dir, otherKey)
	require.ErrorIs(t, err, ledger.ErrUnknownLog, "the key of another log")

	require.NoError(t, os.Chmod(key, 0o644))
	_, err = posixlog.Open(ctx, dir, key)
	require.ErrorIs(t, err, fs.ErrPermission, "a key others can read")
	require.NoError(t, os.Chmod(key, 0o600))

	_, err = posixlog.Open(ctx, t.TempDir(), key)
	require.ErrorIs(t, err, fs.ErrNotExist, "a directory without a log")

	_, err = posixlog.Open(ctx, dir, key, posixlog.WithCheckpointInterval(time.Millisecond))
	require.ErrorContains(t, err, "checkpoint interval")

	l, err := posixlog.Open(ctx, dir, key)
	require.NoError(t, err)
	_, err = posixlog.Open(ctx, dir+"/", key)
	require.ErrorContains(t, err, "already open in this process")
	require.NoError(t, l.Close())
}

func TestReopenContinues(t *testing.T) {
	dir, key, entry := newLogFiles(t)
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}
	ctx := t.Context()
	var receipts []*ledger.Receipt
	for i := range 3 {
		l, err := posixlog.Open(ctx, dir, key)
		require.NoError(t, err)
		require.Equal(t, entry.VerifierKey, l.VerifierKey())
		rs, err := l.AppendBatch(ctx, [][]byte{ledgertest.Leaf(string(rune('a' + i))), ledgertest.Leaf(string(rune('A' + i)))})
		require.NoError(t, err)
		receipts = append(receipts, rs...)
		require.NoError(t, l.Close())
	}
	l, err := posixlog.Open(ctx, dir, key)
	require.NoError(t, err)
	defer l.Close()
	note, err := l.Checkpoint(ctx)
	require.NoError(t, err)
	latest, err := trust.VerifyCheckpoint(note)
	require.NoError(t, err)
	require.Equal(t, uint64(6), latest.Size)
	for i, r := range receipts {
		require.Equal(t, uint64(i), r.Index)
		cp, err := trust.VerifyReceipt(r, ledgertest.Leaf(string(rune("aAbBcC"[i]))))
		require.NoError(t, err)
		proof, err := l.ConsistencyProof(ctx, cp.Size, latest.Size)
		require.NoError(t, err)
		require.NoError(t, ledger.VerifyConsistency(cp, latest, proof))
	}
	runFsck(t, client.FileFetcher{Root: dir}, entry)
}

// TestOptions: each option refuses a value Tessera cannot use, and the checkpoint
// interval it accepts is kept: two appends in a row wait for two checkpoints at least
// that far apart.
func TestOptions(t *testing.T) {
	dir, key, entry := newLogFiles(t)
	ctx := t.Context()
	for name, tc := range map[string]struct {
		opt  posixlog.Option
		want string
	}{
		"BatchMaxAge":        {posixlog.WithBatchMaxAge(0), "batch max age 0s is not positive"},
		"BatchMaxSize":       {posixlog.WithBatchMaxSize(0), "batch max size is zero"},
		"CheckpointInterval": {posixlog.WithCheckpointInterval(99 * time.Millisecond), "checkpoint interval 99ms is below the minimum"},
		"PollInterval":       {posixlog.WithPollInterval(-time.Millisecond), "poll interval -1ms is not positive"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := posixlog.Open(ctx, dir, key, tc.opt)
			require.ErrorContains(t, err, tc.want)
		})
	}

	const interval = 700 * time.Millisecond
	l, err := posixlog.Open(ctx, dir, key, posixlog.WithCheckpointInterval(interval),
		posixlog.WithBatchMaxAge(time.Millisecond), posixlog.WithBatchMaxSize(1), posixlog.WithPollInterval(time.Millisecond))
	require.NoError(t, err)
	defer l.Close()
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}
	var sizes []uint64
	start := time.Now()
	for i := range 2 {
		_, cp := ledgertest.AppendVerified(t, l, trust, ledgertest.Leaf(fmt.Sprint("option ", i)))
		sizes = append(sizes, cp.Size)
	}
	require.Less(t, sizes[0], sizes[1], "the second append waited for a later checkpoint")
	require.GreaterOrEqual(t, time.Since(start), interval, "two checkpoints less than the interval apart")
}

// TestBatchUnderOneCheckpoint: a batch larger than Tessera's batch size is sequenced in
// several Tessera batches, which may be published under several checkpoints; every
// receipt of the batch comes under one, and verifies against its leaf.
func TestBatchUnderOneCheckpoint(t *testing.T) {
	dir, key, entry := newLogFiles(t)
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}
	l, err := posixlog.Open(t.Context(), dir, key, posixlog.WithBatchMaxSize(4))
	require.NoError(t, err)
	defer l.Close()
	leaves := make([][]byte, 50)
	for i := range leaves {
		leaves[i] = ledgertest.Entry(t.Name()+strconv.Itoa(i), "event")
	}
	rs, err := l.AppendBatch(t.Context(), leaves)
	require.NoError(t, err)
	require.Len(t, rs, len(leaves))
	for i, r := range rs {
		require.Equal(t, uint64(i), r.Index, "consecutive indexes in batch order")
		require.Equal(t, string(rs[0].Checkpoint), string(r.Checkpoint), "receipt %d under another checkpoint", i)
		_, err := trust.VerifyReceipt(r, leaves[i])
		require.NoError(t, err)
	}
	runFsck(t, client.FileFetcher{Root: dir}, entry)
}
