package posixlog_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/client"
	"github.com/transparency-dev/tessera/fsck"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog"
)

// helperEnv selects a helper mode when the test binary is re-executed as a child process.
const helperEnv = "POSIXLOG_TEST_HELPER"

func TestMain(m *testing.M) {
	// Tessera logs through klog; keep test output to errors.
	ledgertest.QuietKlog("ERROR")
	if os.Getenv(helperEnv) == "append" {
		if err := helperAppend(); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperAppend appends leaves with several workers and records each receipt in $OUT
// (writeRecord), a file of this process's own. It stops after $N leaves, or never if N
// is 0.
func helperAppend() error {
	ctx := context.Background()
	n, _ := strconv.Atoi(os.Getenv("N"))
	workers, _ := strconv.Atoi(os.Getenv("WORKERS"))
	l, err := posixlog.Open(ctx, os.Getenv("DIR"), os.Getenv("KEY"))
	if err != nil {
		return err
	}
	out, err := os.OpenFile(os.Getenv("OUT"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var next int
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		next++
		return next, n == 0 || next <= n
	}
	errs := make(chan error, workers)
	for range workers {
		go func() {
			for i, ok := take(); ok; i, ok = take() {
				leaf := helperLeaf(i)
				r, err := l.Append(ctx, leaf)
				if errors.Is(err, ledger.ErrConflict) {
					continue // another process logged this tag's successor first
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				err = writeRecord(out, leaf, r)
				mu.Unlock()
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			return err
		}
	}
	if err := out.Close(); err != nil {
		return err
	}
	return l.Close()
}

// writeRecord records a receipt in out, fsynced, as "hex(leaf) base64(receipt)\n".
//
// A process killed in the middle of the write may leave a partial line: SIGKILL cuts a
// write to the page cache at a page boundary. That line is the last of out only if no
// other process appends to out after it, so each helper process writes a file of its
// own (readRecordedIn reads them all). In a file shared by processes, the next one's
// line continued the partial one, and a partial leaf of even length in hex followed by
// another record read as a record whose leaf is neither's, with a valid receipt: a
// receipt that did not match its recorded leaf (TestCrashSafetyEntries, once, in CI).
func writeRecord(out *os.File, leaf []byte, r *ledger.Receipt) error {
	line := hex.EncodeToString(leaf) + " " + base64.StdEncoding.EncodeToString([]byte(r.String())) + "\n"
	if _, err := out.WriteString(line); err != nil {
		return err
	}
	return out.Sync()
}

// helperLeaf is the i-th leaf a helper appends. With $ENTRIES set it is an entry whose
// tag, "tag/i", every helper shares: helpers race for each tag, with a commitment of
// their own ($PREFIX) except for every third tag, where all append the same entry.
func helperLeaf(i int) []byte {
	if os.Getenv("ENTRIES") == "" {
		return ledgertest.Leaf(fmt.Sprintf("%s/%d", os.Getenv("PREFIX"), i))
	}
	commitment := fmt.Sprintf("%s/%d", os.Getenv("PREFIX"), i)
	if i%3 == 0 {
		commitment = fmt.Sprint("shared/", i)
	}
	return ledgertest.Entry(fmt.Sprint("tag/", i), commitment)
}

// recorded is one receipt a helper wrote down.
type recorded struct {
	leaf    []byte
	receipt *ledger.Receipt
}

// readRecordedIn parses the outputs of the helpers that wrote into dir, each a file of
// its own, in the order of their names.
func readRecordedIn(t *testing.T, dir string) []recorded {
	t.Helper()
	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []recorded
	for _, f := range files {
		out = append(out, readRecorded(t, filepath.Join(dir, f.Name()))...)
	}
	return out
}

// readRecorded parses a helper's output, ignoring an incomplete last line (the helper may
// have been killed while writing it).
func readRecorded(t *testing.T, path string) []recorded {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var out []recorded
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(nil, 1<<20)
	complete := strings.LastIndexByte(string(b), '\n') + 1
	seen := 0
	for sc.Scan() {
		seen += len(sc.Bytes()) + 1
		if seen > complete {
			break
		}
		h, r64, ok := strings.Cut(sc.Text(), " ")
		require.True(t, ok)
		leaf, err := hex.DecodeString(h)
		require.NoError(t, err)
		require.Len(t, leaf, ledger.EntrySize, "leaf of the record at byte %d of %s", seen-len(sc.Bytes())-1, path)
		text, err := base64.StdEncoding.DecodeString(r64)
		require.NoError(t, err)
		r, err := ledger.ParseReceipt(text)
		require.NoError(t, err)
		out = append(out, recorded{leaf, r})
	}
	return out
}

// TestRecordsOfKilledHelpers: a helper killed while it writes a receipt (writeRecord)
// leaves a partial last line in its file; wherever the kill cut it, the records read back
// are the complete ones, each with the leaf of its receipt, the next helper's included.
func TestRecordsOfKilledHelpers(t *testing.T) {
	dir, key, entry := newLogFiles(t)
	l, err := posixlog.Open(t.Context(), dir, key)
	require.NoError(t, err)
	leaves := [][]byte{ledgertest.Entry("tag/1", "a"), ledgertest.Entry("tag/2", "b"), ledgertest.Entry("tag/3", "c")}
	rs, err := l.AppendBatch(t.Context(), leaves)
	require.NoError(t, err)
	require.NoError(t, l.Close())
	lines := make([][]byte, len(leaves))
	outs := t.TempDir()
	for i := range leaves {
		path := filepath.Join(outs, fmt.Sprint(i))
		f, err := os.Create(path)
		require.NoError(t, err)
		require.NoError(t, writeRecord(f, leaves[i], rs[i]))
		require.NoError(t, f.Close())
		lines[i], err = os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, os.Remove(path))
	}
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}
	first, next := filepath.Join(outs, "proc0"), filepath.Join(outs, "proc1")
	require.NoError(t, os.WriteFile(next, lines[2], 0o644))
	for cut := range len(lines[1]) {
		require.NoError(t, os.WriteFile(first, append(bytes.Clone(lines[0]), lines[1][:cut]...), 0o644))
		got := readRecordedIn(t, outs)
		require.Len(t, got, 2, "line cut after %d bytes", cut)
		for j, i := range []int{0, 2} {
			require.Equal(t, leaves[i], got[j].leaf)
			_, err := trust.VerifyReceipt(got[j].receipt, got[j].leaf)
			require.NoError(t, err, "line cut after %d bytes", cut)
		}
	}
}

// newLogFiles initialises a log and returns its directory, key file and trust entry.
func newLogFiles(t *testing.T) (dir, key string, entry ledger.Log) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "log")
	key = filepath.Join(t.TempDir(), "log.key")
	vkey, err := posixlog.Init(dir, key, "evidctl.test/"+strings.ReplaceAll(t.Name(), "/", "-"))
	require.NoError(t, err)
	origin, _, _ := strings.Cut(vkey, "+")
	return dir, key, ledger.Log{Origin: origin, VerifierKey: vkey}
}

// runFsck runs Tessera's integrity check over the log directory (or any fetcher).
func runFsck(t *testing.T, f fsck.Fetcher, entry ledger.Log) {
	t.Helper()
	v, err := note.NewVerifier(entry.VerifierKey)
	require.NoError(t, err)
	require.NoError(t, fsck.New(entry.Origin, v, f, leafHashes, fsck.Opts{N: 2}).Check(t.Context()))
}

func leafHashes(bundle []byte) ([][]byte, error) {
	var eb api.EntryBundle
	if err := eb.UnmarshalText(bundle); err != nil {
		return nil, err
	}
	out := make([][]byte, len(eb.Entries))
	for i, e := range eb.Entries {
		out[i] = rfc6962.DefaultHasher.HashLeaf(e)
	}
	return out, nil
}

var _ fsck.Fetcher = client.FileFetcher{}
